"""Paired validation statistics (docs/algorithms.md §4, Phase 1): the two arms of a group and Δ_g.

In a group whose task type has a skill to test, the N rollouts of one initial state are split into a
plain arm and a skill arm of N/2 each; the group's treatment effect is
`Δ_g = mean R(skill arm) − mean R(plain arm)`, which `SkillBank.record_evaluation` averages into U(z).
"""

from __future__ import annotations

from statistics import fmean
from typing import Sequence


def split_arms(n_rollouts: int) -> tuple[list[int], list[int]]:
    """(plain indices, skill indices) of a group: the first half plain, the second half with the skill.

    With an odd N the plain arm gets the extra rollout (ours). N must be at least 2 (one per arm).
    """
    if n_rollouts < 2:
        raise ValueError(f"paired validation needs at least 2 rollouts per group, got {n_rollouts}")
    half = n_rollouts // 2
    return list(range(n_rollouts - half)), list(range(n_rollouts - half, n_rollouts))


def treatment_effect(skill_returns: Sequence[float], plain_returns: Sequence[float]) -> tuple[float, float, float]:
    """(Δ_g, skill-arm mean, plain-arm mean) of one group."""
    if not skill_returns or not plain_returns:
        raise ValueError("both arms need at least one trajectory")
    skill_mean, plain_mean = fmean(skill_returns), fmean(plain_returns)
    return skill_mean - plain_mean, skill_mean, plain_mean
