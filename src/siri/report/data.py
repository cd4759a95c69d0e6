"""Load a run directory into a typed structure (docs/run-directory.md).

Reading only, no plotting: `config.yaml` (read as plain YAML, not re-validated, so a report still
works on a run made by an older or newer schema), `metrics.jsonl` (rows with an "iteration" are RL
iterations; others, such as the SFT warm start's rows, are kept apart), `skills.jsonl` (the bank, may
be absent) and `eval/*.json` (`EvalResult.to_json()` objects).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import yaml

from siri.config import fold_legacy_sections
from siri.report.labels import x_key
from siri.utils.errors import UserError
from siri.utils.textfiles import read_jsonl, read_utf8


def number(value: Any) -> float | None:
    """A finite float, or None for null (NaN written by MetricsWriter), bools, strings and inf."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Skill:
    """One bank entry as `skills.jsonl` stores it (docs/algorithms.md §4, "Bank rules")."""

    id: str
    task_type: str
    text: str
    state: str
    utility: float | None
    n: int
    created_iter: int | None
    generator: str
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    state_changes: list[dict[str, Any]] = field(default_factory=list)

    def utility_history(self) -> tuple[list[float], list[float]]:
        """(iteration, utility) after each evaluation: SIRI's U(z) as the running mean of Δ_g (§4); for
        evaluations without a Δ (Skill-SD's arm rewards), the `utility` the evaluation recorded."""
        xs, ys, total, count = [], [], 0.0, 0
        for i, ev in enumerate(self.evaluations):
            delta, recorded = number(ev.get("delta")), number(ev.get("utility"))
            if delta is not None:
                total, count = total + delta, count + 1
                value = total / count
            elif recorded is not None:
                value = recorded
            else:
                continue
            it = number(ev.get("iteration"))
            xs.append(it if it is not None else float(i))
            ys.append(value)
        return xs, ys

    @property
    def was_active(self) -> bool:
        return self.state == "active" or any(c.get("to") == "active" for c in self.state_changes)


@dataclass(frozen=True)
class EvalFile:
    """One `eval/*.json`: success per task type and "all" with Wilson 95% intervals."""

    name: str
    split: str
    episodes: int
    success: dict[str, dict[str, float]]
    mean_score: dict[str, float] | None = None
    mean_steps: float | None = None
    invalid_ratio: float | None = None


@dataclass(frozen=True)
class PhaseSpan:
    phase: str
    first: int
    last: int


@dataclass
class RunData:
    path: Path
    config: dict[str, Any]
    rows: list[dict[str, Any]]
    other_rows: list[dict[str, Any]] = field(default_factory=list)
    skills: list[Skill] | None = None
    evals: list[EvalFile] = field(default_factory=list)
    skipped_evals: list[str] = field(default_factory=list)

    def cfg(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.config
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    @property
    def name(self) -> str:
        return str(self.cfg("run.name", self.path.name))

    @property
    def algo(self) -> str:
        return str(self.cfg("algo.name", "unknown"))

    @property
    def env(self) -> str:
        return str(self.cfg("env.name", "unknown"))

    @property
    def seed(self) -> Any:
        return self.cfg("run.seed")

    def has(self, key: str) -> bool:
        return any(number(r.get(key)) is not None for r in self.rows)

    def series(self, key: str, x: str = "iteration") -> tuple[list[float], list[float]]:
        """(x, y) over the iterations where `key` holds a number; x is "iteration" or "env_steps"."""
        return series(self.rows, key, x)

    def suffixes(self, prefix: str) -> list[str]:
        """Sorted names after `prefix` among the metric keys, e.g. task types of "train/success/"."""
        return sorted({k[len(prefix):] for r in self.rows for k in r if k.startswith(prefix)})

    def phases(self) -> list[PhaseSpan]:
        return phase_spans(self.rows)


def series(rows: Sequence[dict[str, Any]], key: str, x: str = "iteration") -> tuple[list[float], list[float]]:
    xk = x_key(x)
    xs, ys = [], []
    for r in rows:
        xv, yv = number(r.get(xk)), number(r.get(key))
        if xv is not None and yv is not None:
            xs.append(xv)
            ys.append(yv)
    return xs, ys


def phase_spans(rows: Sequence[dict[str, Any]]) -> list[PhaseSpan]:
    """Maximal runs of consecutive iterations with the same "phase" (rows sorted by iteration)."""
    spans: list[PhaseSpan] = []
    for r in rows:
        phase, it = str(r.get("phase", "?")), int(r["iteration"])
        if spans and spans[-1].phase == phase:
            spans[-1] = PhaseSpan(phase, spans[-1].first, it)
        else:
            spans.append(PhaseSpan(phase, it, it))
    return spans


def iteration_rows(rows: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(RL rows sorted by iteration, the last row kept when an iteration repeats; the other rows)."""
    by_iter: dict[int, dict[str, Any]] = {}
    others = []
    for r in rows:
        it = number(r.get("iteration"))
        if it is None:
            others.append(r)
        else:
            by_iter[int(it)] = r
    return [by_iter[k] for k in sorted(by_iter)], others


def _objects(path: Path, what: str, **how: bool) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file (other JSON values are skipped); see `read_jsonl` for `how`."""
    return [obj for _, obj in read_jsonl(path, what, **how) if isinstance(obj, dict)]


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def parse_skill(obj: dict[str, Any]) -> Skill:
    n = number(obj.get("n"))
    created = number(obj.get("created_iter"))
    return Skill(
        id=str(obj.get("id", "?")), task_type=str(obj.get("task_type", "?")), text=str(obj.get("text", "")),
        state=str(obj.get("state", "candidate")), utility=number(obj.get("utility")),
        n=int(n) if n is not None else 0, created_iter=int(created) if created is not None else None,
        generator=str(obj.get("generator", "?")),
        evaluations=_dicts(obj.get("evaluations")), state_changes=_dicts(obj.get("state_changes")),
    )


def parse_eval(name: str, obj: Any) -> EvalFile | None:
    """An EvalResult JSON, or None when `obj` does not have that shape (another file in eval/)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("success"), dict):
        return None
    table = {}
    for task, row in obj["success"].items():
        if not isinstance(row, dict) or number(row.get("success")) is None:
            return None
        table[str(task)] = {k: number(row.get(k)) for k in ("n", "success", "ci_low", "ci_high")}
    score = obj.get("mean_score")
    return EvalFile(
        name=name, split=str(obj.get("split", "?")), episodes=int(number(obj.get("episodes")) or 0),
        success=table, mean_score=score if isinstance(score, dict) else None,
        mean_steps=number(obj.get("mean_steps")), invalid_ratio=number(obj.get("invalid_ratio")),
    )


def _read_evals(run: Path) -> tuple[list[EvalFile], list[str]]:
    evals, skipped = [], []
    for path in sorted((run / "eval").glob("*.json")):
        try:
            parsed = parse_eval(path.stem, json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, RecursionError, OSError):  # not JSON, not UTF-8, nested too deeply, unreadable
            parsed = None
        if parsed is None:
            skipped.append(path.name)
        else:
            evals.append(parsed)
    return evals, skipped


def _read_config(run: Path) -> dict[str, Any]:
    path = run / "config.yaml"
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(read_utf8(path, "run config"))
    except yaml.YAMLError as e:
        raise UserError(f"{path} is not valid YAML: {str(e).splitlines()[0]}") from None
    except RecursionError:
        raise UserError(f"{path} is not valid YAML: nested too deeply") from None
    return fold_legacy_sections(data) if isinstance(data, dict) else {}


def load_run(path: str | os.PathLike[str]) -> RunData:
    """Everything a report needs from one run directory; UserError when it holds no metrics.jsonl."""
    run = Path(path)
    if not (run / "metrics.jsonl").is_file():
        what = "does not exist" if not run.exists() else "has no metrics.jsonl"
        raise UserError(f"{run} is not a run directory: it {what} (expected RUN_DIR/metrics.jsonl)")
    # metrics rows are read best-effort (as `read_metrics` does), the skill bank strictly but for a
    # torn last line; a file that is not UTF-8 text is an error naming the file and line
    rows, others = iteration_rows(_objects(run / "metrics.jsonl", "metrics file", skip_bad=True))
    skills_path = run / "skills.jsonl"
    skills = ([parse_skill(o) for o in _objects(skills_path, "skill bank", torn_tail_ok=True)]
              if skills_path.is_file() else None)
    evals, skipped = _read_evals(run)
    return RunData(path=run, config=_read_config(run), rows=rows, other_rows=others, skills=skills,
                   evals=evals, skipped_evals=skipped)
