"""The contract every environment keeps (docs/environments.md, "Common contract").

Environments are plain Python: importing one must never import torch or any ML library.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

SPLITS = ("train", "eval", "unseen")


@dataclass(frozen=True)
class StepResult:
    """What an environment reports after `reset` and after every `step`.

    `anchor` is the raw observation (no template, no history): GiGPO groups steps by it.
    `task_score` is the original environment's own score where it has one (WebShop's R), else None.
    """

    observation: str
    reward: float
    done: bool
    won: bool
    admissible_actions: tuple[str, ...]
    anchor: str
    task: str
    task_type: str
    task_score: float | None = None
    info: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Env(Protocol):
    """A text environment. `reset(seed)` is deterministic; `step` never raises on any string."""

    name: str
    split: str
    max_steps: int

    def reset(self, seed: int) -> StepResult: ...

    def step(self, action: str) -> StepResult: ...


@runtime_checkable
class Oracle(Protocol):
    """Plays an environment that has just been reset; `act` returns the next action text."""

    def act(self, last: StepResult) -> str: ...


def after_done(final: StepResult, **info: Any) -> StepResult:
    """What `step` returns once the episode is over (docs/environments.md, "Common contract").

    The final result again, with reward 0: same observation, anchor, done (True), won, admissible
    actions, task and task score; nothing changes and the step does not count. `info` is a copy of the
    final info with `after_done=True` and the given keys (e.g. the env's own "the action was refused").
    """
    return replace(final, reward=0.0, info={**final.info, **info, "after_done": True})


class EnvError(ValueError):
    """Bad environment name, option or split: the message names what is allowed."""


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise EnvError(f"unknown split {split!r}; allowed: {', '.join(SPLITS)}")
    return split
