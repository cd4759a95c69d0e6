"""Fuzz every built-in environment with random actions and count what breaks (not part of the test suite;
docs/environments.md, "Common contract"; the actions and checks are `siri.envs.fuzz`'s).

Per environment: steps taken (after-done steps included), episodes, exceptions, invariant breaks
(contract, after-done rule, documented action order, determinism on replay) and seconds. Anything but
0 exceptions and 0 breaks is a bug; the first messages are printed and kept in the JSON.

    .venv/bin/python benchmarks/fuzz_envs.py [--steps 100000 --seed 0 --envs household shop sokoban]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from siri.envs.fuzz import fuzz_env
from siri.envs.registry import builtin_env_names

RESULTS = Path(__file__).parent / "results" / "fuzz_envs.json"
COLUMNS = ("steps", "episodes", "after_done_steps", "wins", "replays", "exceptions", "invariant_breaks", "seconds")


def table(rows: list[dict], steps: int) -> Table:
    out = Table(title=f"Random actions against the environment contract ({steps} steps per environment)")
    out.add_column("env")
    for col in COLUMNS:
        out.add_column(col.replace("_", " "), justify="right")
    for r in rows:
        out.add_row(r["env"], *(f"{r[c]:.1f}" if c == "seconds" else str(r[c]) for c in COLUMNS))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=100_000, help="steps per environment")
    p.add_argument("--seed", type=int, default=0, help="fuzz seed (the same seed gives the same actions)")
    p.add_argument("--envs", nargs="+", default=builtin_env_names(), choices=builtin_env_names())
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args()
    if args.steps < 1:
        p.error("--steps must be at least 1")
    console = Console(width=None if Console().is_terminal else 160)
    started, load_before = time.perf_counter(), os.getloadavg()
    rows = []
    for name in args.envs:
        report = fuzz_env(name, steps=args.steps, seed=args.seed)
        rows.append(report.row())
        console.print(f"{name}: {report.seconds:.1f} s, {report.exceptions} exceptions, {report.breaks} breaks",
                      style="dim")
        for message in report.problems:
            console.print(f"  {message}", markup=False)
    console.print(table(rows, args.steps))
    result = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "config": {"steps": args.steps, "seed": args.seed, "envs": args.envs},
        "rows": rows, "total_s": time.perf_counter() - started,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"total {result['total_s']:.0f} s; wrote {args.out}")


if __name__ == "__main__":
    main()
