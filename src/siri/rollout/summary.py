"""Scalar summaries of a rollout: success per task type (with Wilson intervals), returns, lengths."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from siri.rollout.types import RolloutBatch, Trajectory
from siri.stats import wilson_interval


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
