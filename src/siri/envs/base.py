"""The contract every environment keeps (docs/environments.md, "Common contract").

Environments are plain Python: importing one must never import torch or any ML library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


class EnvError(ValueError):
    """Bad environment name, option or split: the message names what is allowed."""


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise EnvError(f"unknown split {split!r}; allowed: {', '.join(SPLITS)}")
    return split
