"""The skill store both skill methods keep (docs/algorithms.md §4 SIRI, §5 Skill-SD).

SIRI's bank and Skill-SD's library keep the same thing: `Skill` records per task type with ids
`<task_type>-<k>` (k counts per task type from 1 and is never reused), a running-mean utility over
the values each skill received, and one selection rule (`siri.skills.retrieval.choose`) over the
skills still live (not retired). They differ only in their rules, so those live in two subclasses:

- `siri.skills.bank.SkillBank`: SIRI's validation rules (candidate → active / retired);
- `siri.skills.library.SkillLibrary`: Skill-SD's bandit rules (arms, retire the worst when full).

A store saves to and loads from the one skills.jsonl format (`siri.skills.records`); each subclass
reads back only the records of its own `kind`, so one file format serves both methods.
"""

from __future__ import annotations

import os
from typing import Any, Hashable, Iterable, Mapping, Sequence, TypeVar

from siri.skills.records import GENERATORS, Skill, next_indices, read_skills, write_skills
from siri.skills.retrieval import RandomLike, check_mode, choose
from siri.utils.errors import UserError

STATE_DICT_VERSION = 1
S = TypeVar("S", bound="SkillStore")


class SkillStore:
    """Skills of one kind, keyed by id `<task_type>-<k>`, in creation order.

    Subclasses set `kind` (the records they hold), `noun` (how messages name the store), implement
    `key` (when two skills are the same) and `config` (the settings `cls(**config)` rebuilds them from).
    `max_per_type` (ours, default unbounded) caps the live skills of a task type; what a subclass does
    at the cap differs, but skills it turns away are counted in `n_over_cap`.
    """

    kind: str  # the records it holds: "siri" or "structured" (`siri.skills.records.KINDS`)
    noun: str  # "bank" or "library"
    ucb_c = 1.0  # the exploration constant `select` uses when given none

    def __init__(self, max_per_type: int | None = None):
        if max_per_type is not None and max_per_type < 1:
            raise ValueError(f"max_per_type must be >= 1 or None, got {max_per_type}")
        self.max_per_type = max_per_type
        self.n_over_cap = 0
        self._skills: dict[str, Skill] = {}
        self._next_index: dict[str, int] = {}

    # ---- rules a subclass supplies ---------------------------------------------------------------
    def key(self, skill: Skill) -> Hashable:  # pragma: no cover - abstract
        """What must differ between two skills of one task type for both to be kept."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def check(self, skill: Skill) -> None:
        """Raise ValueError when a restored record cannot belong to this store."""

    # ---- reading ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._skills)

    def __contains__(self, skill_id: object) -> bool:
        return skill_id in self._skills

    def get(self, skill_id: str) -> Skill:
        try:
            return self._skills[skill_id]
        except KeyError:
            raise KeyError(f"no skill {skill_id!r} in the {self.noun}") from None

    def skills(self, task_type: str | None = None, state: str | None = None) -> list[Skill]:
        """Skills in creation order, optionally of one task type and/or one state."""
        return [s for s in self._skills.values()
                if (task_type is None or s.task_type == task_type) and (state is None or s.state == state)]

    def live(self, task_type: str | None = None) -> list[Skill]:
        """The skills not retired, in creation order: the ones `select` chooses among."""
        return [s for s in self.skills(task_type) if s.state != "retired"]

    def task_types(self) -> list[str]:
        return sorted({s.task_type for s in self._skills.values()})

    def seen(self, task_type: str) -> set[Hashable]:
        """The keys of every skill of `task_type`, retired ones included, so a retired skill never
        comes back as a new one."""
        return {self.key(s) for s in self.skills(task_type)}

    def full(self, task_type: str) -> bool:
        return self.max_per_type is not None and len(self.live(task_type)) >= self.max_per_type

    # ---- writing ---------------------------------------------------------------------------------
    def _insert(self, task_type: str, text: str, generator: str, source: Sequence[Any], iteration: int,
                **fields: Any) -> Skill:
        """A new skill with the next id of its task type, stored (duplicates are the caller's check)."""
        k = self._next_index.get(task_type, 1)
        self._next_index[task_type] = k + 1
        skill = Skill(id=f"{task_type}-{k}", task_type=task_type, text=text, created_iter=int(iteration),
                      generator=generator, source_trajs=list(source), kind=self.kind, **fields)
        self._skills[skill.id] = skill
        return skill

    @staticmethod
    def check_generator(generator: str) -> None:
        if generator not in GENERATORS:
            raise ValueError(f"unknown skill generator {generator!r}; allowed: {', '.join(GENERATORS)}")

    def _observe(self, skill_id: str, value: float, entry: dict[str, Any]) -> Skill:
        """One more value for a skill: `U ← U + (value − U) / n` after `n ← n + 1`; `entry` is kept
        in its history with the new utility."""
        skill = self.get(skill_id)
        skill.n += 1
        skill.utility += (float(value) - skill.utility) / skill.n
        skill.evaluations.append({**entry, "utility": skill.utility})
        return skill

    # ---- selection -------------------------------------------------------------------------------
    def select(self, task_type: str, rng: RandomLike, mode: str = "ucb", c: float | None = None,
               state: str | None = None, pending: Mapping[str, int] | None = None) -> Skill | None:
        """A live skill of `task_type` (UCB on the utility with `c`, default `ucb_c`, or greedy), or None;
        only among skills in `state` when it is given. `pending` adds pulls chosen but not yet rewarded
        to a skill's count, so that choices made before any reward arrives spread over the skills."""
        check_mode(mode)
        pool = [s for s in self.live(task_type) if state is None or s.state == state]
        counts = [s.n + (pending or {}).get(s.id, 0) for s in pool]
        index = choose([s.utility for s in pool], counts, rng, mode, self.ucb_c if c is None else c)
        return None if index is None else pool[index]

    # ---- persistence -----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the skills as JSONL (one per line, sorted keys), atomically."""
        write_skills(path, self._skills.values())

    @classmethod
    def load(cls: type[S], path: str | os.PathLike[str], **config: Any) -> S:
        """A store from a JSONL file (the records of its kind) with the given settings; a file that
        cannot be one (a duplicate id, a record this store refuses) is a one-line UserError."""
        store = cls(**config)
        try:
            store._restore([s for s in read_skills(path) if s.kind == cls.kind])
        except ValueError as e:
            raise UserError(f"skill bank {path}: {e}") from None
        return store

    def _restore(self, skills: Iterable[Skill]) -> None:
        self._skills = {}
        for skill in skills:
            if skill.id in self._skills:
                raise ValueError(f"duplicate skill id {skill.id!r}")
            self.check(skill)
            self._skills[skill.id] = skill
        self._next_index = next_indices(self._skills.values())

    def state_dict(self) -> dict[str, Any]:
        return {"version": STATE_DICT_VERSION, "config": self.config(), "n_over_cap": self.n_over_cap,
                "skills": [s.to_json() for s in self._skills.values()],
                "next_index": dict(self._next_index)}

    @classmethod
    def from_state_dict(cls: type[S], state: dict[str, Any]) -> S:
        if state.get("version") != STATE_DICT_VERSION:
            raise ValueError(f"unsupported skill {cls.noun} state version {state.get('version')!r}")
        store = cls(**state["config"])
        store._restore(Skill.from_json(r) for r in state["skills"])
        store._next_index.update(state.get("next_index", {}))
        store.n_over_cap = int(state.get("n_over_cap", 0))
        return store
