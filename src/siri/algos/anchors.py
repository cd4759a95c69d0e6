"""Anchor-state grouping for GiGPO step advantages (docs/algorithms.md §2, item 3).

Inside one episode group, rows whose anchor observations match form a step group: any trajectory,
any step. Two ways to match:

- `exact`: identical anchor strings (verl-agent's default).
- `similarity`: greedy clustering in row order; an anchor joins the first cluster whose *first member*
  has `difflib.SequenceMatcher(None, a, b).ratio() >= threshold`, else it opens a new cluster.
  The comparison is always with the first member, never with later members, so the result depends
  on row order: callers keep rows in a fixed order for reproducible groups.

Pure Python: no numpy, no torch.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Hashable, Sequence

from siri.algos.errors import AlgoError, check_choice

GROUPINGS = ("exact", "similarity")


def check_threshold(threshold: float) -> float:
    """τ must lie strictly inside (0, 1): 1 would be exact grouping, 0 would merge everything."""
    if not 0.0 < threshold < 1.0:
        raise AlgoError(f"similarity_threshold must be in the open interval (0, 1); got {threshold!r}")
    return float(threshold)


def is_similar(a: str, b: str, threshold: float) -> bool:
    """`SequenceMatcher(None, a, b).ratio() >= threshold`, with difflib's cheap upper bounds first.

    `real_quick_ratio()` and `quick_ratio()` never underestimate `ratio()`, so rejecting on them gives
    exactly the same answer as computing `ratio()`, only faster.
    """
    if a == b:
        return True
    matcher = SequenceMatcher(None, a, b)
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return False
    return matcher.ratio() >= threshold


def _cluster_similar(anchors: Sequence[str], threshold: float) -> list[int]:
    """Greedy first-member clustering of one episode group's anchors; returns a cluster index per row."""
    firsts: list[str] = []
    seen: dict[str, int] = {}  # identical strings always land in the same cluster
    labels: list[int] = []
    for anchor in anchors:
        if not isinstance(anchor, str):
            raise AlgoError(f"similarity grouping needs string anchors; got {type(anchor).__name__}")
        if anchor not in seen:
            hit = next((k for k, first in enumerate(firsts) if is_similar(anchor, first, threshold)), None)
            if hit is None:
                firsts.append(anchor)
                hit = len(firsts) - 1
            seen[anchor] = hit
        labels.append(seen[anchor])
    return labels


def step_groups(
    group_ids: Sequence[Hashable],
    anchors: Sequence[str],
    grouping: str = "exact",
    threshold: float = 0.95,
) -> list[int]:
    """Step-group label per row (0, 1, 2, … in order of first appearance); groups never span episode groups.

    §2 item 3: exact anchors, or greedy similarity clustering with threshold τ ∈ (0, 1).
    """
    check_choice("grouping", grouping, GROUPINGS)
    check_threshold(threshold)
    if len(group_ids) != len(anchors):
        raise AlgoError(f"group_ids has {len(group_ids)} rows but anchors has {len(anchors)}")
    rows_by_group: dict[Hashable, list[int]] = {}
    for i, g in enumerate(group_ids):
        rows_by_group.setdefault(g, []).append(i)
    labels = [-1] * len(anchors)
    keys: dict[tuple[Hashable, Hashable], int] = {}
    for g, rows in rows_by_group.items():
        local = (
            [anchors[i] for i in rows] if grouping == "exact"
            else _cluster_similar([anchors[i] for i in rows], threshold)
        )
        for i, key in zip(rows, local):
            labels[i] = keys.setdefault((g, key), len(keys))
    return labels


def group_sizes(labels: Sequence[int]) -> list[int]:
    """Size of each step group, indexed by label (the "mean step-group size" metric averages these)."""
    sizes = [0] * (max(labels) + 1 if labels else 0)
    for label in labels:
        sizes[label] += 1
    return sizes
