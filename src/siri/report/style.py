"""Shared figure plumbing: headless figures, PNG written atomically, phase colours and shading, the x
axis, integer ticks for counts, and curves drawn so that none hides another.

Figures are `matplotlib.figure.Figure` objects rendered by the Agg canvas directly, never through
`pyplot`: no display is needed, no global figure state leaks between reports, and a user's
interactive backend is left alone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from siri.report.data import RunData
from siri.report.labels import phase_name, x_label
from siri.report.prep import PhaseBand, denoise, overlap_note, overlaps
from siri.utils.atomic import atomic_write_bytes

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
STATE_COLORS = {"active": "#2ca02c", "candidate": "#1f77b4", "retired": "#d62728"}
DPI = 110


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def run_title(run: RunData, what: str) -> str:
    return f"{run.name} ({run.algo}, {run.env}): {what}"


def new_figure(rows: int = 1, cols: int = 1, size: tuple[float, float] = (8.0, 4.5), **kw) -> tuple[Figure, object]:
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(rows, cols, squeeze=False, **kw)


def save_png(fig: Figure, path: Path) -> Path:
    """Render to PNG in memory, then replace `path` atomically (a reader never sees half a PNG)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    atomic_write_bytes(path, buf.getvalue())
    return path


def phase_colors(bands: Sequence[PhaseBand]) -> dict[str, str]:
    """One colour per phase name in order of first appearance (a phase that recurs keeps its colour)."""
    out: dict[str, str] = {}
    for band in bands:
        out.setdefault(band.phase, color(len(out)))
    return out


def shade_phases(ax, bands: Sequence[PhaseBand], colors: dict[str, str], label: bool = True) -> None:
    """Light background bands per phase, named at the top ("Phase 1: mining") when there are several."""
    if len(colors) < 2:
        return
    for band in bands:
        ax.axvspan(band.low, band.high, color=colors[band.phase], alpha=0.08, lw=0)
        if label:
            ax.text((band.low + band.high) / 2, 0.99, phase_name(band.phase).replace(": ", ":\n"),
                    transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=8,
                    color=colors[band.phase])


def format_x(ax, x: str) -> None:
    """The x axis of the option `x`: its label, integer ticks, thousands separated (12,000)."""
    ax.set_xlabel(x_label(x))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def count_ticks(ax) -> None:
    """Integer y ticks, for counts (skills, rows, tokens)."""
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


DASHED = (0, (4, 3))


@dataclass
class Curve:
    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    color: str
    style: dict[str, Any] = field(default_factory=dict)  # matplotlib line keywords
    band: tuple[Sequence[float], Sequence[float], Sequence[float]] | None = None  # (x, low, high) shaded


def draw_curves(ax, curves: Sequence[Curve], x: str) -> bool:
    """Plot the curves with rounding noise set to 0 (relative to the largest value on the axes). A curve
    equal to one drawn before it, everywhere or on a leading stretch, is dashed over it and says so in
    its legend entry ("same as gigpo up to 7,600 env steps"). False when no curve has a point."""
    curves = [c for c in curves if len(c.xs)]
    if not curves:
        return False
    scale = max(abs(v) for c in curves for v in c.ys)
    ys = [denoise(c.ys, scale) for c in curves]
    found = overlaps([(c.xs, y) for c, y in zip(curves, ys)])
    for j, (c, y) in enumerate(zip(curves, ys)):
        style, label = {"lw": 1.6, **c.style}, c.label
        if j in found:
            style["ls"] = DASHED
            other = curves[found[j].other].label
            if not (label.startswith("_") or other.startswith("_")):  # "_..." labels stay out of the legend
                label = f"{label} ({overlap_note(other, found[j].upto, x)})"
        ax.plot(c.xs, y, color=c.color, label=label, **style)
        if c.band is not None:
            ax.fill_between(c.band[0], c.band[1], c.band[2], color=c.color, alpha=0.15, lw=0)
    return True


def outside_legend(ax, **kw) -> None:
    """Legend to the right of the axes, where it can never hide a curve or a phase label."""
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)
