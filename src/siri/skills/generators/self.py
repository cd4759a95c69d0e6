"""The `self` skill generator: a frozen snapshot of the current policy summarizes (docs/algorithms.md §4).

SIRI mines skills with the policy itself, not an external model: at mining time the live policy is
deep-copied (eval mode, no gradients), prompted with `build_summary_prompt` through the model's chat
template, and sampled with `siri.policy.sampling.sample` until the end-of-turn / eos token or
`max_new_tokens`. The reply is parsed strictly (`parse_skills`); malformed lines are counted.

Snapshot policy: `snapshot()` freezes the weights for a mining round (call it once before mining
several task types); `generate` without a prior snapshot takes one for that call and drops it after,
so every summary comes from frozen weights of the moment it was asked for. A prompt longer than the
model's context (minus `max_new_tokens`) drops trajectories from the end until it fits.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from siri.policy.loading import chat_prompt_ids, eos_token_ids
from siri.policy.sampling import sample
from siri.skills.generators.base import PromptedGenerator


def frozen_copy(model: torch.nn.Module) -> torch.nn.Module:
    """A deep copy of `model` in eval mode with every parameter's `requires_grad` off (and no `.grad`).
    A LoRA model is copied whole, base included: correct, not cheap (docs/architecture.md "LoRA"). A
    model sharded over processes cannot be deep-copied: its gathered weights are copied into a plain
    model instead (`siri.policy.sharding.plain_copy`)."""
    from siri.policy.sharding import is_sharded, plain_copy

    if is_sharded(model):
        return plain_copy(model)
    snap = copy.deepcopy(model)
    snap.requires_grad_(False)
    for p in snap.parameters():
        p.grad = None
    return snap.eval()


class SelfGenerator(PromptedGenerator):
    """Skills from a frozen snapshot of the live policy `model` (see the module docstring).

    `seed` makes the draws reproducible: call i samples with seed `seed + i`.
    """

    name = "self"
    prompt_words_only = True

    def __init__(self, model: Any, tokenizer: Any, temperature: float = 0.7, max_new_tokens: int = 96,
                 top_p: float = 1.0, seed: int = 0, max_prompt_tokens: int | None = None):
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        self.model = model
        self.tokenizer = tokenizer
        self.temperature = float(temperature)
        self.max_new_tokens = int(max_new_tokens)
        self.top_p = float(top_p)
        self.seed = int(seed)
        self.calls = 0
        context = getattr(getattr(model, "config", None), "max_position_embeddings", None)
        self.max_prompt_tokens = max_prompt_tokens if max_prompt_tokens is not None else (
            context - self.max_new_tokens if context else None)
        self._snapshot: torch.nn.Module | None = None

    def snapshot(self) -> None:
        """Freeze the live policy's current weights for the next summaries (replaces an older snapshot)."""
        self._snapshot = frozen_copy(self.model)

    def release(self) -> None:
        """Drop the snapshot (frees its memory)."""
        self._snapshot = None

    def fits(self, prompt: str) -> bool:
        if self.max_prompt_tokens is None:
            return True
        return len(chat_prompt_ids(self.tokenizer, prompt)) <= self.max_prompt_tokens

    def complete(self, prompt: str) -> tuple[str, str | None]:
        own = self._snapshot is None
        if own:
            self.snapshot()
        try:
            model = self._snapshot
            ids = chat_prompt_ids(self.tokenizer, prompt)
            out = sample(model, [ids], max_new_tokens=self.max_new_tokens, temperature=self.temperature,
                         top_p=self.top_p, stop=(), tokenizer=self.tokenizer,
                         eos_token_id=eos_token_ids(model, self.tokenizer),
                         pad_token_id=self.tokenizer.pad_token_id, seed=self.seed + self.calls)
            self.calls += 1
            return self.tokenizer.decode(out[0].ids, skip_special_tokens=True), None
        finally:
            if own:
                self.release()
