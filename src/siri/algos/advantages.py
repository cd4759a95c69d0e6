"""Advantage estimators on plain arrays: GRPO (docs/algorithms.md §1) and GiGPO (§2).

Pure functions: numpy arrays or sequences in, numpy arrays out. No model, no env, no torch.
One entry per step row (§0) unless a docstring says otherwise. Everything is computed in float64.

Conventions taken from verl-agent (§2, "details the project must match by default"):
- std is the unbiased one (N − 1) and ε is added to the std, not to the variance;
- a normalization group holding a single sample gets mean 0 and std 1;
- in `mean_norm` mode the scale F is 1 (no std is used at all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Sequence

import numpy as np

from siri.algos.anchors import group_sizes, step_groups
from siri.algos.errors import AlgoError, check_choice

MODES = ("mean_std_norm", "mean_norm")
EPISODE_STATS = ("step_rows", "trajectory")

Key = Hashable


def _check_lengths(**arrays: Sequence[object]) -> int:
    """All per-row inputs must have the same length; the error names the offending field."""
    sizes = {name: len(a) for name, a in arrays.items()}
    n = next(iter(sizes.values()))
    for name, size in sizes.items():
        if size != n:
            raise AlgoError(f"per-row inputs must have equal lengths; {name} has {size}, expected {n}: {sizes}")
    return n


def _mean_scale(samples: Sequence[float], std_norm: bool, eps: float) -> tuple[float, float]:
    """(mean, F) of one normalization group: F = std(N−1) + ε, or 1 in `mean_norm` mode.

    A group of one sample gets mean 0 and std 1 (verl-agent), so (x − 0) / (1 + ε) in `mean_std_norm`.
    """
    x = np.asarray(samples, dtype=np.float64)
    if x.size == 1:
        mean, std = 0.0, 1.0
    else:
        mean, std = float(x.mean()), float(x.std(ddof=1))
    return mean, (std + eps if std_norm else 1.0)


def _normalize(
    values: np.ndarray, row_keys: Sequence[Key], samples: dict[Key, list[float]], std_norm: bool, eps: float
) -> np.ndarray:
    """(values[i] − mean_g) / F_g with the statistics of group g = row_keys[i] taken over `samples[g]`."""
    stats = {k: _mean_scale(s, std_norm, eps) for k, s in samples.items()}
    out = np.empty(len(values), dtype=np.float64)
    for i, k in enumerate(row_keys):
        mean, scale = stats[k]
        out[i] = (values[i] - mean) / scale
    return out


def grpo_advantages(
    returns: Sequence[float],
    group_ids: Sequence[Key],
    traj_ids: Sequence[Key] | None = None,
    mode: str = "mean_std_norm",
    eps: float = 1e-6,
) -> np.ndarray:
    """GRPO episode-level advantages (§1): `A_i = (R_i − mean_j R_j) / (std_j R_j + ε)` or `R_i − mean_j R_j`.

    Without `traj_ids`, each entry is one trajectory and the result has one advantage per trajectory.
    With `traj_ids`, entries are step rows: the statistics use one value per trajectory (never one per
    row, whatever the trajectory lengths) and each row gets its trajectory's A_i (the broadcast of §1);
    rows of one trajectory must then carry the same return.
    A group holding a single trajectory gets mean 0 and std 1 (verl's convention), so A = R/(1 + ε).
    """
    check_choice("mode", mode, MODES)
    n = _check_lengths(returns=returns, group_ids=group_ids, **({} if traj_ids is None else {"traj_ids": traj_ids}))
    r = np.asarray(returns, dtype=np.float64)
    traj_keys: list[Key] = list(range(n)) if traj_ids is None else list(traj_ids)
    per_traj: dict[tuple[Key, Key], float] = {}
    for i in range(n):
        key = (group_ids[i], traj_keys[i])
        if per_traj.setdefault(key, float(r[i])) != float(r[i]):
            raise AlgoError(f"trajectory {traj_keys[i]!r} of group {group_ids[i]!r} has rows with different returns")
    samples: dict[Key, list[float]] = {}
    for (g, _), value in per_traj.items():
        samples.setdefault(g, []).append(value)
    return _normalize(r, list(group_ids), samples, mode == "mean_std_norm", eps)


def _traj_rows(group_ids: Sequence[Key], traj_ids: Sequence[Key], steps: Sequence[int]) -> dict[Key, list[int]]:
    """Row indices of each trajectory, sorted by step; trajectories are keyed by (group_id, traj_id)."""
    rows: dict[Key, list[int]] = {}
    for i, (g, tr) in enumerate(zip(group_ids, traj_ids)):
        rows.setdefault((g, tr), []).append(i)
    for key, idx in rows.items():
        idx.sort(key=lambda i: steps[i])
        ts = [steps[i] for i in idx]
        if len(set(ts)) != len(ts):
            raise AlgoError(f"trajectory {key[1]!r} of group {key[0]!r} has repeated step indices {ts}")
    return rows


def discounted_returns(
    rewards: Sequence[float],
    traj_ids: Sequence[Key],
    steps: Sequence[int],
    gamma: float = 0.95,
    group_ids: Sequence[Key] | None = None,
) -> np.ndarray:
    """Per-row discounted return `R_t = Σ_{k≥t} γ^{k−t} r_k` inside its trajectory (§2, item 2).

    Rows may come in any order; `steps` orders them inside a trajectory (only the order matters).
    Trajectories are keyed by (group_id, traj_id) when `group_ids` is given, else by traj_id alone.
    """
    if not 0.0 <= gamma <= 1.0:
        raise AlgoError(f"gamma must be in [0, 1]; got {gamma!r}")
    n = _check_lengths(rewards=rewards, traj_ids=traj_ids, steps=steps)
    r = np.asarray(rewards, dtype=np.float64)
    out = np.zeros(n, dtype=np.float64)
    for idx in _traj_rows(group_ids if group_ids is not None else [0] * n, traj_ids, steps).values():
        running = 0.0
        for i in reversed(idx):
            running = r[i] + gamma * running
            out[i] = running
    return out


@dataclass(frozen=True)
class GiGPOResult:
    """GiGPO advantages per row and what went into them (for metrics and debugging)."""

    advantages: np.ndarray  # A = A^E + ω·A^S, one per row (§2 item 5)
    episode_advantages: np.ndarray  # A^E per row (differs inside a trajectory only through the penalty)
    step_advantages: np.ndarray  # A^S per row (0 for a row alone in its step group)
    episode_scores: np.ndarray  # R(τ_i) − penalty·invalid_row
    step_returns: np.ndarray  # R_t − penalty·invalid_row (penalty after discounting)
    step_group_ids: list[int]  # step-group label per row
    step_group_sizes: list[int] = field(default_factory=list)  # size of each step group, by label

    @property
    def mean_step_group_size(self) -> float:
        """Mean size over step groups (each group counted once): the metric "mean step-group size"."""
        return float(np.mean(self.step_group_sizes)) if self.step_group_sizes else 0.0

    def metrics(self) -> dict[str, float]:
        sizes = np.asarray(self.step_group_sizes)
        return {
            "mean_step_group_size": self.mean_step_group_size,
            "num_step_groups": float(sizes.size),
            "singleton_step_group_frac": float((sizes == 1).mean()) if sizes.size else 0.0,
        }


def _episode_samples(
    group_ids: Sequence[Key], traj_keys: Sequence[Key], scores: np.ndarray, totals: dict[Key, float], how: str
) -> dict[Key, list[float]]:
    """Values the episode mean/std of each group are taken over (§2 details).

    `step_rows` (verl-agent default): every row's penalized score, so a trajectory weighs by its length.
    `trajectory` (the paper's formula): one R(τ_i) per trajectory, without the per-row penalty (ours:
    the penalty is a per-row shaping term; verl-agent would take whichever row it meets first).
    """
    samples: dict[Key, list[float]] = {}
    if how == "step_rows":
        for g, s in zip(group_ids, scores):
            samples.setdefault(g, []).append(float(s))
    else:
        for g, key in dict.fromkeys(zip(group_ids, traj_keys)):
            samples.setdefault(g, []).append(totals[key])
    return samples


def _step_advantages(
    step_returns: np.ndarray, labels: Sequence[int], sizes: Sequence[int], std_norm: bool, eps: float
) -> np.ndarray:
    """A^S = (R_t − mean over the step group) / F; a group of one row gets 0 (§2 item 4).

    A group of 2+ identical returns has std 0: F = ε and the numerator is exactly 0 up to rounding.
    """
    samples: dict[Key, list[float]] = {}
    for label, value in zip(labels, step_returns):
        samples.setdefault(label, []).append(float(value))
    adv = _normalize(step_returns, labels, samples, std_norm, eps)
    adv[[sizes[label] == 1 for label in labels]] = 0.0
    return adv


def gigpo_advantages(
    group_ids: Sequence[Key],
    traj_ids: Sequence[Key],
    steps: Sequence[int],
    rewards: Sequence[float],
    valid: Sequence[bool],
    anchors: Sequence[str],
    *,
    mode: str = "mean_std_norm",
    omega: float = 1.0,
    gamma: float = 0.95,
    invalid_penalty: float = 0.1,
    episode_stats: str = "step_rows",
    grouping: str = "exact",
    similarity_threshold: float = 0.95,
    eps: float = 1e-6,
) -> GiGPOResult:
    """GiGPO advantages per step row (§2): `A = A^E + ω·A^S`.

    - Episode score of a row: R(τ_i) − p·[row invalid], with R(τ_i) the trajectory's **undiscounted**
      total reward Σ_t r_t (verl-agent's `episode_rewards`; the paper's R(τ_i)) and p the penalty.
    - `A^E = (score − mean) / F` (§2 item 1) with the mean/std over all step rows of the episode group
      (`episode_stats="step_rows"`) or over one R(τ_i) per trajectory (`"trajectory"`).
    - Step return: `R_t = Σ_{k≥t} γ^{k−t} r_k` (item 2), then − p·[row invalid] **after** discounting,
      so the penalty never reaches earlier steps.
    - `A^S = (R_t − mean over the step group) / F` (item 4), step groups from `anchors.step_groups`
      (item 3); a step group of one row gets 0.
    F is std(N−1) + ε in `mean_std_norm` mode and 1 in `mean_norm` mode, for both terms.
    """
    check_choice("mode", mode, MODES)
    check_choice("episode_stats", episode_stats, EPISODE_STATS)
    n = _check_lengths(group_ids=group_ids, traj_ids=traj_ids, steps=steps, rewards=rewards, valid=valid, anchors=anchors)
    std_norm = mode == "mean_std_norm"
    penalty = invalid_penalty * (1.0 - np.asarray(valid, dtype=np.float64))
    r = np.asarray(rewards, dtype=np.float64)
    traj_keys = list(zip(group_ids, traj_ids))
    totals = {key: float(r[idx].sum()) for key, idx in _traj_rows(group_ids, traj_ids, steps).items()}
    scores = np.array([totals[k] for k in traj_keys], dtype=np.float64).reshape(n) - penalty
    samples = _episode_samples(group_ids, traj_keys, scores, totals, episode_stats)
    episode_adv = _normalize(scores, list(group_ids), samples, std_norm, eps)
    returns = discounted_returns(r, traj_ids, steps, gamma, group_ids=group_ids) - penalty
    labels = step_groups(group_ids, anchors, grouping, similarity_threshold)
    sizes = group_sizes(labels)
    step_adv = _step_advantages(returns, labels, sizes, std_norm, eps)
    return GiGPOResult(
        advantages=episode_adv + omega * step_adv,
        episode_advantages=episode_adv,
        step_advantages=step_adv,
        episode_scores=scores,
        step_returns=returns,
        step_group_ids=labels,
        step_group_sizes=sizes,
    )
