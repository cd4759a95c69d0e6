"""Typed contracts between the rollout engine and the trainer (docs/algorithms.md §0).

One `StepRow` is one turn of one trajectory and one training sample. Token ids are exactly what the
policy was conditioned on and sampled (token-in, token-out): nothing downstream re-tokenizes text.
Method-specific data travels as prompt views (`prompts`) and free tags (`meta`), never as new fields,
so the rollout types do not change when a method is added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SAMPLED = "sampled"  # the prompt view the policy acted on; every row has it


@dataclass
class StepRow:
    group_id: int  # episode group: N trajectories from the same initial state
    traj_id: int  # unique across the batch
    t: int  # step index in the trajectory
    prompts: dict[str, list[int]]  # view -> prompt ids: "sampled" (acted on), plus any a method asked for
    response_ids: list[int]  # the sampled ids
    behavior_logprobs: list[float]  # log-probs of response_ids under the sampling policy
    action_span: tuple[int, int] | None  # [start, end) response positions inside <action>…</action>
    reward: float  # r_t from the environment
    valid: bool  # the response parsed into an action
    anchor: str  # raw env observation before this step
    task_type: str
    meta: dict[str, Any] = field(default_factory=dict)  # the trajectory's tags from its variant
    action: str = ""  # what was sent to the environment
    response_text: str = ""

    @property
    def prompt_ids(self) -> list[int]:
        """The prompt the policy acted on (the "sampled" view)."""
        return self.prompts[SAMPLED]


@dataclass
class Trajectory:
    """Per-trajectory outcome; `rows` index into the batch's row list in step order."""

    group_id: int
    traj_id: int
    seed: int
    task: str
    task_type: str
    meta: dict[str, Any] = field(default_factory=dict)  # tags from the trajectory's variant (e.g. skill_id)
    rows: list[int] = field(default_factory=list)
    total_reward: float = 0.0
    won: bool = False
    task_score: float | None = None
    steps: list[tuple[str, str]] = field(default_factory=list)  # (observation, action) pairs

    @property
    def length(self) -> int:
        return len(self.rows)


@dataclass
class RolloutBatch:
    rows: list[StepRow]
    trajectories: list[Trajectory]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def env_steps(self) -> int:
        return len(self.rows)
