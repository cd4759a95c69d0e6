"""Terminal tables for evaluation results (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from siri.evaluation.evaluate import EvalResult


def eval_table(result: EvalResult) -> Table:
    table = Table(title=f"{result.prompt}-prompt evaluation: {result.split} split, {result.episodes} episodes")
    for col in ("task type", "n", "success", "95% CI"):
        table.add_column(col, justify="left" if col == "task type" else "right")
    for name, row in result.table.items():
        if name == "all":
            continue
        table.add_row(name, str(row["n"]), f"{row['success']:.3f}", f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]")
    a = result.table["all"]
    table.add_row("[bold]all", str(a["n"]), f"[bold]{a['success']:.3f}", f"[{a['ci_low']:.3f}, {a['ci_high']:.3f}]")
    return table


def print_eval(result: EvalResult, console: Console | None = None) -> None:
    console = console or Console()
    console.print(eval_table(result))
    m, lo, hi = result.mean_score
    console.print(f"mean score {m:.3f} [{lo:.3f}, {hi:.3f}] | mean steps {result.mean_steps:.2f} | "
                  f"invalid-action ratio {result.invalid_ratio:.3f}")
