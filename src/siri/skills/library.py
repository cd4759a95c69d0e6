"""Skill-SD's skill library: the store under the bandit rules (docs/algorithms.md §5).

Each library entry is an arm: a `StructuredSkill` (success patterns, mistakes to avoid, golden
workflow) with its pulls and mean reward. Retrieval is UCB1 over the arms of the task type (untried
arms first; `siri.skills.retrieval`). The arm rewards are computed by the method
(`siri.train.methods.distill.skills`).

Entries share the skills.jsonl format (`siri.skills.records`, `kind: "structured"`): `utility` is the
mean reward, `n` the pulls, `evaluations` the rewards received, `structured` the three sections.
Skill-SD has no validation phase, so entries are `active` from the start; `max_per_type` (ours,
default unbounded) retires the worst-rewarded tried arm when a new skill arrives at a full library.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from siri.agent import StructuredSkill, normalize_skill
from siri.skills.records import Skill
from siri.skills.store import SkillStore


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
