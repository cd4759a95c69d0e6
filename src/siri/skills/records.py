"""One skill and its history, and the JSONL file a person can read (docs/algorithms.md §4 "Bank rules").

The bank file (`runs/<name>/skills.jsonl`, docs/architecture.md "Run directory") holds one skill per line,
keys sorted, UTF-8 kept as is. SIRI skills (`kind: "siri"`) and Skill-SD structured skills
(`kind: "structured"`, which add a `structured` object) share the same keys, so `siri skills` and the
report plots read both:

    id, kind, task_type, text, state, utility, n, created_iter, generator, source_trajs,
    evaluations, state_changes

For SIRI, `utility` is U(z), the running mean of the paired treatment effects Δ_g, `n` is n(z) and each
evaluation is `{iteration, group, delta, skill_mean, plain_mean}`. For Skill-SD, `utility` is the arm's
mean reward, `n` its pulls and each evaluation is `{iteration, reward}`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable

from siri.utils.atomic import atomic_write_text
from siri.utils.errors import UserError
from siri.utils.textfiles import read_jsonl

STATES = ("candidate", "active", "retired")
GENERATORS = ("self", "external", "extractive")
KINDS = ("siri", "structured")


@dataclass
class Skill:
    """A skill: its text, where it came from, its state and every evaluation it received."""

    id: str
    task_type: str
    text: str
    state: str = "candidate"
    utility: float = 0.0
    n: int = 0
    created_iter: int = 0
    generator: str = "self"
    source_trajs: list[Any] = field(default_factory=list)
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    state_changes: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "siri"
    structured: dict[str, list[str]] | None = None  # Skill-SD sections, kind == "structured" only

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        if record["structured"] is None:
            del record["structured"]
        return record

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> "Skill":
        """A skill from one JSONL record; unknown keys are ignored, missing required ones are an error."""
        if not isinstance(record, dict):
            raise ValueError(f"expected a JSON object, got {type(record).__name__}")
        known = {f.name for f in fields(cls)}
        missing = [k for k in ("id", "task_type", "text") if k not in record]
        if missing:
            raise ValueError(f"skill record lacks {', '.join(missing)}")
        _check_types(record)
        skill = cls(**{k: v for k, v in record.items() if k in known})
        if skill.state not in STATES:
            raise ValueError(f"skill {skill.id!r} has unknown state {skill.state!r}; allowed: {', '.join(STATES)}")
        if skill.kind not in KINDS:
            raise ValueError(f"skill {skill.id!r} has unknown kind {skill.kind!r}; allowed: {', '.join(KINDS)}")
        skill.utility = float(skill.utility)
        skill.n = int(skill.n)
        return skill

    def change_state(self, new: str, iteration: int) -> dict[str, Any]:
        """Move to state `new`, append the change to the history and return it."""
        change = {"iteration": int(iteration), "from": self.state, "to": new}
        self.state = new
        self.state_changes.append(change)
        return change


_STR_KEYS = ("id", "task_type", "text", "state", "generator", "kind")
_LIST_KEYS = ("source_trajs", "evaluations", "state_changes")


def _check_types(record: dict[str, Any]) -> None:
    """The types every reader of a skill relies on (the values are checked by `from_json`)."""
    for key in _STR_KEYS:
        if key in record and not isinstance(record[key], str):
            raise ValueError(f"{key} must be a string, got {type(record[key]).__name__}")
    for key in _LIST_KEYS:
        if key in record and not isinstance(record[key], list):
            raise ValueError(f"{key} must be a list, got {type(record[key]).__name__}")
    for key in ("evaluations", "state_changes"):
        if any(not isinstance(e, dict) for e in record.get(key, [])):
            raise ValueError(f"{key} entries must be objects")
    for key in ("utility", "n", "created_iter"):
        if key in record and (isinstance(record[key], bool) or not isinstance(record[key], (int, float))):
            raise ValueError(f"{key} must be a number, got {record[key]!r:.40}")
    structured = record.get("structured")
    if structured is not None and not isinstance(structured, dict):
        raise ValueError(f"structured must be an object or null, got {type(structured).__name__}")


def dump_lines(skills: Iterable[Skill]) -> str:
    """The JSONL text: one skill per line, keys sorted, non-ASCII text kept readable."""
    return "".join(json.dumps(s.to_json(), sort_keys=True, ensure_ascii=False) + "\n" for s in skills)


def write_skills(path: str | os.PathLike[str], skills: Iterable[Skill]) -> None:
    """Write the bank file atomically (a crash leaves the old file or the new one, never half)."""
    atomic_write_text(path, dump_lines(skills))


def read_skills(path: str | os.PathLike[str]) -> list[Skill]:
    """Every skill of a bank file, in file order; a missing or broken file (not UTF-8, a line that is
    not JSON or not a skill record) is a one-line UserError naming the file and the line."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"no skill bank at {p} (expected a skills.jsonl written by a SIRI or Skill-SD run)")
    skills: list[Skill] = []
    for lineno, record in read_jsonl(p, "skill bank"):
        try:
            skills.append(Skill.from_json(record))
        except (ValueError, TypeError, OverflowError) as e:
            raise UserError(f"skill bank {p}:{lineno}: not a skill record ({e})") from None
    return skills


def next_indices(skills: Iterable[Skill]) -> dict[str, int]:
    """For each task type, one past the largest k of ids `<task_type>-<k>` (so ids are never reused)."""
    nxt: dict[str, int] = {}
    for s in skills:
        m = re.fullmatch(re.escape(s.task_type) + r"-(\d+)", s.id)
        k = int(m.group(1)) if m else 0
        nxt[s.task_type] = max(nxt.get(s.task_type, 1), k + 1)
    return nxt
