"""One PNG per question about a run (docs/run-directory.md: success curves per phase and
per task type, skill utilities), plus training stability and where the time goes.

Each `plot_*` function draws from a `RunData` into `path` and returns the path, or returns None
without writing anything when the run lacks the data (the report then says so).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, NamedTuple

from siri.report.aggregate import default_window, moving_average
from siri.report.data import RunData, Skill, number
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from siri.report.style import (
    STATE_COLORS, color, new_figure, outside_legend, phase_colors, save_png, shade_phases,
)

X_LABELS = {"iteration": "iteration", "env_steps": "environment steps (total)"}
KL_KEY, ENTROPY_KEY = "update/kl/loss", "update/entropy/entropy"
TIME_KEYS = (("time/rollout", "rollout"), ("time/scoring", "reference scoring"), ("time/update", "update"),
             ("time/eval", "evaluation"))
MAX_BARS, TOP_SKILLS, MAX_TIME_BARS = 40, 5, 200


def _title(run: RunData, what: str) -> str:
    return f"{run.name} ({run.algo}, {run.env}): {what}"


def plot_success(run: RunData, path: Path, x: str = "iteration") -> Path | None:
    """Train success per iteration coloured by phase, its moving average, eval success with 95% CIs."""
    xs, ys = run.series("train/success", x)
    ex, ey = run.series("eval/success", x)
    if not xs and not ex:
        return None
    fig, axes = new_figure()
    ax = axes[0][0]
    spans = run.phases()
    colors = phase_colors(spans)
    if x == "iteration":
        shade_phases(ax, spans, colors)
    if xs:
        ax.plot(xs, ys, color="0.75", lw=1, zorder=1)
        phases = [str(r.get("phase", "?")) for r in run.rows if number(r.get("train/success")) is not None
                  and number(r.get("iteration" if x == "iteration" else "env_steps_total")) is not None]
        for phase, col in colors.items():
            pts = [(a, b) for a, b, p in zip(xs, ys, phases) if p == phase]
            if pts:
                ax.scatter(*zip(*pts), s=14, color=col, zorder=2, label=f"train ({phase})")
        w = default_window(len(ys))
        if w > 1:
            ax.plot(xs, moving_average(ys, w), color="black", lw=1.6, zorder=3, label=f"train, moving avg ({w})")
    if ex:
        _eval_errorbars(ax, run, x)
    ax.set(xlabel=X_LABELS[x], ylabel="success rate", ylim=(-0.03, 1.03), title=_title(run, "success"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    outside_legend(ax)
    return save_png(fig, path)


def _eval_errorbars(ax, run: RunData, x: str) -> None:
    xkey = "iteration" if x == "iteration" else "env_steps_total"
    pts = []
    for r in run.rows:
        xv, s = number(r.get(xkey)), number(r.get("eval/success"))
        if xv is None or s is None:
            continue
        lo, hi = number(r.get("eval/ci_low")), number(r.get("eval/ci_high"))
        pts.append((xv, s, s - lo if lo is not None else 0.0, hi - s if hi is not None else 0.0))
    xs, ss, down, up = zip(*pts)
    ax.errorbar(xs, ss, yerr=[[max(d, 0) for d in down], [max(u, 0) for u in up]], fmt="D-", color="#d62728",
                ms=5, lw=1.2, capsize=3, zorder=4, label="eval (95% CI)")


def plot_task_types(run: RunData, path: Path) -> Path | None:
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
        for name in names:
            col = color(types.index(name))
            xs, ys = run.series(prefix + name)
            if kind == "train":
                ax.plot(xs, ys, color=col, alpha=0.25, lw=0.8)
                ax.plot(xs, moving_average(ys, w), color=col, lw=1.6, label=name)
            else:
                ax.plot(xs, ys, "o--", color=col, ms=4, lw=1, label=name)
        w_note = "held-out" if kind == "eval" else f"moving avg ({w}), raw faint" if w > 1 else "per iteration"
        ax.set(xlabel="iteration", title=f"{kind} success by task type ({w_note})", ylim=(-0.03, 1.03))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("success rate")
    axes[0][-1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), title="task type")
    fig.suptitle(_title(run, "success per task type"))
    return save_png(fig, path)


def _bars(skills: list[Skill]) -> tuple[list[Skill], str]:
    """Skills with a utility sorted by U; past MAX_BARS, the highest and lowest halves."""
    rated = sorted((s for s in skills if s.utility is not None), key=lambda s: -s.utility)
    if len(rated) <= MAX_BARS:
        return rated, f"all {len(rated)} evaluated skills"
    half = MAX_BARS // 2
    return rated[:half] + rated[-half:], f"top and bottom {half} of {len(rated)} evaluated skills"


def plot_skills(run: RunData, path: Path) -> Path | None:
    """Final U(z) per skill coloured by state; U(z) over its evaluations for the top skills."""
    if not run.skills:
        return None
    shown, note = _bars(run.skills)
    if not shown:
        return None
    fig, axes = new_figure(1, 2, size=(13.0, 5.0), width_ratios=(3, 2))
    ax = axes[0][0]
    ax.bar(range(len(shown)), [s.utility for s in shown], color=[STATE_COLORS.get(s.state, "0.5") for s in shown])
    ax.set_xticks(range(len(shown)), [s.id for s in shown], rotation=90, fontsize=7)
    ax.axhline(0, color="black", lw=0.8)
    handles = [Patch(color=col, label=state) for state, col in STATE_COLORS.items()]
    ax.legend(handles=handles, fontsize=8, title="state")
    ax.set(ylabel="U(z): mean paired Δ (skill − plain)", title=f"final utility per skill ({note})")
    ax.grid(axis="y", alpha=0.3)
    _utility_history(axes[0][1], shown)
    fig.suptitle(_title(run, "skill utilities"))
    return save_png(fig, path)


def _utility_history(ax, skills: list[Skill]) -> None:
    top = [s for s in skills if s.utility_history()[0]][:TOP_SKILLS]
    for i, s in enumerate(top):
        xs, ys = s.utility_history()
        ax.plot(xs, ys, "o-", ms=3, color=color(i), label=f"{s.id} ({s.task_type}, {s.state})")
    if not top:
        ax.text(0.5, 0.5, "no evaluations recorded", ha="center", va="center", transform=ax.transAxes)
    else:
        ax.legend(fontsize=7)
    ax.axhline(0, color="black", lw=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="iteration of evaluation", ylabel="U(z) after each evaluation",
           title=f"utility over evaluations (top {len(top)} by final U)")
    ax.grid(alpha=0.3)


def plot_stability(run: RunData, path: Path) -> Path | None:
    """k3 KL to the frozen reference and policy entropy per iteration (docs/algorithms.md §3)."""
    if not (run.has(KL_KEY) or run.has(ENTROPY_KEY)):
        return None
    fig, axes = new_figure(2, 1, size=(8.0, 6.0), sharex=True)
    spans = run.phases()
    colors = phase_colors(spans)
    panels = ((axes[0][0], KL_KEY, "KL to reference (k3)"), (axes[1][0], ENTROPY_KEY, "entropy (nats/token)"))
    for ax, key, label in panels:
        shade_phases(ax, spans, colors, label=ax is axes[0][0])
        xs, ys = run.series(key)
        if xs:
            ax.plot(xs, ys, color="#1f77b4", lw=1.2)
        else:
            ax.text(0.5, 0.5, f"{key} not logged", ha="center", va="center", transform=ax.transAxes)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[1][0].set_xlabel("iteration")
    axes[1][0].xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(_title(run, "training stability"))
    return save_png(fig, path)


def plot_time(run: RunData, path: Path) -> Path | None:
    """Wall time per iteration stacked by stage (rollout includes generation and env stepping)."""
    keys = [(k, label) for k, label in TIME_KEYS if run.has(k)]
    if not any(k != "time/eval" for k, _ in keys):
        return None
    fig, axes = new_figure()
    ax = axes[0][0]
    its = [r["iteration"] for r in run.rows]
    stages = [[number(r.get(key)) or 0.0 for r in run.rows] for key, _ in keys]
    labels, colors = [label for _, label in keys], [color(i) for i in range(len(keys))]
    if len(its) > MAX_TIME_BARS:  # thousands of bars render slowly and read no better than areas
        ax.stackplot(its, *stages, labels=labels, colors=colors)
    else:
        bottom = [0.0] * len(its)
        for vals, label, col in zip(stages, labels, colors):
            ax.bar(its, vals, bottom=bottom, width=0.9, color=col, label=label)
            bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set(xlabel="iteration", ylabel="seconds", title=_title(run, "wall time per iteration"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", alpha=0.3)
    outside_legend(ax, title="stage")
    return save_png(fig, path)


def plot_bank(run: RunData, path: Path) -> Path | None:
    """Bank size and active skills per iteration (SIRI's Phases 1–2)."""
    if not run.has("bank/size"):
        return None
    fig, axes = new_figure(size=(8.0, 3.5))
    ax = axes[0][0]
    spans = run.phases()
    shade_phases(ax, spans, phase_colors(spans))
    for i, (key, label) in enumerate((("bank/size", "skills in the bank"), ("bank/active", "active skills"))):
        xs, ys = run.series(key)
        if xs:
            ax.step(xs, ys, where="post", color=color(i), label=label)
    ax.set(xlabel="iteration", ylabel="skills", title=_title(run, "skill bank"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    outside_legend(ax)
    return save_png(fig, path)


class PlotSpec(NamedTuple):
    file: str
    title: str
    draw: Callable[[RunData, Path], Path | None]
    missing: str  # what the report says when the plot is skipped


PLOTS = (
    PlotSpec("success.png", "Success per iteration", plot_success,
             "no train/success or eval/success values in metrics.jsonl"),
    PlotSpec("task_types.png", "Success per task type", plot_task_types,
             "no per-task-type success (train/success/<type>) in metrics.jsonl"),
    PlotSpec("skills.png", "Skill utilities", plot_skills,
             "no skill bank (skills.jsonl absent, empty, or no skill evaluated yet)"),
    PlotSpec("bank.png", "Skill bank size", plot_bank, "no bank/size in metrics.jsonl (not a skill method)"),
    PlotSpec("stability.png", "Stability: KL and entropy", plot_stability,
             f"neither {KL_KEY} nor {ENTROPY_KEY} in metrics.jsonl"),
    PlotSpec("time.png", "Time per iteration", plot_time, "no time/* values in metrics.jsonl"),
)
