"""What the plots draw, computed without drawing (docs/run-directory.md "Report"): rounding noise to
zero, phase bands on either x axis, curves that coincide, the time stages, the final evaluation.

Pure functions over metrics rows and plain lists, so each choice is tested by hand.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Sequence

from siri.report.data import EvalFile, number
from siri.report.labels import x_key
from siri.utils.errors import UserError

# Below this share of the largest magnitude drawn (or this absolute value), a value is rounding noise:
# float sums that should cancel leave ~1e-17, which a bar chart would otherwise blow up to full height.
NOISE_REL, NOISE_ABS = 1e-9, 1e-12


def denoise(values: Sequence[float], scale: float | None = None) -> list[float]:
    """`values` with every |v| <= max(NOISE_ABS, NOISE_REL · scale) set to 0; `scale` is the largest
    magnitude on the axis the values share (default: their own)."""
    if not values:
        return []
    if scale is None:
        scale = max(abs(v) for v in values)
    tol = max(NOISE_ABS, NOISE_REL * scale)
    return [0.0 if abs(v) <= tol else float(v) for v in values]


class PhaseBand(NamedTuple):
    phase: str
    low: float
    high: float


def phase_bands(rows: Sequence[dict[str, Any]], x: str) -> list[PhaseBand]:
    """Consecutive rows of one "phase" as an x range. Borders lie halfway between the last point of a
    phase and the first of the next; the outer edges half a gap beyond the first and last points (on
    the iteration axis: iteration ± 0.5). Rows without the x value are left out."""
    pts = [(str(r.get("phase", "?")), number(r.get(x_key(x)))) for r in rows]
    pts = [(p, v) for p, v in pts if v is not None]
    if not pts:
        return []
    xs = [v for _, v in pts]
    gaps = [b - a for a, b in zip(xs, xs[1:])]
    first_gap, last_gap = (gaps[0], gaps[-1]) if gaps else (1.0, 1.0)
    edges = [xs[0] - first_gap / 2] + [(a + b) / 2 for a, b in zip(xs, xs[1:])] + [xs[-1] + last_gap / 2]
    bands: list[PhaseBand] = []
    for i, (phase, _) in enumerate(pts):
        if bands and bands[-1].phase == phase:
            bands[-1] = PhaseBand(phase, bands[-1].low, edges[i + 1])
        else:
            bands.append(PhaseBand(phase, edges[i], edges[i + 1]))
    return bands


class Overlap(NamedTuple):
    other: int  # index of the curve, drawn before, that this one coincides with
    upto: float | None  # the last shared x; None when the curves are equal everywhere


MIN_SHARED_POINTS, MIN_SHARED_SHARE = 3, 0.2
Points = tuple[Sequence[float], Sequence[float]]


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=NOISE_ABS)


def shared_prefix(a: Points, b: Points) -> int:
    """How many leading points two (x, y) curves share (same x and y, up to rounding)."""
    n = 0
    for xa, ya, xb, yb in zip(a[0], a[1], b[0], b[1]):
        if not (_same(xa, xb) and _same(ya, yb)):
            break
        n += 1
    return n


def overlaps(curves: Sequence[Points]) -> dict[int, Overlap]:
    """Curves that would hide under one drawn before them: equal everywhere, or on a leading stretch
    of at least MIN_SHARED_POINTS points and MIN_SHARED_SHARE of the shorter curve that is not flat
    (e.g. SIRI's warm-up, which is GiGPO with the same seeds; two counts both at 0 for a while are no
    news). Maps the later curve's index to the earlier one."""
    found: dict[int, Overlap] = {}
    for j, cur in enumerate(curves):
        for i, other in enumerate(curves[:j]):
            n = shared_prefix(cur, other)
            if n and n == len(cur[0]) == len(other[0]):
                found[j] = Overlap(i, None)
                break
            flat = all(_same(y, cur[1][0]) for y in cur[1][:n])
            if not flat and n >= max(MIN_SHARED_POINTS, MIN_SHARED_SHARE * min(len(cur[0]), len(other[0]))):
                found[j] = Overlap(i, float(cur[0][n - 1]))
                break
    return found


def overlap_note(other: str, upto: float | None, x: str) -> str:
    """"same as gigpo", "same as gigpo up to 7,600 env steps" or "... up to iteration 19"."""
    if upto is None:
        return f"same as {other}"
    at = f"iteration {upto:.0f}" if x == "iteration" else f"{upto:,.0f} env steps"
    return f"same as {other} up to {at}"


def points_by_phase(rows: Sequence[dict[str, Any]], key: str, x: str) -> dict[str, Points]:
    """(x, y) of `key` per phase, phases in order of first appearance."""
    out: dict[str, tuple[list[float], list[float]]] = {}
    for r in rows:
        xv, yv = number(r.get(x_key(x))), number(r.get(key))
        if xv is not None and yv is not None:
            xs, ys = out.setdefault(str(r.get("phase", "?")), ([], []))
            xs.append(xv)
            ys.append(yv)
    return out


# Stages of an iteration's wall time (train/loop.py). time/update spans the method's preparation,
# which holds the teacher's scoring and skill generation: drawn apart, the update is what remains.
STAGES = (("time/rollout", "rollout"), ("time/scoring", "reference scoring"), ("time/teacher", "teacher scoring"),
          ("time/mining", "skill generation"), ("time/update", "update"), ("time/eval", "evaluation"))
INSIDE_UPDATE = ("time/teacher", "time/mining")


def time_stages(rows: Sequence[dict[str, Any]]) -> list[tuple[str, list[float]]]:
    """(stage, seconds per row) for the stages some row logs; a stage a row lacks took 0 s there
    (evaluation and skill generation run only in some iterations). The update excludes the teacher
    and skill generation, which `time/update` includes."""
    present = [(k, name) for k, name in STAGES if any(number(r.get(k)) is not None for r in rows)]
    out = []
    for key, name in present:
        vals = []
        for r in rows:
            v = number(r.get(key)) or 0.0
            if key == "time/update":
                v -= sum(number(r.get(k)) or 0.0 for k in INSIDE_UPDATE)
            vals.append(v)
        out.append((name, denoise(vals)))
    return out


def bar_spans(xs: Sequence[float], x: str) -> tuple[list[float], list[float]]:
    """(left edge, width) of one bar per iteration. On the iteration axis: centred, 0.9 wide. On the
    env-step axis an iteration spans the steps it took, from the previous point to its own (the first
    as wide as the second, not below 0), so a bar's width is the iteration's share of the run."""
    if x == "iteration":
        return [v - 0.45 for v in xs], [0.9] * len(xs)
    first = max(0.0, xs[0] - (xs[1] - xs[0])) if len(xs) > 1 else 0.0
    lefts = [first] + list(xs[:-1])
    return lefts, [b - a for a, b in zip(lefts, xs)]


def final_evaluation(evals: Sequence[EvalFile]) -> EvalFile | None:
    """The run's own final evaluation: the first `eval/final_*.json` with an "all" row."""
    return next((e for e in evals if e.name.startswith("final_") and "all" in e.success), None)


def iteration_to_x(rows: Sequence[dict[str, Any]], x: str) -> dict[int, float]:
    """Each iteration's position on the x axis (its env steps, or itself)."""
    out = {}
    for r in rows:
        it, v = number(r.get("iteration")), number(r.get(x_key(x)))
        if it is not None and v is not None:
            out[int(it)] = v
    return out


def check_x_logged(rows: Sequence[dict[str, Any]], x: str, where: str) -> None:
    """A one-line error when the rows exist but none holds the x axis's value (older runs may lack
    env_steps_total): plotting them would silently drop every point."""
    if rows and not iteration_to_x(rows, x):
        raise UserError(f"{where}: no row of metrics.jsonl has {x_key(x)}, which the x axis {x!r} needs; "
                        f"use the x axis 'iteration'")
