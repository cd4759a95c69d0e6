"""Two more `siri report --compare` figures: final held-out success at each run's environment steps,
and training stability (KL to the reference, entropy) against environment steps (or iterations: the x
axis option `labels.X_AXES`, shared with the single-run report).

The first answers "which method is better at equal environment steps" when runs evaluate only at the
end (`train.eval_every: 0`): each run is a point with its Wilson 95% interval, each label's mean over
seeds a larger marker; runs that all stopped at about the same environment steps stand side by side
per label, others at the environment steps they stopped at. The second is Skill-SD's stability check
(docs/algorithms.md §5: the naive sum is reported to collapse): the k3 KL to the frozen reference and the
policy's token entropy, as logged by the update, per label (mean with the min–max band over seeds).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from siri.report.aggregate import Band, Group, mean_curve, moving_average, t_interval
from siri.report.data import EvalFile, RunData
from siri.report.labels import DEFAULT_X, axis_label, x_key, x_label
from siri.report.style import Curve, color, draw_curves, format_x, new_figure, outside_legend, save_png


FINAL_PNG, STABILITY_PNG = "compare_final.png", "compare_stability.png"
KL_KEY, ENTROPY_KEY = "update/kl/loss", "update/entropy/entropy"


def final_point(run: RunData, name: str, x: str = DEFAULT_X) -> tuple[float, EvalFile] | None:
    """(the run's last x value, e.g. its environment steps at the end; its evaluation `name`), if both exist."""
    steps = run.series(x_key(x))[1]
    found = next((e for e in run.evals if e.name == name and "all" in e.success), None)
    return (steps[-1], found) if steps and found is not None else None


EQUAL_STEPS_TOL = 0.1


def equal_budget(steps: Sequence[float], tol: float = EQUAL_STEPS_TOL) -> bool:
    """True when every run stopped within `tol` (relative) of the furthest one: a comparison at equal
    environment steps, better drawn side by side per label than along an env-step axis."""
    return bool(steps) and min(steps) >= (1.0 - tol) * max(steps)


MEAN_OFFSET = 0.15  # a label's mean sits right of its tick, its runs left of it


def seed_offsets(k: int, left: float = -0.3, right: float = -0.05) -> list[float]:
    """x offsets of a label's k runs from its tick, evenly over [left, right] (one run: at `right`)."""
    return [right] if k == 1 else [left + (right - left) * j / (k - 1) for j in range(k)]


def plot_final(groups: Sequence[Group], name: str, path: Path, x: str = DEFAULT_X) -> Path | None:
    """Final success of every run (Wilson 95% error bar), label means as diamonds. Runs that stopped at
    about the same environment steps (iteration) are drawn side by side per label; otherwise at their x."""
    per_group = [[p for p in (final_point(r, name, x) for r in g.runs) if p is not None] for g in groups]
    steps = [at for pts in per_group for at, _ in pts]
    if not steps:
        return None
    by_label, xmax = equal_budget(steps), max(steps)
    fig, axes = new_figure(size=(9.0, 4.8))
    ax = axes[0][0]
    for i, (g, raw) in enumerate(zip(groups, per_group)):
        if not raw:
            continue
        col = color(i)
        if by_label:
            points = [(i + off, e) for off, (_, e) in zip(seed_offsets(len(raw)), raw)]
        else:  # runs at equal env steps share an x: spread the labels by 1% of the axis to keep bars apart
            shift = (i - (len(groups) - 1) / 2) * 0.01 * xmax
            points = [(at + shift, e) for at, e in raw]
        for k, (at, e) in enumerate(points):
            a = e.success["all"]
            ax.errorbar([at], [a["success"]], yerr=[[a["success"] - a["ci_low"]], [a["ci_high"] - a["success"]]],
                        fmt="o", color=col, ms=5, capsize=3, alpha=0.8, label=g.label if k == 0 else None)
        values = [e.success["all"]["success"] for _, e in points]
        t = t_interval(values)
        if t is not None and by_label:  # the mean over seeds with its Student-t 95% interval
            m, lo, hi = t[0], max(t[1], 0.0), min(t[2], 1.0)
            ax.errorbar([i + MEAN_OFFSET], [m], yerr=[[m - lo], [hi - m]], marker="D", ms=9, color=col, mec="black",
                        ecolor="black", capsize=4, ls="none", label=f"{g.label}: mean of {len(points)} (bars: t 95%)")
        elif t is not None:
            ax.plot([sum(at for at, _ in points) / len(points)], [t[0]], marker="D", ms=10, color=col, mec="black",
                    ls="none", label=f"{g.label}: mean of {len(points)}")
    if by_label:
        ax.set_xticks(range(len(groups)), [g.label for g in groups])
        ax.set(xlim=(-0.5, len(groups) - 0.5),
               xlabel=f"runs side by side per label, all stopped at {min(steps):,.0f}–{xmax:,.0f} {x_label(x)}")
    else:
        format_x(ax, x)
        ax.set(xlabel=f"{x_label(x)}; labels spread by 1% to keep bars apart",
               xlim=(0, xmax * 1.1 if xmax > 0 else 1.0))
    ax.set(ylabel="held-out success rate", ylim=(-0.03, 1.03),
           title=f"{name}: success at the end of each run (run bars: Wilson 95% CI)")
    ax.grid(alpha=0.3)
    outside_legend(ax)
    return save_png(fig, path)


def _smoothed(run: RunData, key: str, x: str) -> tuple[list[float], list[float]]:
    xs, ys = run.series(key, x)
    return xs, moving_average(ys, max(1, len(ys) // 10)) if ys else []


Points = tuple[list[float], list[float]]


def group_curves(i: int, group: Group, curves: Sequence[Points], single_band=None) -> list[Curve]:
    """One group's curve: the run itself (with `single_band` if given), or the mean over its runs with a
    min–max band, or, when the runs share no x range, each run apart (one legend entry)."""
    curves = [c for c in curves if c[0]]
    if not curves:
        return []
    col = color(i)
    if len(curves) == 1:
        xs, ys = curves[0]
        return [Curve(group.label, xs, ys, col, {"marker": "o" if len(xs) < 30 else None, "ms": 3}, single_band)]
    band: Band | None = mean_curve(curves)
    if band is None:
        return [Curve(f"{group.label} ({len(curves)} runs, no common range)" if k == 0 else "_nolegend_", xs, ys, col,
                      {"lw": 1, "alpha": 0.7}) for k, (xs, ys) in enumerate(curves)]
    return [Curve(f"{group.label} (mean of {band.n_runs})", band.x, band.mean, col,
                  {"lw": 1.8, "marker": "o" if len(band.x) < 30 else None, "ms": 3}, (band.x, band.low, band.high))]


def draw_groups(ax, groups: Sequence[Group], curves_of, x: str, band_of=None) -> bool:
    """Every group's curve on `ax` (`curves_of(run)` gives a run's points, `band_of(run)` a lone run's
    interval); curves that coincide are dashed and named (`style.draw_curves`). False when none is drawn."""
    drawn = []
    for i, g in enumerate(groups):
        single = band_of(g.runs[0]) if band_of is not None and len(g.runs) == 1 else None
        drawn += group_curves(i, g, [curves_of(r) for r in g.runs], single)
    return draw_curves(ax, drawn, x)


def plot_stability(groups: Sequence[Group], path: Path, x: str = DEFAULT_X) -> Path | None:
    """KL to the reference (left) and entropy (right), one curve (band) per label."""
    if not any(r.has(KL_KEY) or r.has(ENTROPY_KEY) for g in groups for r in g.runs):
        return None
    fig, axes = new_figure(1, 2, size=(12.0, 4.6))
    for ax, key, title in ((axes[0][0], KL_KEY, "k3 KL to the reference"),
                           (axes[0][1], ENTROPY_KEY, "token entropy of the policy")):
        draw_groups(ax, groups, lambda r: _smoothed(r, key, x), x)
        ax.set(ylabel=axis_label(key), title=f"{title} (moving avg)")
        format_x(ax, x)
        ax.grid(alpha=0.3)
    outside_legend(axes[0][1])
    return save_png(fig, path)
