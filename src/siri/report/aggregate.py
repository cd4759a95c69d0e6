"""Pure arithmetic behind the plots and comparisons: smoothing, curves across seeds, labels, intervals.

Choices (documented in `siri report --help` and compare.md):
- Train success is noisy (a few groups per iteration), so curves use a **trailing** moving average
  (each point averages itself and the w−1 before it: no look-ahead into later iterations).
- Seeds of one configuration log at different env-step counts, so each seed's curve is linearly
  interpolated onto a common grid spanning only the range **every** seed covers (no extrapolation);
  the group curve is the mean over seeds and its band is the **min–max across seeds** (with 2–5
  seeds a ±std band says little; min–max shows every seed's curve lies inside it).
- The per-label final success is the mean over seeds with a Student-t 95% interval across seeds,
  next to the pooled Wilson interval over all episodes (which ignores between-seed variance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from siri.report.data import RunData
from siri.utils.dotted import dotted
from siri.utils.errors import UserError

# Two-sided 95% Student-t quantiles t_{0.975, df} for df = 1..30; beyond that the normal 1.96.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
         2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
         2.052, 2.048, 2.045, 2.042)

# Config sections that name or place a run but do not change what it learns: runs that differ only
# here (typically run.seed and run.name) are seeds of one configuration.
RUN_ONLY_SECTIONS = ("run",)


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """Trailing mean over the last `window` values (fewer at the start)."""
    if window < 1:
        raise UserError(f"smoothing window must be >= 1, got {window}")
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def default_window(n: int) -> int:
    """About a tenth of the curve, at least 1 and at most 20 iterations."""
    return max(1, min(20, n // 10))


def interpolate(xs: Sequence[float], ys: Sequence[float], at: float) -> float:
    """Linear interpolation of the curve (xs increasing) at `at`, which must lie in [xs[0], xs[-1]]."""
    if not xs or at < xs[0] or at > xs[-1]:
        raise ValueError(f"{at} outside the curve's range")
    for i in range(1, len(xs)):
        if at <= xs[i]:
            x0, x1 = xs[i - 1], xs[i]
            if x1 == x0:
                return ys[i]
            return ys[i - 1] + (ys[i] - ys[i - 1]) * (at - x0) / (x1 - x0)
    return ys[0]  # a single point


@dataclass(frozen=True)
class Band:
    """A group's curve: mean over seeds with the min and max across seeds at each grid point."""

    x: list[float]
    mean: list[float]
    low: list[float]
    high: list[float]
    n_runs: int


def mean_curve(curves: Sequence[tuple[Sequence[float], Sequence[float]]], points: int = 100) -> Band | None:
    """Mean and min–max band of several (x, y) curves on a common grid over their shared x range.

    The grid is the union of the curves' own x values inside the shared range when that is at most
    `points` long (so hand-picked inputs give exact values), else `points` evenly spaced values.
    None when the curves share no x range (or there are none).
    """
    curves = [(list(x), list(y)) for x, y in curves if len(x) > 0]
    if not curves:
        return None
    lo, hi = max(c[0][0] for c in curves), min(c[0][-1] for c in curves)
    if lo > hi:
        return None
    grid = sorted({x for c in curves for x in c[0] if lo <= x <= hi})
    if len(grid) > points:
        grid = [lo + (hi - lo) * i / (points - 1) for i in range(points)]
    mean, low, high = [], [], []
    for g in grid:
        vals = [interpolate(x, y, g) for x, y in curves]
        mean.append(sum(vals) / len(vals))
        low.append(min(vals))
        high.append(max(vals))
    return Band(x=grid, mean=mean, low=low, high=high, n_runs=len(curves))


def t_interval(values: Sequence[float]) -> tuple[float, float, float] | None:
    """(mean, low, high): Student-t 95% interval of the mean across seeds; None for fewer than 2."""
    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    t = _T975[n - 2] if n - 1 <= len(_T975) else 1.959963984540054
    half = t * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def _config_key(config: Mapping[str, Any]) -> tuple:
    flat = dotted(config)
    return tuple(sorted((k, repr(v)) for k, v in flat.items() if k.split(".")[0] not in RUN_ONLY_SECTIONS))


def _lookup(config: Mapping[str, Any], dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def group_labels(configs: Sequence[Mapping[str, Any]], names: Sequence[str], group_by: str | None = None) -> list[str]:
    """A label per run; runs with the same label are seeds of one curve.

    `group_by` None: runs whose configs agree outside the `run` section share a group, labelled by
    `algo.name`, plus the keys that tell groups with the same algorithm apart (e.g.
    "siri (siri.warmup=False)"). `group_by` a dotted key: the label is that key's value
    ("run.name" gives one curve per run). A run without a config is its own group, named by its run.
    """
    if group_by is not None:
        return [str(_lookup(c, group_by)) if _lookup(c, group_by) is not None else f"{group_by}=?" for c in configs]
    keys = [(_config_key(c) if c else ("__run__", n)) for c, n in zip(configs, names)]
    algos = [str(_lookup(c, "algo.name") or n) for c, n in zip(configs, names)]
    distinct = list(dict.fromkeys(keys))
    label_of: dict[tuple, str] = {}
    for key in distinct:
        runs = [i for i, k in enumerate(keys) if k == key]
        algo = algos[runs[0]]
        rivals = [k for k in distinct if k != key and algos[keys.index(k)] == algo]
        label = algo if not rivals or not configs[runs[0]] else _distinguish(algo, key, rivals)
        taken = set(label_of.values())
        suffix = 2
        while label in taken:  # still ambiguous (e.g. a rival only adds keys): number it
            label, suffix = f"{label.split(' #')[0]} #{suffix}", suffix + 1
        label_of[key] = label
    return [label_of[k] for k in keys]


def _distinguish(algo: str, key: tuple, rivals: Sequence[tuple]) -> str:
    """`algo (k=v, …)` with the settings of `key` that differ from at least one rival (at most 3)."""
    mine = dict(key)
    differing = [k for k, v in key if any(dict(r).get(k) != v for r in rivals)]
    shown = ", ".join(f"{k}={mine[k].strip(chr(39))}" for k in differing[:3]) + (", …" if len(differing) > 3 else "")
    return f"{algo} ({shown})" if shown else algo


@dataclass
class Group:
    label: str
    runs: list[RunData]


def group_runs(runs: Sequence[RunData], group_by: str | None = None) -> list[Group]:
    """Runs grouped by label, groups in order of first appearance."""
    labels = group_labels([r.config for r in runs], [r.name for r in runs], group_by)
    groups: dict[str, Group] = {}
    for run, label in zip(runs, labels):
        groups.setdefault(label, Group(label, [])).runs.append(run)
    return list(groups.values())
