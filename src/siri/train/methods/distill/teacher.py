"""Teachers for Skill-SD and its baselines (docs/algorithms.md §5): who scores the student's sampled tokens.

- `PolicyTeacher` — π_θ̄, a gradient-stopped copy of the student synchronized every
  `teacher_sync_interval` iterations. With interval 1 the teacher is "the current weights at the
  start of each update": the method is called before the update, so the live policy scored under
  `no_grad` *is* that teacher, and no copy is kept (one model's memory saved, which matters at 7B).
  With interval k > 1 a frozen copy is refreshed at the first iteration and then whenever k
  iterations have passed since the last sync. On resume the copy is re-synced at the first resumed
  iteration (the synced weights are not part of the checkpoint) (ours).
- `CheckpointTeacher` — OPD's fixed teacher, a separate model loaded once from `teacher_path`. Its
  tokenizer must have the student's vocabulary: token-in, token-out scoring feeds it the student's ids.

Teacher log-probs are of the student's *sampled* ids after the teacher's prompt ids (the skill
prompt for Skill-SD / OPSD, the plain one for OPD), at the trainer's scoring temperature, batched.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from siri.policy.scoring import score
from siri.policy.sharding import is_sharded
from siri.skills.generators.self import frozen_copy
from siri.utils.errors import UserError

TEACHER = "teacher"  # the prompt view the teacher scores the student's tokens under (a rollout view)


def teacher_logprobs(model: torch.nn.Module, prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]],
                     temperature: float, batch_size: int, share_prefixes: bool = True) -> list[list[float]]:
    """Per-token log-probs of each response after its prompt under `model`, without gradients."""
    if not prompts:
        return []
    with torch.no_grad():
        lps = score(model, prompts, responses, temperature=temperature, batch_size=batch_size,
                    share_prefixes=share_prefixes)
    return [lp.float().cpu().tolist() for lp in lps]


class PolicyTeacher:
    """The student's weights, frozen at the last sync (see the module docstring)."""

    def __init__(self, interval: int):
        if interval < 1:
            raise ValueError(f"teacher_sync_interval must be >= 1, got {interval}")
        self.interval = int(interval)
        self.copy: torch.nn.Module | None = None
        self.last_sync: int | None = None

    def model(self, iteration: int, policy: torch.nn.Module) -> torch.nn.Module:
        """The teacher for `iteration` (called before that iteration's update)."""
        if self.interval == 1:
            self.last_sync = iteration
            return policy
        if self.copy is None or self.last_sync is None or iteration - self.last_sync >= self.interval:
            self.sync(iteration, policy)
        assert self.copy is not None
        return self.copy

    def sync(self, iteration: int, policy: torch.nn.Module) -> None:
        if self.copy is None or is_sharded(policy):  # a sharded policy's weights copy only whole
            self.copy = frozen_copy(policy)
        else:
            with torch.no_grad():
                self.copy.load_state_dict(policy.state_dict())
        self.last_sync = iteration

    def state_dict(self) -> dict[str, Any]:
        return {"last_sync": self.last_sync}


def same_vocabulary(a: Any, b: Any) -> bool:
    return a.get_vocab() == b.get_vocab()


class CheckpointTeacher:
    """A fixed model loaded from `path` on the first call (OPD), in eval mode with no gradients."""

    def __init__(self, path: str | None, dtype: str):
        if not path:
            raise UserError("algo.teacher=checkpoint (OPD) needs algo.teacher_path: the teacher model's "
                            "directory or hub id")
        self.path, self.dtype = path, dtype
        self._model: torch.nn.Module | None = None

    def model(self, iteration: int, policy: torch.nn.Module, tokenizer: Any = None) -> torch.nn.Module:
        if self._model is None:
            self._model = self._load(policy, tokenizer)
        return self._model

    def _load(self, policy: torch.nn.Module, tokenizer: Any) -> torch.nn.Module:
        from siri.policy.loading import load_policy

        device = str(next(policy.parameters()).device)
        model, teacher_tok = load_policy(self.path, device, self.dtype)
        if tokenizer is not None and not same_vocabulary(tokenizer, teacher_tok):
            raise UserError(f"OPD teacher {self.path!r} has another vocabulary than the student; the teacher "
                            "scores the student's token ids, so both need the same tokenizer")
        model.requires_grad_(False)
        return model.eval()

    def state_dict(self) -> dict[str, Any]:
        return {}
