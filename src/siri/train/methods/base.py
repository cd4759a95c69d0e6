"""The method contract (docs/architecture.md "Algorithms"): rollouts in, training rows and a loss
plan out. A method subclasses `Method`, implements `prepare`, and overrides only the hooks it needs;
the loop calls every hook on every method, so it never asks which method runs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from siri.config import Config
from siri.rollout.engine import VariantFn
from siri.rollout.types import RolloutBatch
from siri.train.batch import TrainRow
from siri.train.distributed import SINGLE, World
from siri.train.update import LossPlan


def scoring_temperature(cfg: Config) -> float:
    """The temperature every log-prob of an update is taken at: the sampling temperature, or 1 for
    greedy sampling (the sampler records greedy log-probs at T = 1, `siri.policy.scoring`)."""
    return max(cfg.sampling.temperature, 0.0) or 1.0


@dataclass
class MethodContext:
    """What a method may read besides the rollouts: the config, the iteration, reference log-probs."""

    cfg: Config
    iteration: int
    ref_logprobs: list[list[float]] | None = None  # per row, sampled view, under the frozen reference
    model: Any = None  # the current policy (methods may snapshot it, never train it here)
    tokenizer: Any = None
    run_dir: Path | None = None  # where a method may persist its own files (e.g. skills.jsonl); None off rank 0
    # Several processes (docs/architecture.md "Many processes"): rank 0 decides the method's shared
    # state from every rank's rollouts and `world.share_state` hands it to the other ranks.
    world: World = SINGLE
    rollouts: RolloutBatch | None = None  # every rank's rollouts (prompts stripped), on rank 0 only

    def all_rollouts(self, batch: RolloutBatch) -> RolloutBatch | None:
        """The iteration's rollouts of every rank on the rank that decides shared state, None on the
        others; in one process `batch` itself."""
        return batch if not self.world.distributed else self.rollouts


@dataclass
class Prepared:
    """A method's answer for one iteration. `metrics` go to metrics.jsonl as they are, except `phase`
    (the row's phase label, default algo.name)."""

    rows: list[TrainRow]
    plan: LossPlan
    metrics: dict[str, Any] = field(default_factory=dict)


class Method(ABC):
    """Base of every training method. `cfg.algo` is the method's own config class (the one it was
    registered with), so a method reads its options as `self.algo.<field>`."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.algo: Any = cfg.algo
        self.name: str = cfg.algo.name

    def begin_iteration(self, iteration: int, seeds: Sequence[int]) -> VariantFn | None:
        """Before the rollout of `iteration` (group g starts from `seeds[g]`): the prompt variant of
        each trajectory, or None for plain prompts throughout."""
        return None

    @abstractmethod
    def prepare(self, batch: RolloutBatch, ctx: MethodContext) -> Prepared:
        """Turn the rollout into training rows (every per-token field its loss terms read, on every
        row) and the loss plan of this iteration."""

    def end_iteration(self, ctx: MethodContext) -> None:
        """After the update: persist the method's own files (e.g. RUN_DIR/skills.jsonl)."""

    def status(self, row: Mapping[str, Any]) -> list[str]:
        """Short `label value` strings for the progress bar, read from this iteration's metrics row."""
        return []

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint must hold to resume this method exactly (plain types only)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore `state_dict()`'s output; `{}` (a checkpoint without method state) is a no-op."""
