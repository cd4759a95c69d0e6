"""`siri report RUN... --compare`: several runs on one plot and one table (compare.md + PNGs).

Runs that are seeds of one configuration share a label (`aggregate.group_labels`) and become one
mean curve with a min–max band across seeds; the final-evaluation tables give each run and each
label's mean over seeds with a Student-t 95% interval, plus the pooled Wilson interval.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from siri.report.aggregate import Group, default_window, group_runs, moving_average, t_interval
from siri.report.compare_plots import FINAL_PNG, STABILITY_PNG, draw_groups, plot_final, plot_stability
from siri.report.data import EvalFile, RunData, load_run
from siri.report.labels import DEFAULT_X, check_x, x_label
from siri.report.prep import check_x_logged
from siri.report.tables import f3, table, with_ci
from siri.report.style import format_x, new_figure, outside_legend, save_png
from siri.stats import wilson_interval
from siri.utils.atomic import atomic_write_text
from siri.utils.errors import UserError

EVAL_PNG, TRAIN_PNG = "compare_eval.png", "compare_train.png"


def train_curve(run: RunData, x: str = DEFAULT_X) -> tuple[list[float], list[float]]:
    """Train success against the x axis, smoothed by a trailing moving average."""
    xs, ys = run.series("train/success", x)
    return xs, moving_average(ys, default_window(len(ys))) if ys else []


def plot_train(groups: Sequence[Group], path: Path, x: str = DEFAULT_X) -> Path | None:
    fig, axes = new_figure(size=(9.0, 4.8))
    ax = axes[0][0]
    if not draw_groups(ax, groups, lambda r: train_curve(r, x), x):
        return None
    ax.set(ylabel="train success rate (moving avg)", ylim=(-0.03, 1.03),
           title="train success (band: min–max across seeds)")
    format_x(ax, x)
    ax.grid(alpha=0.3)
    outside_legend(ax)
    return save_png(fig, path)


def _eval_band(run: RunData, x: str) -> tuple[list[float], list[float], list[float]] | None:
    xs, lo = run.series("eval/ci_low", x)
    _, hi = run.series("eval/ci_high", x)
    return (xs, lo, hi) if xs and len(lo) == len(hi) else None


def plot_eval(groups: Sequence[Group], path: Path, x: str = DEFAULT_X) -> Path | None:
    fig, axes = new_figure(size=(9.0, 4.8))
    ax = axes[0][0]
    if not draw_groups(ax, groups, lambda r: r.series("eval/success", x), x, lambda r: _eval_band(r, x)):
        return None
    ax.set(ylabel="held-out success rate", ylim=(-0.03, 1.03),
           title="held-out success in training\n(one run: Wilson 95% CI; several: min–max across seeds)")
    format_x(ax, x)
    ax.grid(alpha=0.3)
    outside_legend(ax)
    return save_png(fig, path)


def _final_train(run: RunData) -> str:
    ys = run.series("train/success")[1]
    if not ys:
        return "—"
    w = min(10, len(ys))
    return f3(sum(ys[-w:]) / w)


def runs_table(groups: Sequence[Group]) -> list[str]:
    rows = []
    for g in groups:
        for r in g.runs:
            steps = r.series("env_steps_total")[1]
            rows.append((r.name, g.label, r.algo, r.seed if r.seed is not None else "—", len(r.rows),
                         f"{int(steps[-1]):,}" if steps else "—", _final_train(r)))
    return table(("run", "label", "algorithm", "seed", "iterations", "env steps", "train success (last 10)"), rows)


def eval_names(groups: Sequence[Group]) -> list[str]:
    return sorted({e.name for g in groups for r in g.runs for e in r.evals})


def _find(run: RunData, name: str) -> EvalFile | None:
    return next((e for e in run.evals if e.name == name), None)


def pooled(evals: Sequence[EvalFile], task: str = "all") -> tuple[int, float, float, float] | None:
    """(episodes, success, Wilson low, high) over all episodes of several evaluations."""
    rows = [e.success[task] for e in evals if task in e.success and e.success[task].get("n")]
    if not rows:
        return None
    n = sum(int(r["n"]) for r in rows)
    wins = sum(round(r["n"] * r["success"]) for r in rows)
    lo, hi = wilson_interval(wins, n)
    return n, wins / n, lo, hi


def _label_row(label: str, evals: Sequence[EvalFile]) -> tuple:
    """Mean over runs with a t interval (clipped to [0, 1], a rate's range) and the pooled Wilson one."""
    t = t_interval([e.success["all"]["success"] for e in evals])
    mean = with_ci(t[0], max(t[1], 0.0), min(t[2], 1.0)) if t else f"{f3(evals[0].success['all']['success'])} (one run)"
    p = pooled(evals)
    return label, len(evals), mean, f"{with_ci(p[1], p[2], p[3])} ({p[0]} episodes)" if p else "—"


def final_eval_section(groups: Sequence[Group], name: str) -> list[str]:
    per_run, per_label = [], []
    for g in groups:
        found = [(r, _find(r, name)) for r in g.runs]
        found = [(r, e) for r, e in found if e is not None and "all" in e.success]
        for r, e in found:
            a = e.success["all"]
            per_run.append((r.name, g.label, e.split, e.episodes, with_ci(a["success"], a["ci_low"], a["ci_high"])))
        if found:
            per_label.append(_label_row(g.label, [e for _, e in found]))
    lines = [f"## Final evaluation: {name}", ""]
    lines += table(("run", "label", "split", "episodes", "success [95% CI]"), per_run)
    lines += ["", "Per label: mean over runs with a Student-t 95% interval across runs (clipped to [0, 1]); "
              "pooled: all episodes together with a Wilson 95% interval (ignores between-seed variation).", ""]
    lines += table(("label", "runs", "mean success [t 95% CI]", "pooled success [Wilson 95% CI]"), per_label)
    return lines + [""] + task_type_table(groups, name)


def task_type_table(groups: Sequence[Group], name: str) -> list[str]:
    """Mean success per task type over each label's runs."""
    found = [(g, [e for e in (_find(r, name) for r in g.runs) if e is not None]) for g in groups]
    types = sorted({t for _, evals in found for e in evals for t in e.success if t != "all"})
    if not types:
        return []
    rows = []
    for g, evals in found:
        if not evals:
            continue
        cells = []
        for t in types:
            vals = [e.success[t]["success"] for e in evals if t in e.success]
            cells.append(f3(sum(vals) / len(vals)) if vals else "—")
        rows.append((g.label, *cells))
    return ["Mean success per task type (over each label's runs):", ""] + table(("label", *types), rows)


def build_compare_markdown(groups: Sequence[Group], drawn: dict[str, Path | None],
                           final_name: str | None = None, x: str = DEFAULT_X) -> str:
    n = sum(len(g.runs) for g in groups)
    final_title = f"Final held-out success ({final_name})" if final_name else "Final held-out success"
    lines = [f"# Comparison of {n} runs", "", "## Runs", ""] + runs_table(groups)
    lines += ["", f"## Success vs {x_label(x)}", ""]
    for file, title, missing in ((EVAL_PNG, "Held-out success", "no run logged eval/success during training"),
                                 (FINAL_PNG, final_title, "no run has a final evaluation"),
                                 (TRAIN_PNG, "Train success", "no run logged train/success"),
                                 (STABILITY_PNG, "KL to the reference and entropy", "no run logged them")):
        lines.append(f"![{title}]({file})" if drawn.get(file) else f"_{title}: skipped, {missing}._")
        lines.append("")
    lines.append("Runs sharing a label are seeds of one configuration: their curves are interpolated onto a "
                 f"common grid of {x_label(x)} (the range every run covers), the line is their mean and the band "
                 "their min–max. Train curves are trailing moving averages (about a tenth of each run). A dashed "
                 "curve with \"same as\" in its legend lies on the curve it names.")
    for name in eval_names(groups):
        lines += [""] + final_eval_section(groups, name)
    if not eval_names(groups):
        lines += ["", "_No run has eval/*.json results: no final-evaluation table._"]
    return "\n".join(lines).rstrip() + "\n"


def pick_final(groups: Sequence[Group], final_eval: str | None) -> str | None:
    """The evaluation compare_final.png draws: `final_eval` (an eval/NAME.json of some run), else the
    first one named final*; None when there is none."""
    names = eval_names(groups)
    if final_eval is None:
        return next((n for n in names if n.startswith("final")), None)
    if final_eval not in names:
        raise UserError(f"--final-eval: no run has eval/{final_eval}.json; "
                        f"allowed: {', '.join(names) or '(no run has an evaluation)'}")
    return final_eval


def write_compare(run_dirs: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str],
                  group_by: str | None = None, final_eval: str | None = None, x: str = DEFAULT_X) -> Path:
    """Write OUT/compare.md with its PNGs (held-out and train success, final success at each run's
    environment steps, KL and entropy) against the x axis `x`, the option a single run's report shares;
    returns the markdown's path. `final_eval` names the evaluation the final-success figure draws (e.g.
    a longer re-evaluation, `eval500`)."""
    if not run_dirs:
        raise UserError("--compare needs at least one run directory")
    check_x(x)
    runs = [load_run(p) for p in run_dirs]
    for run in runs:
        check_x_logged(run.rows, x, str(run.path))
    groups = group_runs(runs, group_by)
    out = Path(out_dir)
    final = pick_final(groups, final_eval)
    drawn = {EVAL_PNG: plot_eval(groups, out / EVAL_PNG, x), TRAIN_PNG: plot_train(groups, out / TRAIN_PNG, x),
             FINAL_PNG: plot_final(groups, final, out / FINAL_PNG, x) if final else None,
             STABILITY_PNG: plot_stability(groups, out / STABILITY_PNG, x)}
    for file, path in drawn.items():
        if path is None and (out / file).exists():
            (out / file).unlink()
    target = out / "compare.md"
    atomic_write_text(target, build_compare_markdown(groups, drawn, final if drawn[FINAL_PNG] else None, x))
    return target
