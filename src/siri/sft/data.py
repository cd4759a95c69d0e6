"""SFT examples for the warm start (docs/architecture.md "Models"): (prompt ids, response ids) pairs.

Why a registry of builders: the warm start is behaviour cloning on oracle demonstrations (kind
`demo`, in `siri.sft.demo`), and SIRI later adds more kinds (prompts with a skills block whose
demonstrated action follows the skill; trajectory -> skill summaries) without touching the trainer:

    @register_builder("skill_demo")
    def build(ctx: BuildContext) -> list[SFTExample]: ...

`sft.kinds` in the config names the builders a run uses. Every builder encodes prompts and responses
through `BuildContext`, so all kinds see the chat template and the response format the rollout uses
(docs/algorithms.md §0: token-in, token-out; the sampler stops on the `</action>` stop string, so an action
response ends with the `</action>` token and carries no end-of-turn token).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from transformers import PreTrainedTokenizerBase

from siri.config import Config
from siri.policy.loading import chat_prompt_ids
from siri.utils.errors import UserError

# Modules that register the built-in kinds when imported (kept lazy: envs load only when used).
_BUILTIN_MODULES = ("siri.sft.demo", "siri.sft.skills")


@dataclass(frozen=True)
class SFTExample:
    """One training sample: the loss is on `response_ids` only, conditioned on `prompt_ids`."""

    prompt_ids: list[int]
    response_ids: list[int]
    kind: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class BuildContext:
    """What a builder gets: the resolved config, the policy's tokenizer, and a sink for its statistics."""

    cfg: Config
    tokenizer: PreTrainedTokenizerBase
    stats: dict[str, float] = field(default_factory=dict)

    def prompt_ids(self, user_text: str) -> list[int]:
        """The one-turn chat prompt the rollout conditions on (ends with the assistant header)."""
        return chat_prompt_ids(self.tokenizer, user_text)

    def action_response_ids(self, action: str, think: str | None = None) -> list[int]:
        """`[<think>…</think>]<action>{action}</action>` as ids, ending with the `</action>` token."""
        return encode_response(self.tokenizer, action, think)


@dataclass
class SFTData:
    """All examples of a run plus per-kind counts (built, dropped for length) and builder statistics."""

    examples: list[SFTExample]
    built: dict[str, int]
    dropped: dict[str, int]
    stats: dict[str, float]

    def summary(self) -> dict[str, float]:
        """Flat numbers for metrics.jsonl and the console."""
        out: dict[str, float] = {"examples": len(self.examples)}
        for kind in self.built:
            out[f"{kind}/examples"] = self.built[kind] - self.dropped[kind]
            out[f"{kind}/dropped_long"] = self.dropped[kind]
        if self.examples:
            out["prompt_tokens_mean"] = sum(len(e.prompt_ids) for e in self.examples) / len(self.examples)
            out["prompt_tokens_max"] = max(len(e.prompt_ids) for e in self.examples)
            out["response_tokens"] = sum(len(e.response_ids) for e in self.examples)
        out.update(self.stats)
        return out


Builder = Callable[[BuildContext], Sequence[SFTExample]]
_BUILDERS: dict[str, Builder] = {}


def register_builder(kind: str) -> Callable[[Builder], Builder]:
    """Decorator: register `fn(ctx) -> list[SFTExample]` under `kind` (a name may be taken once)."""
    if not kind or not isinstance(kind, str):
        raise ValueError(f"a builder kind must be a non-empty string, got {kind!r}")

    def deco(fn: Builder) -> Builder:
        if kind in _BUILDERS and _BUILDERS[kind] is not fn:
            raise ValueError(f"SFT example builder {kind!r} is already registered")
        _BUILDERS[kind] = fn
        return fn

    return deco


def _load_builtins() -> None:
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


def builder_kinds() -> list[str]:
    _load_builtins()
    return sorted(_BUILDERS)


def get_builder(kind: str) -> Builder:
    """The builder of `kind`; an unknown kind is a one-line UserError naming the registered ones."""
    _load_builtins()
    if kind not in _BUILDERS:
        raise UserError(f"unknown SFT example kind {kind!r}; allowed: {', '.join(sorted(_BUILDERS))}")
    return _BUILDERS[kind]


def check_kinds(kinds: Sequence[str]) -> None:
    """Fail before any work when a configured kind is unknown or none is given."""
    if not kinds:
        raise UserError(f"sft.kinds is empty; allowed: {', '.join(builder_kinds())}")
    for kind in kinds:
        get_builder(kind)


def encode_response(tokenizer: PreTrainedTokenizerBase, action: str, think: str | None = None) -> list[int]:
    """Ids of `<action>{action}</action>` (with `<think>{think}</think>` first when `think` is a string).

    No end-of-turn token: the sampler ends a response at the `</action>` stop string, so rollout
    responses end there too, and the model learns to close the tag right after the action.
    """
    text = f"<action>{action}</action>"
    if think is not None:
        text = f"<think>{think}</think>{text}"
    return list(tokenizer.encode(text, add_special_tokens=False))


def build_examples(cfg: Config, tokenizer: PreTrainedTokenizerBase) -> SFTData:
    """Run every builder named in `cfg.sft.kinds`; drop (and count) examples whose prompt is too long."""
    check_kinds(cfg.sft.kinds)
    ctx = BuildContext(cfg=cfg, tokenizer=tokenizer)
    examples: list[SFTExample] = []
    built: dict[str, int] = {}
    dropped: dict[str, int] = {}
    for kind in cfg.sft.kinds:
        made = list(get_builder(kind)(ctx))
        kept = [e for e in made if len(e.prompt_ids) <= cfg.sft.max_prompt_tokens]
        built[kind] = built.get(kind, 0) + len(made)
        dropped[kind] = dropped.get(kind, 0) + len(made) - len(kept)
        examples += kept
    return SFTData(examples=examples, built=built, dropped=dropped, stats=dict(ctx.stats))
