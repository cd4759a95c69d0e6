"""Choosing one skill among several of a task type (docs/algorithms.md §4 "Retrieval (ours)", §5 bandit).

Pure functions over `(value, count)` pairs so that SIRI's bank (value = utility U(z), count = n(z))
and Skill-SD's library (value = mean arm reward, count = pulls) share one rule.

UCB (ours, the standard UCB1 form): `score_i = value_i + c · sqrt(ln N / n_i)` with
`N = Σ_j n_j` over the eligible arms of the task type. An arm with `n_i = 0` scores +inf, so every new
skill is tried before any is exploited; with `N = 1` the bonus is 0 (ln 1 = 0). Greedy: the largest
value; untried arms count as value 0 there (they have no evidence either way).

Ties (several arms with the same top score, e.g. several untried candidates) are broken with the
caller's random generator, so a run's seed decides and two untried skills get equal chances.
"""

from __future__ import annotations

import math
from typing import Protocol, Sequence

SELECTION_MODES = ("ucb", "greedy")


class RandomLike(Protocol):
    """`random.Random` and `numpy.random.Generator` both have `random() -> float in [0, 1)`."""

    def random(self) -> float: ...


def check_mode(mode: str) -> str:
    """`mode` if it is a known selection mode, else a ValueError naming the allowed ones."""
    if mode not in SELECTION_MODES:
        raise ValueError(f"unknown skill selection mode {mode!r}; allowed: {', '.join(SELECTION_MODES)}")
    return mode


def ucb_scores(values: Sequence[float], counts: Sequence[int], c: float) -> list[float]:
    """UCB1 scores `v + c·sqrt(ln N / n)` (N = Σ counts); +inf for an arm never tried."""
    if len(values) != len(counts):
        raise ValueError("values and counts must have the same length")
    if c < 0:
        raise ValueError(f"the UCB exploration constant must be >= 0, got {c}")
    total = sum(counts)
    log_total = math.log(total) if total > 0 else 0.0
    return [math.inf if n <= 0 else v + c * math.sqrt(log_total / n) for v, n in zip(values, counts)]


def greedy_scores(values: Sequence[float], counts: Sequence[int]) -> list[float]:
    """The values themselves; an untried arm (n = 0) counts as 0."""
    if len(values) != len(counts):
        raise ValueError("values and counts must have the same length")
    return [v if n > 0 else 0.0 for v, n in zip(values, counts)]


def argmax_random_tie(scores: Sequence[float], rng: RandomLike) -> int:
    """Index of the largest score; among equal top scores, one drawn uniformly with `rng`."""
    if not scores:
        raise ValueError("no scores to choose from")
    best = max(scores)
    ties = [i for i, s in enumerate(scores) if s == best]
    if len(ties) == 1:
        return ties[0]
    return ties[min(int(rng.random() * len(ties)), len(ties) - 1)]


def choose(values: Sequence[float], counts: Sequence[int], rng: RandomLike, mode: str = "ucb",
           c: float = 1.0) -> int | None:
    """Index of the chosen arm (None when there are none) under `mode` (`ucb` or `greedy`)."""
    check_mode(mode)
    if not values:
        return None
    scores = ucb_scores(values, counts, c) if mode == "ucb" else greedy_scores(values, counts)
    return argmax_random_tie(scores, rng)
