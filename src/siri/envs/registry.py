"""The one list of environments: each name's factory, oracles, agent text and options class.

Configs, the CLI and the agent layer look everything up here by name, so adding an environment is its
folder `envs/<name>/` plus one entry below (or one `register_env` call from outside the package), and
no other code tests an environment's name. Entries name their parts as "module:attribute" strings,
imported on first use: listing the names stays cheap and never imports an environment.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from siri.envs.base import Env, EnvError, Oracle, check_split
from siri.envs.text import AgentText

# Every factory also takes `split` and `max_steps`; the caller sets them (the phase's split, config
# `env.max_steps`), so they are not part of `env.options`.
COMMON_OPTIONS = ("max_steps",)


@dataclass(frozen=True)
class EnvEntry:
    """Where an environment's parts live; each is a "module:attribute" string or the object itself.

    - `factory`: `(split=..., max_steps=..., **options) -> Env`.
    - `oracles`: oracle kind -> `(env) -> Oracle`; the first kind is the default.
    - `text`: its `AgentText`, or None with `speaks` naming the environment whose text it uses.
    - `options`: a dataclass whose fields are the env's options and whose construction checks their
      values (one-line `EnvError`s); None when the env takes no options.
    - `builtin`: it needs nothing from the user (no game files), so corpora and smoke runs may use it.
    - `hints`: `hinted_demo(env, rng) -> (skill text, oracle following it)` for the SFT `hint_demo`
      kind, or None when the env has no location hints.
    """

    factory: Any
    oracles: Mapping[str, Any]
    text: Any = None
    speaks: str | None = None
    options: Any = None
    builtin: bool = True
    hints: Any = None


_ENVS: dict[str, EnvEntry] = {
    "household": EnvEntry(
        "siri.envs.household.env:HouseholdEnv",
        {
            "planner": "siri.envs.household.oracle:PlannerOracle",
            "searcher": "siri.envs.household.oracle:SearcherOracle",
            "blind": "siri.envs.household.oracle:BlindSearcherOracle",
        },
        text="siri.envs.household.text:TEXT",
        options="siri.envs.household.env:HouseholdOptions",
        hints="siri.envs.household.hints:hinted_demo",
    ),
    "shop": EnvEntry(
        "siri.envs.shop.env:ShopEnv",
        {"planner": "siri.envs.shop.oracle:ShopOracle"},
        text="siri.envs.shop.text:TEXT",
        options="siri.envs.shop.env:ShopOptions",
    ),
    "sokoban": EnvEntry(
        "siri.envs.sokoban.env:SokobanEnv",
        {"planner": "siri.envs.sokoban.oracle:BFSOracle"},
        text="siri.envs.sokoban.text:TEXT",
        options="siri.envs.sokoban.env:SokobanOptions",
    ),
    # The real ALFWorld engine on the user's game files (optional extra `alfworld` of the `siri-rl` distribution).
    "alfworld": EnvEntry(
        "siri.envs.household.alfworld_adapter:ALFWorldAdapterEnv",
        {
            "planner": "siri.envs.household.alfworld_adapter:ALFWorldPlannerOracle",
            "searcher": "siri.envs.household.oracle:SearcherOracle",
        },
        speaks="household",
        options="siri.envs.household.alfworld_adapter:ALFWorldOptions",
        builtin=False,
    ),
}


def _load(target: Any) -> Any:
    if not isinstance(target, str):
        return target
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)


def register_env(
    name: str,
    factory: Callable[..., Env] | str,
    *,
    oracles: Mapping[str, Any],
    text: AgentText | str | None = None,
    speaks: str | None = None,
    options: type | str | None = None,
    builtin: bool = True,
    hints: Callable[..., Any] | str | None = None,
) -> EnvEntry:
    """Add environment `name` (see `EnvEntry`); every name-keyed lookup knows it from then on."""
    if not name or name in _ENVS:
        raise EnvError(f"cannot register environment {name!r}: the name is empty or already taken")
    if (text is None) == (speaks is None):
        raise EnvError(f"environment {name!r} needs exactly one of text= and speaks=")
    if speaks is not None and (speaks not in _ENVS or _ENVS[speaks].text is None):
        raise EnvError(f"environment {name!r} speaks {speaks!r}, which has no text of its own")
    if not oracles:
        raise EnvError(f"environment {name!r} needs at least one oracle")
    entry = EnvEntry(factory, dict(oracles), text, speaks, options, builtin, hints)
    _ENVS[name] = entry
    return entry


def env_entry(name: str) -> EnvEntry:
    """The entry of `name`; an unknown name raises a one-line `EnvError` naming the allowed ones."""
    if name not in _ENVS:
        raise EnvError(f"unknown environment {name!r}; allowed: {', '.join(env_names())}")
    return _ENVS[name]


def env_names() -> list[str]:
    return sorted(_ENVS)


def builtin_env_names() -> list[str]:
    """Environments that need nothing from the user (no game files): the generated stand-ins."""
    return sorted(n for n, e in _ENVS.items() if e.builtin)


def agent_env_names() -> list[str]:
    """Environments with a text of their own: the names the agent layer's functions take."""
    return sorted(n for n, e in _ENVS.items() if e.speaks is None)


def agent_env_name(name: str) -> str:
    """The name the agent layer knows this environment's prompts and parsing by."""
    entry = _ENVS.get(name)
    return entry.speaks if entry is not None and entry.speaks is not None else name


def env_text(name: str) -> AgentText:
    """What environment `name` says to the agent (its own text, or the one it speaks)."""
    entry = env_entry(name)
    if entry.speaks is not None:
        return env_text(entry.speaks)
    return _load(entry.text)


def option_names(name: str) -> list[str]:
    """The keys `env.options` may hold for `name`, sorted."""
    cls = _load(env_entry(name).options)
    return [] if cls is None else sorted(f.name for f in dataclasses.fields(cls))


def _check_keys(name: str, options: Mapping[str, Any], allowed: list[str]) -> None:
    for key in options:
        if key not in allowed:
            raise EnvError(f"unknown {name} option {key!r}; allowed: {', '.join(allowed) or '(none)'}")


def check_env_options(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """Check `options` for `name` before any work: the keys, then the values (the env's own checks).

    Returns them as a new dict; a bad one raises a one-line `EnvError`.
    """
    if not isinstance(options, Mapping):
        raise EnvError(f"{name} options must be a mapping of option names to values, not {type(options).__name__}")
    _check_keys(name, options, option_names(name))
    _check_values(name, options)
    return dict(options)


def _check_values(name: str, options: Mapping[str, Any]) -> None:
    """Build the env's options class from `options`; a value of a type its checks did not foresee
    (a TypeError) is a one-line EnvError too."""
    cls = _load(env_entry(name).options)
    if cls is None:
        return
    try:
        cls(**options)
    except TypeError as e:
        raise EnvError(f"bad {name} option value in {dict(options)!r:.120}: {e}") from None


def make_env(name: str, split: str = "train", **options: Any) -> Env:
    """Build environment `name` for `split` with `max_steps` and its options (each env checks its own)."""
    entry = env_entry(name)
    check_split(split)
    _check_keys(name, options, sorted([*option_names(name), *COMMON_OPTIONS]))
    _check_values(name, {k: v for k, v in options.items() if k not in COMMON_OPTIONS})
    return _load(entry.factory)(split=split, **options)


def env_hints(name: str) -> Any:
    """Environment `name`'s `hinted_demo` function, or None when it has no location hints."""
    entry = env_entry(name)
    return None if entry.hints is None else _load(entry.hints)


def oracle_kinds(name: str) -> list[str]:
    return sorted(env_entry(name).oracles)


def make_oracle(env: Env, kind: str | None = None) -> Oracle:
    """An oracle for an env that has just been reset. `kind=None` takes the env's first (default) one."""
    kinds = env_entry(env.name).oracles
    kind = kind or next(iter(kinds))
    if kind not in kinds:
        raise EnvError(f"unknown oracle {kind!r} for {env.name}; allowed: {', '.join(sorted(kinds))}")
    return _load(kinds[kind])(env)
