"""SIRI's skill bank: the store under the validation rules (docs/algorithms.md §4).

- New mined skills enter as **candidates**. Duplicates (same `normalize_skill` text as any skill of the
  same task type, retired ones included, so a retired skill never comes back) are rejected.
- **Paired validation** feeds `record_evaluation` one treatment effect Δ_g per group:
  `U(z) ← U(z) + (Δ_g − U(z)) / n(z)` (running mean), `n(z) ← n(z) + 1`.
- **Bank rules** (`next_state`): once `n(z) ≥ N_eval`, a candidate is decided: promoted to active when
  `U(z) > τ_promote`, else retired (ours: a candidate left between the thresholds, or at U = 0 when
  both are 0, as when both arms of every group failed, would keep its slot forever). An active skill
  is retired when `U(z) < τ_retire` and is never demoted to candidate. Retired is final: later
  evaluations (e.g. from other groups of the same batch) are still recorded, the state stays retired.
- **Retrieval** (ours): by task type, over candidates and active skills, UCB on U(z) (untried skills
  first) or greedy; see `siri.skills.retrieval`.
- **No-validation ablation** (`validation=False`): every mined skill is active from the start and
  evaluations never change a state (they are still recorded for the report).
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from siri.agent import normalize_skill
from siri.skills.records import Skill
from siri.skills.store import SkillStore


def next_state(state: str, n: int, utility: float, n_eval: int, tau_promote: float,
               tau_retire: float) -> str | None:
    """The state a skill moves to after an evaluation, or None when it stays (bank rules, §4)."""
    if state == "retired" or n < n_eval:
        return None
    if state == "candidate":
        return "active" if utility > tau_promote else "retired"
    return "retired" if utility < tau_retire else None


def _check_config(n_eval: int, tau_promote: float, tau_retire: float) -> None:
    if isinstance(n_eval, bool) or not isinstance(n_eval, int) or n_eval < 1:
        raise ValueError(f"n_eval must be an integer >= 1, got {n_eval!r}")
    if tau_retire > 0:
        raise ValueError(f"tau_retire must be <= 0 (docs/algorithms.md §4), got {tau_retire}")
    if tau_promote < tau_retire:
        raise ValueError(f"tau_promote ({tau_promote}) must be >= tau_retire ({tau_retire})")


class SkillBank(SkillStore):
    """SIRI text skills under the validation rules.

    `max_per_type` caps the live (candidate + active) skills of a task type; skills mined past the cap
    are dropped and counted in `n_over_cap`.
    """

    kind = "siri"
    noun = "bank"

    def __init__(self, n_eval: int = 3, tau_promote: float = 0.0, tau_retire: float = 0.0,
                 max_per_type: int | None = None, validation: bool = True):
        _check_config(n_eval, tau_promote, tau_retire)
        super().__init__(max_per_type)
        self.n_eval = n_eval
        self.tau_promote = float(tau_promote)
        self.tau_retire = float(tau_retire)
        self.validation = validation

    def key(self, skill: Skill) -> str:
        return normalize_skill(skill.text)

    def config(self) -> dict[str, Any]:
        return {"n_eval": self.n_eval, "tau_promote": self.tau_promote, "tau_retire": self.tau_retire,
                "max_per_type": self.max_per_type, "validation": self.validation}

    # ---- reading ---------------------------------------------------------------------------------
    def active(self, task_type: str) -> list[Skill]:
        return self.skills(task_type, "active")

    def candidates(self, task_type: str) -> list[Skill]:
        return self.skills(task_type, "candidate")

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

    def best_active(self, task_type: str) -> Skill | None:
        """The active skill of `task_type` with the highest U(z) (ties: more evaluations, then the older
        one), or None: what a skill-prompted evaluation puts in the prompt."""
        pool = self.active(task_type)
        return max(pool, key=lambda s: (s.utility, s.n, -pool.index(s))) if pool else None

    # ---- writing ---------------------------------------------------------------------------------
    def add_candidates(self, task_type: str, texts: Iterable[str], generator: str,
                       source: Sequence[Any] = (), iteration: int = 0) -> tuple[list[str], int]:
        """Add mined skills as candidates; returns (ids added, number rejected as duplicates).

        Blank texts are ignored. Under `validation=False` the new skills are active at once (the
        change candidate -> active is recorded in their history).
        """
        self.check_generator(generator)
        seen = self.seen(task_type)
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
            if self.full(task_type):
                self.n_over_cap += 1
                continue
            seen.add(key)
            skill = self._insert(task_type, text, generator, source, iteration)
            if not self.validation:
                skill.change_state("active", iteration)
            added.append(skill.id)
        return added, duplicates

    def record_evaluation(self, skill_id: str, delta: float, iteration: int, group: int | str | None = None,
                          skill_mean: float | None = None, plain_mean: float | None = None,
                          apply_rules: bool = True) -> dict[str, Any] | None:
        """Record one paired evaluation Δ_g, update U(z) and n(z), apply the bank rules (unless
        `apply_rules=False`: a caller recording several groups of one iteration applies them once after,
        so the groups' order cannot decide a skill's state).

        Returns the state change `{iteration, from, to}` when there is one, else None.
        """
        self._observe(skill_id, delta, {"iteration": int(iteration), "group": group, "delta": float(delta),
                                        "skill_mean": skill_mean, "plain_mean": plain_mean})
        return self.apply_rules(skill_id, iteration) if apply_rules else None

    def apply_rules(self, skill_id: str, iteration: int) -> dict[str, Any] | None:
        """Promote or retire a skill by its current U(z) and n(z) (§4); the state change, or None."""
        skill = self.get(skill_id)
        if not self.validation:
            return None
        new = next_state(skill.state, skill.n, skill.utility, self.n_eval, self.tau_promote, self.tau_retire)
        return skill.change_state(new, iteration) if new is not None else None
