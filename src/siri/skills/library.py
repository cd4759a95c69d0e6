"""Skill-SD's skill library: the store under the bandit rules (docs/algorithms.md §5).

Each library entry is an arm: a `StructuredSkill` (success patterns, mistakes to avoid, golden
workflow) with its pulls and mean reward. Retrieval is UCB1 over the arms of the task type (untried
arms first; `siri.skills.retrieval`). An arm's reward (ours) is the group-normalized return of the
trajectories whose rows it taught: `arm_rewards` computes it from `(group, arm, return)` triples.

Entries share the skills.jsonl format (`siri.skills.records`, `kind: "structured"`): `utility` is the
mean reward, `n` the pulls, `evaluations` the rewards received, `structured` the three sections.
Skill-SD has no validation phase, so entries are `active` from the start; `max_per_type` (ours,
default unbounded) retires the worst-rewarded tried arm when a new skill arrives at a full library.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any, Hashable, Iterable, Mapping, Sequence

from siri.agent import StructuredSkill, normalize_skill
from siri.skills.records import Skill
from siri.skills.store import SkillStore


def normalized_returns(returns: Sequence[float], eps: float = 1e-6) -> list[float]:
    """`(R − mean) / (std + ε)` with the unbiased std; a single return keeps mean 0, std 1 (as GiGPO's
    one-row groups, docs/algorithms.md §2), i.e. it is returned unchanged."""
    if len(returns) == 0:
        return []
    if len(returns) == 1:
        return [float(returns[0])]
    mean = statistics.fmean(returns)
    std = statistics.stdev(returns)
    return [(r - mean) / (std + eps) for r in returns]


def arm_rewards(items: Iterable[tuple[Hashable, str | None, float]], eps: float = 1e-6) -> dict[str, list[float]]:
    """Per arm, the group-normalized returns of the trajectories it taught (§5, ours).

    `items` holds one `(group_id, arm_id or None, return)` per trajectory; returns are normalized within
    their group over all its trajectories (taught or not), then collected per arm. Note: when one arm
    teaches every trajectory of a group its normalized returns sum to zero; the reward tells arms
    apart only when arms differ within a group (or between groups of differently taught rollouts).
    """
    groups: dict[Hashable, list[tuple[str | None, float]]] = defaultdict(list)
    for group, arm, ret in items:
        groups[group].append((arm, float(ret)))
    rewards: dict[str, list[float]] = defaultdict(list)
    for members in groups.values():
        for (arm, _), value in zip(members, normalized_returns([r for _, r in members], eps)):
            if arm is not None:
                rewards[arm].append(value)
    return dict(rewards)


def structured_from_json(record: Mapping[str, Sequence[str]]) -> StructuredSkill:
    return StructuredSkill(success_patterns=tuple(record["success_patterns"]), mistakes=tuple(record["mistakes"]),
                           workflow=tuple(record["workflow"]))


def dedup_key(skill: StructuredSkill) -> tuple[tuple[str, ...], ...]:
    """Two structured skills are the same when every item matches after `normalize_skill`."""
    return tuple(tuple(normalize_skill(x) for x in items)
                 for items in (skill.success_patterns, skill.mistakes, skill.workflow))


class SkillLibrary(SkillStore):
    """Skill-SD's structured skills per task type, each an arm of a UCB bandit."""

    kind = "structured"
    noun = "library"

    def __init__(self, ucb_c: float = 1.0, max_per_type: int | None = None):
        if ucb_c < 0:
            raise ValueError(f"ucb_c must be >= 0, got {ucb_c}")
        super().__init__(max_per_type)
        self.ucb_c = float(ucb_c)

    def key(self, skill: Skill) -> tuple[tuple[str, ...], ...]:
        return dedup_key(structured_from_json(skill.structured or {}))

    def config(self) -> dict[str, Any]:
        return {"ucb_c": self.ucb_c, "max_per_type": self.max_per_type}

    def check(self, skill: Skill) -> None:
        if skill.structured is None:
            raise ValueError(f"structured skill {skill.id!r} has no sections")

    def structured(self, arm_id: str) -> StructuredSkill:
        return structured_from_json(self.get(arm_id).structured or {})

    def arms(self, task_type: str | None = None, include_retired: bool = False) -> list[Skill]:
        return self.skills(task_type) if include_retired else self.live(task_type)

    def counts(self, task_type: str | None = None) -> dict[str, int]:
        arms = self.skills(task_type)
        return {"size": len(arms), "active": sum(a.state == "active" for a in arms),
                "retired": sum(a.state == "retired" for a in arms), "pulls": sum(a.n for a in arms)}

    def add(self, task_type: str, skill: StructuredSkill, generator: str, source: Sequence[Any] = (),
            iteration: int = 0) -> str | None:
        """Add a skill as a new arm; None when it duplicates one of the task type, retired ones included
        (every item equal after `normalize_skill`), or the library is full of untried arms. A full
        library otherwise retires its worst-rewarded tried arm (the oldest on a tie) to make room."""
        self.check_generator(generator)
        if dedup_key(skill) in self.seen(task_type):
            return None
        if self.full(task_type):
            tried = [a for a in self.live(task_type) if a.n > 0]
            if not tried:
                self.n_over_cap += 1
                return None
            min(tried, key=lambda a: a.utility).change_state("retired", iteration)
        sections = {"success_patterns": list(skill.success_patterns), "mistakes": list(skill.mistakes),
                    "workflow": list(skill.workflow)}
        return self._insert(task_type, skill.to_text(), generator, source, iteration, state="active",
                            structured=sections).id

    def update(self, arm_id: str, reward: float, iteration: int = 0) -> None:
        """One pull with `reward`: running mean of the rewards, pull count + 1, reward kept in history."""
        self._observe(arm_id, reward, {"iteration": int(iteration), "reward": float(reward)})
