"""Summary statistics of trajectories: success rates with 95% confidence intervals."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Iterable, Sequence

from siri.rollout.types import RolloutBatch, Trajectory

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (well-behaved at 0 and 1, unlike the normal one)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Exactly p at p = 0 or 1 (the closed form is, but rounding left e.g. 5.6e-17 above a zero rate).
    return (min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)))


def mean_interval(values: Sequence[float], z: float = Z95) -> tuple[float, float, float]:
    """(mean, low, high) with the normal approximation on the standard error."""
    n = len(values)
    if n == 0:
        return (0.0, 0.0, 0.0)
    mean = sum(values) / n
    if n == 1:
        return (mean, mean, mean)
    var = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = z * math.sqrt(var / n)
    return (mean, mean - half, mean + half)


def success_table(trajs: Iterable[Trajectory]) -> dict[str, dict[str, float]]:
    """Per task type and "all": n, success rate and its Wilson 95% interval."""
    by_type: dict[str, list[bool]] = defaultdict(list)
    for tr in trajs:
        by_type[tr.task_type].append(tr.won)
        by_type["all"].append(tr.won)
    out = {}
    for name, wins in sorted(by_type.items()):
        k, n = sum(wins), len(wins)
        lo, hi = wilson_interval(k, n)
        out[name] = {"n": n, "success": k / n, "ci_low": lo, "ci_high": hi}
    return out


def rollout_summary(batch: RolloutBatch, prefix: str = "") -> dict[str, float]:
    """Scalar metrics of a rollout: success, return, length, invalid ratio, per-type success."""
    trajs = batch.trajectories
    n = max(len(trajs), 1)
    rows = batch.rows
    out = {
        f"{prefix}success": sum(t.won for t in trajs) / n,
        f"{prefix}return": sum(t.total_reward for t in trajs) / n,
        f"{prefix}length": sum(t.length for t in trajs) / n,
        f"{prefix}invalid_ratio": sum(not r.valid for r in rows) / max(len(rows), 1),
        f"{prefix}env_steps": float(len(rows)),
        f"{prefix}response_tokens": float(sum(len(r.response_ids) for r in rows)),
    }
    scores = [t.task_score for t in trajs if t.task_score is not None]
    if scores:
        out[f"{prefix}score"] = sum(scores) / len(scores)
    for name, row in success_table(trajs).items():
        if name != "all":
            out[f"{prefix}success/{name}"] = row["success"]
    return out
