"""The methods' own plots (docs/run-directory.md "Report"): skill utilities from `skills.jsonl` (SIRI's
U(z), Skill-SD's arm rewards) and the distillation term of Skill-SD, OPD and OPSD (docs/algorithms.md
§5): ℓ against the teacher, the importance ratio ρ, the distillation loss and the taught share of rows.

Same contract as `plots`: draw into `path` against the x axis `x`, or return None when there is no data.
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.patches import Patch

from siri.report.data import RunData, Skill
from siri.report.labels import NATS, axis_label, legend_label
from siri.report.prep import denoise, iteration_to_x
from siri.report.style import STATE_COLORS, Curve, color, draw_curves, format_x, new_figure, run_title, save_png

MAX_BARS, TOP_SKILLS = 40, 5


def _bars(skills: list[Skill]) -> tuple[list[Skill], str]:
    """Skills with a utility sorted by U; past MAX_BARS, the highest and lowest halves."""
    rated = sorted((s for s in skills if s.utility is not None), key=lambda s: -s.utility)
    if len(rated) <= MAX_BARS:
        return rated, f"all {len(rated)} evaluated skills"
    half = MAX_BARS // 2
    return rated[:half] + rated[-half:], f"top and bottom {half} of {len(rated)} evaluated skills"


def utility_label(run: RunData) -> str:
    """What `utility` means in this run's skills.jsonl (docs/run-directory.md "skills.jsonl")."""
    return "U(z): mean paired Δ (skill − plain)" if run.algo == "siri" else "arm's mean reward"


def plot_skills(run: RunData, path: Path, x: str) -> Path | None:
    """Final utility per skill coloured by state (noise drawn as 0); utility over its evaluations for the
    top skills."""
    if not run.skills:
        return None
    shown, note = _bars(run.skills)
    if not shown:
        return None
    fig, axes = new_figure(1, 2, size=(13.0, 5.0), width_ratios=(3, 2))
    ax = axes[0][0]
    heights = denoise([s.utility for s in shown])
    ax.bar(range(len(shown)), heights, color=[STATE_COLORS.get(s.state, "0.5") for s in shown])
    ax.set_xticks(range(len(shown)), [s.id for s in shown], rotation=90, fontsize=7)
    ax.axhline(0, color="black", lw=0.8)
    if not any(heights):
        ax.text(0.5, 0.6, "every utility is 0 (to rounding)", ha="center", transform=ax.transAxes)
    handles = [Patch(color=col, label=state) for state, col in STATE_COLORS.items()]
    ax.legend(handles=handles, fontsize=8, title="state")
    ax.set(ylabel=utility_label(run), title=f"final utility per skill ({note})")
    ax.grid(axis="y", alpha=0.3)
    _utility_history(axes[0][1], run, shown, x)
    fig.suptitle(run_title(run, "skill utilities"))
    return save_png(fig, path)


def _utility_history(ax, run: RunData, skills: list[Skill], x: str) -> None:
    at = iteration_to_x(run.rows, x)
    curves = []
    for s in skills:
        its, ys = s.utility_history()
        pts = [(at[int(i)], y) for i, y in zip(its, ys) if int(i) in at]
        if pts:
            curves.append(Curve(f"{s.id} ({s.task_type}, {s.state})", [p[0] for p in pts], [p[1] for p in pts],
                                color(len(curves)), {"marker": "o", "ms": 3}))
        if len(curves) == TOP_SKILLS:
            break
    if draw_curves(ax, curves, x):
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no evaluations recorded", ha="center", va="center", transform=ax.transAxes)
    ax.axhline(0, color="black", lw=0.8)
    format_x(ax, x)
    ax.set(ylabel="utility after each evaluation", title=f"utility over evaluations (top {len(curves)} by final U)")
    ax.grid(alpha=0.3)


# (title, keys, unit of the panel, reference line): the panels of distill.png, each drawn when logged
DISTILL_PANELS = (
    ("gap to the teacher (0: the student agrees)", ("update/skill_sd/ell_mean", "sd/old_teacher_gap"), NATS, 0.0),
    ("importance ratio (1: on-policy)", ("update/skill_sd/rho_mean",), "ratio", 1.0),
    ("distillation term", ("update/skill_sd/loss", "update/naive_k3_sd/loss", "update/naive_sq_sd/loss",
                           "update/skill_sd/reverse_kl_k3"), NATS, 0.0),
    ("rows with a teacher", ("sd/taught_fraction",), "share", None),
)


def plot_distill(run: RunData, path: Path, x: str) -> Path | None:
    """Skill-SD's own quantities per iteration, one panel per question (DISTILL_PANELS)."""
    panels = [(t, [k for k in keys if run.has(k)], unit, ref) for t, keys, unit, ref in DISTILL_PANELS]
    panels = [p for p in panels if p[1]]
    if not panels:
        return None
    cols = min(2, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = new_figure(rows, cols, size=(6.0 * cols + 1.0, 3.4 * rows))
    flat = [ax for row in axes for ax in row]
    for ax, (what, keys, unit, ref) in zip(flat, panels):
        curves = [Curve(legend_label(k), *run.series(k, x), color(i), {"lw": 1.3}) for i, k in enumerate(keys)]
        draw_curves(ax, curves, x)
        if ref is not None:
            ax.axhline(ref, color="black", lw=0.8, ls=":")
        if unit == "share":
            ax.set_ylim(-0.03, 1.03)
        ax.set(title=what, ylabel=axis_label(keys[0]) if len(keys) == 1 else unit)
        if len(keys) > 1:
            ax.legend(fontsize=7)
        format_x(ax, x)
        ax.grid(alpha=0.3)
    for ax in flat[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(run_title(run, "distillation"))
    return save_png(fig, path)
