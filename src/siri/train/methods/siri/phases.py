"""SIRI's bookkeeping as pure functions and small state objects (docs/algorithms.md §4).

- the phase machine: Phase 0 (GiGPO warm-up) ends when the success buffer holds N_req successes and
  at least `min_warmup_iters` ran, or at `max_warmup_iters`; Phase 1 (mining + paired validation)
  hands over to Phase 2 (internalization) once it ran `phase1_min_iters` and some skill passes the
  internalization gate, or at `phase1_max_iters` (ours: the paper gives no rule);
- the λ ramp: λ(k) = λ_max · min(1, (k + 1) / K_ramp), k = 0 on Phase 2's first iteration, so that
  iteration already trains with λ_max / K_ramp (a ramp from 0 would waste its gated tokens) and λ_max
  is reached on Phase 2's K_ramp-th iteration;
- the success buffer: bounded per task type, newest kept.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from siri.agent import EpisodeRecord


@dataclass
class PhaseState:
    phase: int = 0
    phase1_start: int | None = None
    phase2_start: int | None = None

    @property
    def name(self) -> str:
        return f"phase{self.phase}"


def advance_phase(state: PhaseState, iteration: int, successes: int, internalizable: bool, cfg: Any) -> PhaseState:
    """The phase for `iteration`, given the state after the previous iteration.

    `successes` is the success buffer's size before this iteration, `internalizable` whether some skill
    passes the internalization gate. `cfg` is the `siri` config section.
    """
    s = PhaseState(**asdict(state))
    if s.phase == 0:
        done = (successes >= cfg.n_req and iteration >= cfg.min_warmup_iters) or iteration >= cfg.max_warmup_iters
        if not cfg.warmup or done:
            s.phase, s.phase1_start = 1, iteration
    if s.phase == 1:
        ran = iteration - (s.phase1_start or 0)
        if (ran >= cfg.phase1_min_iters and internalizable) or ran >= cfg.phase1_max_iters:
            s.phase, s.phase2_start = 2, iteration
    return s


def lambda_at(iteration: int, phase2_start: int | None, lambda_max: float, k_ramp: int) -> float:
    """λ(k) = λ_max · min(1, (k + 1) / K_ramp) with k = iteration − phase2_start; 0 before Phase 2."""
    if phase2_start is None or iteration < phase2_start:
        return 0.0
    return lambda_max * min(1.0, (iteration - phase2_start + 1) / k_ramp)


class SuccessBuffer:
    """Successful plain trajectories per task type, at most `bound` each (the oldest leave first)."""

    def __init__(self, bound: int):
        self.bound = bound
        self._by_type: dict[str, deque[EpisodeRecord]] = {}

    def add(self, task_type: str, record: EpisodeRecord) -> None:
        self._by_type.setdefault(task_type, deque(maxlen=self.bound)).append(record)

    def __len__(self) -> int:
        return sum(len(q) for q in self._by_type.values())

    def task_types(self) -> list[str]:
        return sorted(t for t, q in self._by_type.items() if q)

    def latest(self, task_type: str, k: int) -> list[EpisodeRecord]:
        return list(self._by_type.get(task_type, ()))[-k:]

    def state_dict(self) -> dict[str, list[dict]]:
        return {t: [asdict(r) for r in q] for t, q in self._by_type.items()}

    def load_state_dict(self, state: dict[str, list[dict]]) -> None:
        self._by_type = {}
        for t, records in state.items():
            for r in records:
                self.add(t, EpisodeRecord(task=r["task"], actions=tuple(r["actions"]), won=r["won"],
                                          first_observation=r.get("first_observation", "")))
