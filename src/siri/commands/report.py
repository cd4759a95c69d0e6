"""`siri report RUN... [--compare] [--out DIR]`: report.md with PNG plots per run, or a comparison.

docs/run-directory.md: report.md with success curves per phase and per task type, skill
utilities. The work lives in `siri.report`; this module only parses arguments and prints paths.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_COMPARE_OUT = "runs/compare"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write report.md with plots for runs, or compare several runs",
        description="Without --compare: write RUN/report.md and RUN/report/*.png for each run (summary, "
        "phases, final evaluation with 95% CIs, skill bank, plots of success per phase and per task type, "
        "skill utilities, KL and entropy, time per iteration) and print its path. With --compare: plot all "
        "runs' success against environment steps and tabulate their final evaluations in OUT/compare.md. "
        "Runs whose configs differ only in the run section (name, seed, ...) are seeds of one label: "
        "drawn as their mean with a min-max band across seeds; their final success is the mean over seeds "
        "with a Student-t 95% interval, next to the pooled Wilson interval.",
    )
    p.add_argument("runs", nargs="+", metavar="RUN", help="run directories (each holds metrics.jsonl)")
    p.add_argument("--compare", action="store_true", help="one comparison of all RUNs instead of one report each")
    p.add_argument("--out", metavar="DIR", help=f"where --compare writes (default {DEFAULT_COMPARE_OUT})")
    p.add_argument("--group-by", metavar="KEY",
                   help="with --compare: label runs by this dotted config key (e.g. algo.name; run.name "
                   "gives one curve per run) instead of grouping identical configs")
    p.add_argument("--final-eval", metavar="NAME",
                   help="with --compare: the evaluation compare_final.png draws, RUN/eval/NAME.json (default: "
                   "the first named final*, i.e. the run's own final evaluation)")
    p.add_argument("--x", choices=("env_steps", "iteration"), default="env_steps",
                   help="the x axis of every plot, single-run and --compare alike (default env_steps: runs of "
                   "different methods line up at equal environment steps)")
    p.set_defaults(func=run)


def _check_unique(runs: list[str]) -> None:
    from siri.utils.errors import UserError

    seen: dict[Path, str] = {}
    for r in runs:
        key = Path(r).resolve()
        if key in seen:
            raise UserError(f"run directory {r} given twice (also as {seen[key]})")
        seen[key] = r


def run(args: argparse.Namespace) -> int:
    from siri.utils.errors import UserError

    _check_unique(args.runs)
    if args.compare:
        from siri.report.compare import write_compare

        path = write_compare(args.runs, args.out or DEFAULT_COMPARE_OUT, args.group_by, args.final_eval, x=args.x)
        print(f"wrote {path}")
        return 0
    if args.out or args.group_by or args.final_eval:
        raise UserError("--out, --group-by and --final-eval apply only with --compare "
                        "(a run's report goes to RUN/report.md)")
    from siri.report.data import load_run
    from siri.report.markdown import write_report

    for r in args.runs:  # check every directory before writing anything
        load_run(r)
    for r in args.runs:
        print(f"wrote {write_report(r, x=args.x)}")
    return 0
