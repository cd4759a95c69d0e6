"""Training methods by name: each name maps to its `algo` config class and its `Method` class.

Built-in methods are listed here as import paths, loaded on first use, so validating a config does
not import torch. Another method (e.g. a user's, from outside this package) registers itself with
`register_method(name, config, method)`; nothing else in the trainer or the config has to change.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from siri.utils.errors import UserError


@dataclass(frozen=True)
class MethodEntry:
    config: Any  # an `AlgoConfig` subclass, or "module:Class" naming one
    method: Any  # a `Method` subclass, or "module:Class" naming one


_RL, _SIRI, _DISTILL = "siri.train.methods.rl", "siri.train.methods.siri", "siri.train.methods.distill"
_METHODS: dict[str, MethodEntry] = {
    "grpo": MethodEntry(f"{_RL}.config:GRPOConfig", f"{_RL}.method:AdvantageMethod"),
    "gigpo": MethodEntry(f"{_RL}.config:GiGPOConfig", f"{_RL}.method:AdvantageMethod"),
    "siri": MethodEntry(f"{_SIRI}.config:SiriConfig", f"{_SIRI}.method:SiriMethod"),
    "skill_sd": MethodEntry(f"{_DISTILL}.config:DistillConfig", f"{_DISTILL}.method:DistillMethod"),
    "opd": MethodEntry(f"{_DISTILL}.config:DistillConfig", f"{_DISTILL}.method:DistillMethod"),
    "opsd": MethodEntry(f"{_DISTILL}.config:DistillConfig", f"{_DISTILL}.method:DistillMethod"),
}


def _load(target: Any) -> Any:
    if not isinstance(target, str):
        return target
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)


def register_method(name: str, config: type, method: type) -> None:
    """Make `algo.name=<name>` validate its section with `config` and train with `method`."""
    if name in _METHODS:
        raise ValueError(f"method {name!r} is already registered")
    _METHODS[name] = MethodEntry(config, method)


def unregister_method(name: str) -> None:
    """Remove a method registered with `register_method` (tests use it to clean up)."""
    _METHODS.pop(name, None)


def method_names() -> list[str]:
    return sorted(_METHODS)


def _entry(name: str) -> MethodEntry:
    if name not in _METHODS:
        raise UserError(f"config error: algo.name: unknown algorithm {name!r}; allowed: {', '.join(method_names())}")
    return _METHODS[name]


def config_class(name: str) -> type:
    """The `algo` config class of method `name`."""
    return _load(_entry(name).config)


def make_method(cfg: Any) -> Any:
    """The method `cfg.algo.name` names, built from the whole config."""
    return _load(_entry(cfg.algo.name).method)(cfg)
