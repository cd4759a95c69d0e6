"""GRPO episode-level advantages (docs/algorithms.md §1), against numbers worked out by hand."""

from math import sqrt

import numpy as np
import pytest

from siri.algos import AlgoError, grpo_advantages

EPS = 1e-6


def test_two_groups_mean_std_norm():
    # Group a: R = 1, 0, 0.5 -> mean 0.5; deviations +0.5, -0.5, 0;
    #   unbiased var = (0.25 + 0.25 + 0) / (3 - 1) = 0.25 -> std 0.5.
    # Group b: R = 2, 4 -> mean 3; deviations -1, +1; var = 2 / 1 = 2 -> std sqrt(2).
    adv = grpo_advantages([1.0, 2.0, 0.0, 4.0, 0.5], ["a", "b", "a", "b", "a"])
    expected = [0.5 / (0.5 + EPS), -1 / (sqrt(2) + EPS), -0.5 / (0.5 + EPS), 1 / (sqrt(2) + EPS), 0.0]
    np.testing.assert_allclose(adv, expected, rtol=0, atol=1e-12)


def test_two_groups_mean_norm():
    # Same groups, F = 1: A = R - mean.
    adv = grpo_advantages([1.0, 2.0, 0.0, 4.0, 0.5], ["a", "b", "a", "b", "a"], mode="mean_norm")
    np.testing.assert_allclose(adv, [0.5, -1.0, -0.5, 1.0, 0.0], atol=1e-12)


def test_single_trajectory_group_gets_mean_zero_std_one():
    # verl's convention: a group of one sample has mean 0 and std 1, so A = R / (1 + eps) (or R).
    assert grpo_advantages([3.0], [7])[0] == pytest.approx(3.0 / (1.0 + EPS), abs=1e-12)
    assert grpo_advantages([3.0], [7], mode="mean_norm")[0] == pytest.approx(3.0, abs=1e-12)


def test_rows_use_one_value_per_trajectory_whatever_its_length():
    # Group g: trajectory x (3 rows, R = 1), trajectory y (1 row, R = 0).
    # Per trajectory: values {1, 0}: mean 0.5, std sqrt(0.5) -> A = +-0.5 / (sqrt(0.5) + eps).
    # (Weighting by rows would give mean 0.75 instead.)
    adv = grpo_advantages([1, 1, 0, 1], ["g"] * 4, traj_ids=["x", "x", "y", "x"])
    a = 0.5 / (sqrt(0.5) + EPS)
    np.testing.assert_allclose(adv, [a, a, -a, a], atol=1e-12)


def test_same_traj_id_in_two_groups_are_different_trajectories():
    adv = grpo_advantages([1, 0, 5], ["g", "g", "h"], traj_ids=[0, 1, 0], mode="mean_norm")
    np.testing.assert_allclose(adv, [0.5, -0.5, 5.0])


def test_rows_of_one_trajectory_must_share_the_return():
    with pytest.raises(AlgoError, match="different returns"):
        grpo_advantages([1, 0], ["g", "g"], traj_ids=["x", "x"])


def test_bad_mode_and_lengths():
    with pytest.raises(ValueError, match="allowed: mean_std_norm, mean_norm"):
        grpo_advantages([1.0], [0], mode="std")
    with pytest.raises(AlgoError, match="equal lengths"):
        grpo_advantages([1.0, 2.0], [0])
