"""`siri skills RUN_DIR [--skill ID] [--task-type T] [--state S] [--json]`: inspect a run's skill bank.

Reads `RUN_DIR/skills.jsonl` (docs/algorithms.md §4: the bank with each skill's history; §5: Skill-SD's
library in the same format). Without `--skill`: one table row per skill (id, task type, state, U, n,
text). With `--skill`: where the skill came from and its full history. With `--json`: the same as one
JSON document on stdout, the skills as the records of skills.jsonl, for scripts.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

STATES = ("candidate", "active", "retired")
BANK_FILE = "skills.jsonl"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "skills",
        help="show a run's skill bank and skill histories",
        description="Show RUN_DIR/skills.jsonl as a table (id, task type, state, utility U, evaluations n, "
        "text), or with --skill the full history of one skill (evaluations, state changes, generator, sources).",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (or a skills.jsonl file)")
    p.add_argument("--skill", metavar="ID", help="show the history of this skill")
    p.add_argument("--task-type", metavar="T", help="only skills of this task type")
    p.add_argument("--state", choices=STATES, help="only skills in this state")
    p.add_argument("--json", action="store_true",
                   help="print JSON instead of tables: {path, total, counts, skills: [records]}, or with --skill "
                   "that skill's record (its full history)")
    p.set_defaults(func=run)


def bank_path(run_dir: str) -> Path:
    path = Path(run_dir)
    return path if path.is_file() else path / BANK_FILE


def _fmt(x: Any) -> str:
    return f"{x:+.3f}" if isinstance(x, (int, float)) and not isinstance(x, bool) else ("-" if x is None else str(x))


def bank_table(skills: list, title: str):
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col, justify in (("id", "left"), ("task type", "left"), ("state", "left"), ("U", "right"), ("n", "right")):
        table.add_column(col, justify=justify, no_wrap=True)
    table.add_column("text", overflow="fold", ratio=1, min_width=30)
    style = {"active": "green", "retired": "dim", "candidate": "yellow"}
    for s in skills:
        text = s.text if s.kind == "siri" else " | ".join(s.text.splitlines())
        table.add_row(s.id, s.task_type, f"[{style.get(s.state, '')}]{s.state}", f"{s.utility:+.3f}", str(s.n), text)
    return table


def history_renderables(skill) -> list:
    """The panels of one skill: summary, evaluations table, state changes table."""
    from rich.panel import Panel
    from rich.table import Table

    sources = ", ".join(json.dumps(s, sort_keys=True) for s in skill.source_trajs) or "-"
    head = (f"task type: {skill.task_type}   kind: {skill.kind}   state: {skill.state}\n"
            f"U = {skill.utility:+.4f}   n = {skill.n}   created at iteration {skill.created_iter} "
            f"by the {skill.generator} generator\nsources: {sources}\n\n{skill.text}")
    out: list = [Panel(head, title=f"skill {skill.id}")]
    keys = ["iteration", "group", "delta", "skill_mean", "plain_mean", "utility"] if skill.kind == "siri" \
        else ["iteration", "reward", "utility"]
    evals = Table(title=f"evaluations ({len(skill.evaluations)})")
    for k in keys:
        evals.add_column(k, justify="right")
    for e in skill.evaluations:
        evals.add_row(*[str(e.get(k, "-")) if k in ("iteration", "group") else _fmt(e.get(k)) for k in keys])
    out.append(evals)
    changes = Table(title=f"state changes ({len(skill.state_changes)})")
    for k in ("iteration", "from", "to"):
        changes.add_column(k)
    for c in skill.state_changes:
        changes.add_row(str(c.get("iteration")), str(c.get("from")), str(c.get("to")))
    out.append(changes)
    return out


def bank_json(path: Path, shown: list, skills: list) -> dict[str, Any]:
    """What the table shows, as data: the bank's path, its size, the count per state (of the whole
    bank) and the shown skills as their skills.jsonl records."""
    return {"path": str(path), "total": len(skills), "counts": {st: sum(s.state == st for s in skills) for st in STATES},
            "skills": [s.to_json() for s in shown]}


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))


def run(args: argparse.Namespace, console=None) -> int:
    from rich.console import Console

    from siri.skills.records import read_skills
    from siri.utils.errors import UserError

    console = console or Console()
    path = bank_path(args.run_dir)
    skills = read_skills(path)
    if args.skill:
        match = [s for s in skills if s.id == args.skill]
        if not match:
            known = ", ".join(s.id for s in skills[:10]) + (", ..." if len(skills) > 10 else "")
            raise UserError(f"no skill {args.skill!r} in {path}; known ids: {known or '(none)'}")
        if args.json:
            _print_json(match[0].to_json())
            return 0
        for renderable in history_renderables(match[0]):
            console.print(renderable)
        return 0
    shown = [s for s in skills if (args.task_type is None or s.task_type == args.task_type)
             and (args.state is None or s.state == args.state)]
    if args.json:
        _print_json(bank_json(path, shown, skills))
        return 0
    counts = {st: sum(s.state == st for s in skills) for st in STATES}
    console.print(bank_table(shown, f"{path}: {len(shown)} of {len(skills)} skills"))
    console.print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0
