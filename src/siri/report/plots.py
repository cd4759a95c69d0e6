"""One PNG per question about a run (docs/run-directory.md "Report"): success with SIRI's phases named
and the final held-out evaluation, success per task type, the skill bank, stability and where the time
goes; `plots_methods` adds the skill utilities and Skill-SD's distillation.

Each `plot_*` function draws from a `RunData` into `path` against the x axis `x` ("env_steps" or
"iteration", `labels.X_AXES`) and returns the path, or returns None without writing anything when the
run lacks the data (the report then says so). What is drawn is computed by `prep` (pure).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, NamedTuple

from siri.report.aggregate import default_window, moving_average
from siri.report.data import EvalFile, RunData, number
from siri.report.labels import axis_label, is_count, legend_label, phase_name, x_key
from siri.report.plots_methods import plot_distill, plot_skills
from siri.report.prep import bar_spans, final_evaluation, phase_bands, points_by_phase, time_stages
from siri.report.style import (
    Curve, color, count_ticks, draw_curves, format_x, new_figure, outside_legend, phase_colors, run_title, save_png,
    shade_phases,
)

KL_KEY, ENTROPY_KEY = "update/kl/loss", "update/entropy/entropy"
MAX_TIME_BARS = 200
FINAL_SHIFT = 0.02  # the final evaluation sits this share of the axis right of the last iteration


def _phase_shading(ax, run: RunData, x: str, label: bool = True) -> dict[str, str]:
    bands = phase_bands(run.rows, x)
    colors = phase_colors(bands)
    shade_phases(ax, bands, colors, label)
    return colors


def plot_success(run: RunData, path: Path, x: str) -> Path | None:
    """Train success coloured by phase with its moving average, in-training evaluations and the final
    held-out evaluation (`eval/final_*.json`), each with its Wilson 95% interval."""
    xs, ys = run.series("train/success", x)
    ex, _ = run.series("eval/success", x)
    final = final_evaluation(run.evals)
    if not xs and not ex:
        return None
    fig, axes = new_figure(size=(9.5, 4.8))
    ax = axes[0][0]
    colors = _phase_shading(ax, run, x)
    if xs:
        ax.plot(xs, ys, color="0.75", lw=1, zorder=1)
        for phase, (pxs, pys) in points_by_phase(run.rows, "train/success", x).items():
            ax.scatter(pxs, pys, s=14, color=colors.get(phase, color(0)), zorder=2,
                       label=f"train ({phase_name(phase)})")
        w = default_window(len(ys))
        if w > 1:
            ax.plot(xs, moving_average(ys, w), color="black", lw=1.6, zorder=3, label=f"train, moving avg ({w})")
    if ex:
        _eval_errorbars(ax, run, x)
    if final is not None:
        _final_marker(ax, run, final, x)
    ax.set(ylabel="success rate", ylim=(-0.03, 1.03), title=run_title(run, "success"))
    format_x(ax, x)
    ax.grid(alpha=0.3)
    outside_legend(ax)
    return save_png(fig, path)


def _interval(value: float, low: float | None, high: float | None) -> tuple[float, float]:
    """Error-bar lengths below and above `value`; 0 where a bound is unknown."""
    return max(value - low, 0.0) if low is not None else 0.0, max(high - value, 0.0) if high is not None else 0.0


def _eval_errorbars(ax, run: RunData, x: str) -> None:
    xs, ss, bars = [], [], []
    for r in run.rows:
        xv, s = number(r.get(x_key(x))), number(r.get("eval/success"))
        if xv is not None and s is not None:
            xs.append(xv)
            ss.append(s)
            bars.append(_interval(s, number(r.get("eval/ci_low")), number(r.get("eval/ci_high"))))
    ax.errorbar(xs, ss, yerr=[[b[0] for b in bars], [b[1] for b in bars]], fmt="D-", color="#d62728",
                ms=5, lw=1.2, capsize=3, zorder=4, label="eval in training (95% CI)")


def _final_marker(ax, run: RunData, final: EvalFile, x: str) -> None:
    """The final evaluation just right of the last iteration, so an in-training eval there stays visible."""
    xs = run.series("train/success", x)[0] or run.series("eval/success", x)[0]
    span = (xs[-1] - xs[0]) or 1.0
    a = final.success["all"]
    down, up = _interval(a["success"], a.get("ci_low"), a.get("ci_high"))
    ax.errorbar([xs[-1] + FINAL_SHIFT * span], [a["success"]], yerr=[[down], [up]], fmt="*", ms=13, color="black",
                mfc="gold", capsize=4, zorder=5,
                label=f"final held-out {a['success']:.3f}\n({final.name}, {final.episodes} episodes, 95% CI)")


def plot_task_types(run: RunData, path: Path, x: str) -> Path | None:
    """Success per task type: train (faint raw, solid moving average) and eval when logged."""
    train_types = run.suffixes("train/success/")
    eval_types = run.suffixes("eval/success/")
    types = sorted(set(train_types) | set(eval_types))
    if not types:
        return None
    panels = [("train", "train/success/", train_types)]
    if eval_types:
        panels.append(("eval", "eval/success/", eval_types))
    fig, axes = new_figure(1, len(panels), size=(6.0 * len(panels) + 1.0, 4.5), sharex=True, sharey=True)
    w = default_window(len(run.rows))
    for ax, (kind, prefix, names) in zip(axes[0], panels):
        _phase_shading(ax, run, x, label=kind == "train")
        curves = []
        for name in names:
            col = color(types.index(name))
            xs, ys = run.series(prefix + name, x)
            if kind == "train":
                ax.plot(xs, ys, color=col, alpha=0.25, lw=0.8)
                curves.append(Curve(name, xs, moving_average(ys, w), col))
            else:
                curves.append(Curve(name, xs, ys, col, {"marker": "o", "ms": 4, "lw": 1}))
        draw_curves(ax, curves, x)
        note = "held-out" if kind == "eval" else f"moving avg ({w}), raw faint" if w > 1 else "per iteration"
        ax.set(title=f"{kind} success by task type ({note})", ylim=(-0.03, 1.03))
        format_x(ax, x)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), title="task type")
    axes[0][0].set_ylabel("success rate")
    fig.suptitle(run_title(run, "success per task type"))
    return save_png(fig, path)


def plot_stability(run: RunData, path: Path, x: str) -> Path | None:
    """k3 KL to the frozen reference and policy entropy (docs/algorithms.md §3)."""
    if not (run.has(KL_KEY) or run.has(ENTROPY_KEY)):
        return None
    fig, axes = new_figure(2, 1, size=(8.0, 6.0), sharex=True)
    for ax, key in ((axes[0][0], KL_KEY), (axes[1][0], ENTROPY_KEY)):
        _phase_shading(ax, run, x, label=ax is axes[0][0])
        xs, ys = run.series(key, x)
        if not draw_curves(ax, [Curve(legend_label(key), xs, ys, color(0), {"lw": 1.2})], x):
            ax.text(0.5, 0.5, f"{key} not logged", ha="center", va="center", transform=ax.transAxes)
        ax.set_ylabel(axis_label(key))
        ax.grid(alpha=0.3)
    format_x(axes[1][0], x)
    fig.suptitle(run_title(run, "training stability"))
    return save_png(fig, path)


def plot_time(run: RunData, path: Path, x: str) -> Path | None:
    """Wall time per iteration stacked by stage; the teacher's scoring and skill generation are drawn
    apart from the update that contains them (`prep.time_stages`)."""
    stages = time_stages(run.rows)
    if not any(name != "evaluation" for name, _ in stages):
        return None
    rows = [r for r in run.rows if number(r.get(x_key(x))) is not None]
    stages = time_stages(rows)
    xs = [number(r.get(x_key(x))) for r in rows]
    fig, axes = new_figure()
    ax = axes[0][0]
    colors = [color(i) for i in range(len(stages))]
    if len(xs) > MAX_TIME_BARS:  # thousands of bars read no better than areas; steps keep spikes flat-topped
        ax.stackplot(xs, *[v for _, v in stages], labels=[n for n, _ in stages], colors=colors, step="pre")
    else:
        lefts, widths = bar_spans(xs, x)
        bottom = [0.0] * len(xs)
        for (name, vals), col in zip(stages, colors):
            ax.bar(lefts, vals, width=widths, bottom=bottom, align="edge", color=col, label=name, lw=0)
            bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set(ylabel="seconds per iteration", title=run_title(run, "wall time per iteration"))
    format_x(ax, x)
    ax.grid(axis="y", alpha=0.3)
    outside_legend(ax, title="stage")
    return save_png(fig, path)


BANK_KEYS = {"bank": ("bank/size", "bank/candidates", "bank/active", "bank/retired"),
             "library": ("library/size", "library/active", "library/retired")}


def plot_bank(run: RunData, path: Path, x: str) -> Path | None:
    """Skill counts per iteration: SIRI's bank (Phases 1–2) or Skill-SD's library."""
    kind = next((k for k, keys in BANK_KEYS.items() if run.has(keys[0])), None)
    if kind is None:
        return None
    fig, axes = new_figure(size=(8.0, 3.8))
    ax = axes[0][0]
    _phase_shading(ax, run, x)
    curves = [Curve(legend_label(key), *run.series(key, x), color(i), {"drawstyle": "steps-post"})
              for i, key in enumerate(BANK_KEYS[kind])]
    draw_curves(ax, curves, x)
    ax.set(ylabel="skills", title=run_title(run, f"skill {kind}"))
    if all(is_count(k) for k in BANK_KEYS[kind]):
        count_ticks(ax)
    format_x(ax, x)
    ax.grid(alpha=0.3)
    outside_legend(ax)
    return save_png(fig, path)


class PlotSpec(NamedTuple):
    file: str
    title: str
    draw: Callable[[RunData, Path, str], Path | None]
    missing: str  # what the report says when the plot is skipped


PLOTS = (
    PlotSpec("success.png", "Success", plot_success, "no train/success or eval/success values in metrics.jsonl"),
    PlotSpec("task_types.png", "Success per task type", plot_task_types,
             "no per-task-type success (train/success/<type>) in metrics.jsonl"),
    PlotSpec("skills.png", "Skill utilities", plot_skills,
             "no skill bank (skills.jsonl absent, empty, or no skill evaluated yet)"),
    PlotSpec("bank.png", "Skill bank or library size", plot_bank,
             "no bank/size or library/size in metrics.jsonl (no skills)"),
    PlotSpec("distill.png", "Distillation (Skill-SD, OPD, OPSD)", plot_distill,
             "no sd/* or distillation-loss values in metrics.jsonl (not a distillation method)"),
    PlotSpec("stability.png", "Stability: KL and entropy", plot_stability,
             f"neither {KL_KEY} nor {ENTROPY_KEY} in metrics.jsonl"),
    PlotSpec("time.png", "Time per iteration", plot_time, "no time/* values in metrics.jsonl"),
)
