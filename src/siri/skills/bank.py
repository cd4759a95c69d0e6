"""SIRI's skill bank: candidates, active and retired skills with their utilities (ALGORITHMS.md §4).

- New mined skills enter as **candidates**. Duplicates (same `normalize_skill` text as any skill of the
  same task type, retired ones included, so a retired skill never comes back) are rejected.
- **Paired validation** feeds `record_evaluation` one treatment effect Δ_g per group:
  `U(z) ← U(z) + (Δ_g − U(z)) / n(z)` (running mean), `n(z) ← n(z) + 1`.
- **Bank rules** (`next_state`): once `n(z) ≥ N_eval`, a skill with `U(z) < τ_retire` is retired
  (candidate or active); a candidate with `U(z) > τ_promote` is promoted to active. Between the two
  thresholds a skill keeps its state (ours: an active skill is never demoted to candidate). Retired is
  final: later evaluations (e.g. from other groups of the same batch) are still recorded, the state
  stays retired.
- **Retrieval** (ours): by task type, over candidates and active skills, UCB on U(z) (untried skills
  first) or greedy; see `siri.skills.retrieval`.
- **No-validation ablation** (`validation=False`): every mined skill is active from the start and
  evaluations never change a state (they are still recorded for the report).
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Sequence

from siri.agent import normalize_skill
from siri.skills.records import GENERATORS, Skill, next_indices, read_skills, write_skills
from siri.skills.retrieval import RandomLike, check_mode, choose

STATE_DICT_VERSION = 1


def next_state(state: str, n: int, utility: float, n_eval: int, tau_promote: float,
               tau_retire: float) -> str | None:
    """The state a skill moves to after an evaluation, or None when it stays (bank rules, §4)."""
    if state == "retired" or n < n_eval:
        return None
    if utility < tau_retire:
        return "retired"
    if state == "candidate" and utility > tau_promote:
        return "active"
    return None


def _check_config(n_eval: int, tau_promote: float, tau_retire: float, max_per_type: int | None) -> None:
    if isinstance(n_eval, bool) or not isinstance(n_eval, int) or n_eval < 1:
        raise ValueError(f"n_eval must be an integer >= 1, got {n_eval!r}")
    if tau_retire > 0:
        raise ValueError(f"tau_retire must be <= 0 (ALGORITHMS.md §4), got {tau_retire}")
    if tau_promote < tau_retire:
        raise ValueError(f"tau_promote ({tau_promote}) must be >= tau_retire ({tau_retire})")
    if max_per_type is not None and max_per_type < 1:
        raise ValueError(f"max_per_type must be >= 1 or None, got {max_per_type}")


class SkillBank:
    """The bank of SIRI text skills, keyed by id `<task_type>-<k>` (k counts per task type from 1).

    `max_per_type` (ours, default unbounded) caps the live (candidate + active) skills of a task type;
    skills mined past the cap are dropped and counted in `n_over_cap`.
    """

    def __init__(self, n_eval: int = 3, tau_promote: float = 0.0, tau_retire: float = 0.0,
                 max_per_type: int | None = None, validation: bool = True):
        _check_config(n_eval, tau_promote, tau_retire, max_per_type)
        self.n_eval = n_eval
        self.tau_promote = float(tau_promote)
        self.tau_retire = float(tau_retire)
        self.max_per_type = max_per_type
        self.validation = validation
        self.n_over_cap = 0
        self._skills: dict[str, Skill] = {}  # creation order
        self._next_index: dict[str, int] = {}

    # ---- reading -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._skills)

    def __contains__(self, skill_id: object) -> bool:
        return skill_id in self._skills

    def get(self, skill_id: str) -> Skill:
        try:
            return self._skills[skill_id]
        except KeyError:
            raise KeyError(f"no skill {skill_id!r} in the bank") from None

    def skills(self, task_type: str | None = None, state: str | None = None) -> list[Skill]:
        """Skills in creation order, optionally of one task type and/or one state."""
        return [s for s in self._skills.values()
                if (task_type is None or s.task_type == task_type) and (state is None or s.state == state)]

    def active(self, task_type: str) -> list[Skill]:
        return self.skills(task_type, "active")

    def candidates(self, task_type: str) -> list[Skill]:
        return self.skills(task_type, "candidate")

    def task_types(self) -> list[str]:
        return sorted({s.task_type for s in self._skills.values()})

    def counts(self, task_type: str | None = None) -> dict[str, int]:
        """Metrics: `size` (all skills ever added), `candidates`, `active`, `retired`."""
        skills = self.skills(task_type)
        return {
            "size": len(skills),
            "candidates": sum(s.state == "candidate" for s in skills),
            "active": sum(s.state == "active" for s in skills),
            "retired": sum(s.state == "retired" for s in skills),
        }

    def internalizable(self, skill_id: str) -> bool:
        """Whether Phase 2 may internalize tokens guided by this skill (§4, condition 2): active with
        U(z) > 0; under the no-validation ablation, any skill that is not retired."""
        skill = self.get(skill_id)
        if not self.validation:
            return skill.state != "retired"
        return skill.state == "active" and skill.utility > 0

    # ---- writing -------------------------------------------------------------------------------
    def _new_id(self, task_type: str) -> str:
        k = self._next_index.get(task_type, 1)
        self._next_index[task_type] = k + 1
        return f"{task_type}-{k}"

    def add_candidates(self, task_type: str, texts: Iterable[str], generator: str,
                       source: Sequence[Any] = (), iteration: int = 0) -> tuple[list[str], int]:
        """Add mined skills as candidates; returns (ids added, number rejected as duplicates).

        Blank texts are ignored. Under `validation=False` the new skills are active at once (the
        change candidate -> active is recorded in their history).
        """
        if generator not in GENERATORS:
            raise ValueError(f"unknown skill generator {generator!r}; allowed: {', '.join(GENERATORS)}")
        seen = {normalize_skill(s.text) for s in self.skills(task_type)}
        added: list[str] = []
        duplicates = 0
        for text in texts:
            text = text.strip()
            if not text:
                continue
            key = normalize_skill(text)
            if key in seen:
                duplicates += 1
                continue
            if self.max_per_type is not None and self._live(task_type) >= self.max_per_type:
                self.n_over_cap += 1
                continue
            seen.add(key)
            skill = Skill(id=self._new_id(task_type), task_type=task_type, text=text, created_iter=int(iteration),
                          generator=generator, source_trajs=list(source))
            if not self.validation:
                skill.change_state("active", iteration)
            self._skills[skill.id] = skill
            added.append(skill.id)
        return added, duplicates

    def _live(self, task_type: str) -> int:
        return sum(s.state != "retired" for s in self.skills(task_type))

    def record_evaluation(self, skill_id: str, delta: float, iteration: int, group: int | str | None = None,
                          skill_mean: float | None = None, plain_mean: float | None = None,
                          apply_rules: bool = True) -> dict[str, Any] | None:
        """Record one paired evaluation Δ_g, update U(z) and n(z), apply the bank rules (unless
        `apply_rules=False`: a caller recording several groups of one iteration applies them once after,
        so the groups' order cannot decide a skill's state).

        Returns the state change `{iteration, from, to}` when there is one, else None.
        """
        skill = self.get(skill_id)
        skill.n += 1
        skill.utility += (float(delta) - skill.utility) / skill.n
        skill.evaluations.append({
            "iteration": int(iteration), "group": group, "delta": float(delta),
            "skill_mean": skill_mean, "plain_mean": plain_mean, "utility": skill.utility,
        })
        return self.apply_rules(skill_id, iteration) if apply_rules else None

    def apply_rules(self, skill_id: str, iteration: int) -> dict[str, Any] | None:
        """Promote or retire a skill by its current U(z) and n(z) (§4); the state change, or None."""
        skill = self.get(skill_id)
        if not self.validation:
            return None
        new = next_state(skill.state, skill.n, skill.utility, self.n_eval, self.tau_promote, self.tau_retire)
        return skill.change_state(new, iteration) if new is not None else None

    # ---- retrieval -----------------------------------------------------------------------------
    def best_active(self, task_type: str) -> Skill | None:
        """The active skill of `task_type` with the highest U(z) (ties: more evaluations, then the older
        one), or None: what a skill-prompted evaluation puts in the prompt."""
        pool = self.active(task_type)
        return max(pool, key=lambda s: (s.utility, s.n, -pool.index(s))) if pool else None

    def select(self, task_type: str, rng: RandomLike, mode: str = "ucb", c: float = 1.0) -> Skill | None:
        """A skill of `task_type` among candidates and active ones (UCB on U(z) or greedy), or None."""
        check_mode(mode)
        pool = [s for s in self.skills(task_type) if s.state != "retired"]
        index = choose([s.utility for s in pool], [s.n for s in pool], rng, mode, c)
        return None if index is None else pool[index]

    # ---- persistence ---------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        return {"n_eval": self.n_eval, "tau_promote": self.tau_promote, "tau_retire": self.tau_retire,
                "max_per_type": self.max_per_type, "validation": self.validation}

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the bank as JSONL (one skill per line, sorted keys), atomically."""
        write_skills(path, self._skills.values())

    @classmethod
    def load(cls, path: str | os.PathLike[str], **config: Any) -> "SkillBank":
        """A bank from a JSONL file (its SIRI skills) with the given bank settings."""
        bank = cls(**config)
        bank._restore([s for s in read_skills(path) if s.kind == "siri"])
        return bank

    def _restore(self, skills: Iterable[Skill]) -> None:
        self._skills = {}
        for skill in skills:
            if skill.id in self._skills:
                raise ValueError(f"duplicate skill id {skill.id!r}")
            self._skills[skill.id] = skill
        self._next_index = next_indices(self._skills.values())

    def state_dict(self) -> dict[str, Any]:
        return {"version": STATE_DICT_VERSION, "config": self.config(), "n_over_cap": self.n_over_cap,
                "skills": [s.to_json() for s in self._skills.values()],
                "next_index": dict(self._next_index)}

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> "SkillBank":
        if state.get("version") != STATE_DICT_VERSION:
            raise ValueError(f"unsupported skill bank state version {state.get('version')!r}")
        bank = cls(**state["config"])
        bank._restore(Skill.from_json(r) for r in state["skills"])
        bank._next_index.update(state.get("next_index", {}))
        bank.n_over_cap = int(state.get("n_over_cap", 0))
        return bank

