"""GiGPO (docs/algorithms.md §2) on small examples worked out by hand, step by step.

Running example (one episode group "g", γ = 0.95, penalty p = 0.1, ω = 1, ε = 1e-6):

    row  traj t anchor reward valid
    A0   A    0 x      0      yes
    A1   A    1 y      0      yes
    A2   A    2 z      1      yes
    B0   B    0 x      0      yes
    B1   B    1 y      0      NO
    B2   B    2 x      0      yes      (B comes back to x: same anchor, another step)

Episode scores R(τ): A = 0 + 0 + 1 = 1 (undiscounted total), B = 0.
Row scores (minus p on invalid rows): A0..A2 = 1, B0 = 0, B1 = -0.1, B2 = 0.
Step returns: A: R2 = 1, R1 = 0.95, R0 = 0.95^2 = 0.9025; B: 0, 0, 0, then B1 -= 0.1 AFTER discounting:
    B = 0, -0.1, 0 (B0 stays 0; propagating would have given B0 = -0.095).
Step groups: x = {A0, B0, B2} (size 3), y = {A1, B1} (size 2), z = {A2} (size 1): mean size 6/3 = 2.
"""

from math import sqrt

import numpy as np
import pytest

from siri.algos import AlgoError, discounted_returns, gigpo_advantages, step_groups

EPS = 1e-6
ROWS = dict(
    group_ids=["g"] * 6,
    traj_ids=["A", "A", "A", "B", "B", "B"],
    steps=[0, 1, 2, 0, 1, 2],
    rewards=[0, 0, 1, 0, 0, 0],
    valid=[True, True, True, True, False, True],
    anchors=["x", "y", "z", "x", "y", "x"],
)
D = 0.9025  # A0's return


def test_discounted_returns_any_row_order():
    # Trajectory u: rewards 1, 0, 2 with gamma 0.5: R2 = 2, R1 = 0 + 0.5*2 = 1, R0 = 1 + 0.5*1 = 1.5.
    # Trajectory v: a single reward 3 -> 3. Rows are given shuffled.
    out = discounted_returns([2, 3, 1, 0], ["u", "v", "u", "u"], [2, 0, 0, 1], gamma=0.5)
    np.testing.assert_allclose(out, [2.0, 3.0, 1.5, 1.0])


def test_discounted_returns_default_gamma_and_errors():
    np.testing.assert_allclose(discounted_returns([0, 0, 1], [0, 0, 0], [0, 1, 2]), [0.9025, 0.95, 1.0])
    with pytest.raises(AlgoError, match="repeated step"):
        discounted_returns([0, 1], ["u", "u"], [1, 1])
    with pytest.raises(AlgoError, match=r"gamma must be in \[0, 1\]"):
        discounted_returns([0], [0], [0], gamma=1.5)


def test_running_example_mean_std_norm_step_rows():
    res = gigpo_advantages(**ROWS)
    # Episode stats over the 6 row scores {1, 1, 1, 0, -0.1, 0}: mean = 2.9/6 = 29/60.
    # Deviations: 31/60 (x3), -29/60 (x2), -35/60; squares sum (3*961 + 2*841 + 1225)/3600 = 5790/3600;
    # unbiased var = 5790/3600/5 = 193/600 -> std = sqrt(193/600) ~ 0.56716.
    f_ep = sqrt(193 / 600) + EPS
    a_e = np.array([31, 31, 31, -29, -35, -29]) / 60 / f_ep
    # The invalid row B1 alone gets a lower A^E than B0 and B2.
    np.testing.assert_allclose(res.episode_scores, [1, 1, 1, 0, -0.1, 0], atol=1e-15)
    np.testing.assert_allclose(res.episode_advantages, a_e, atol=1e-12)
    # Step returns, penalty after discounting.
    np.testing.assert_allclose(res.step_returns, [D, 0.95, 1.0, 0.0, -0.1, 0.0], atol=1e-15)
    # Group x = {D, 0, 0}: mean D/3; deviations 2D/3, -D/3, -D/3; var = (4+1+1)D^2/9/2 = D^2/3, std = D/sqrt(3).
    # Group y = {0.95, -0.1}: mean 0.425, deviations +-0.525, std = 1.05/sqrt(2).
    # Group z: one row -> 0.
    fx, fy = D / sqrt(3) + EPS, 1.05 / sqrt(2) + EPS
    a_s = [2 * D / 3 / fx, 0.525 / fy, 0.0, -D / 3 / fx, -0.525 / fy, -D / 3 / fx]
    np.testing.assert_allclose(res.step_advantages, a_s, atol=1e-12)
    # Without eps these would be 2/sqrt(3), 1/sqrt(2), 0, -1/sqrt(3), -1/sqrt(2), -1/sqrt(3).
    np.testing.assert_allclose(res.step_advantages, [1.1547005, 0.7071068, 0, -0.5773503, -0.7071068, -0.5773503], atol=1e-5)
    np.testing.assert_allclose(res.advantages, a_e + np.array(a_s), atol=1e-12)
    assert res.step_group_sizes == [3, 2, 1]
    assert res.mean_step_group_size == 2.0
    assert res.step_group_ids[0] == res.step_group_ids[3] == res.step_group_ids[5]


def test_running_example_omega_scales_step_term():
    base = gigpo_advantages(**ROWS)
    half = gigpo_advantages(**ROWS, omega=0.5)
    np.testing.assert_allclose(half.advantages, base.episode_advantages + 0.5 * base.step_advantages)


def test_running_example_mean_norm_has_unit_scale():
    res = gigpo_advantages(**ROWS, mode="mean_norm")
    # F = 1: A^E = score - 29/60; A^S = R_t - group mean (x: D/3, y: 0.425, z: own value -> 0).
    a_e = np.array([31, 31, 31, -29, -35, -29]) / 60
    a_s = np.array([2 * D / 3, 0.525, 0.0, -D / 3, -0.525, -D / 3])
    np.testing.assert_allclose(res.episode_advantages, a_e, atol=1e-12)
    np.testing.assert_allclose(res.step_advantages, a_s, atol=1e-12)
    np.testing.assert_allclose(res.advantages, a_e + a_s, atol=1e-12)


def test_running_example_trajectory_episode_stats():
    res = gigpo_advantages(**ROWS, episode_stats="trajectory")
    # One R(τ) per trajectory: {1, 0}: mean 0.5, std sqrt(0.5). B1 still carries its own -0.1:
    # A^E(B1) = (-0.1 - 0.5) / F.
    f = sqrt(0.5) + EPS
    np.testing.assert_allclose(res.episode_advantages, np.array([0.5, 0.5, 0.5, -0.5, -0.6, -0.5]) / f, atol=1e-12)


def test_no_penalty_makes_episode_advantage_constant_per_trajectory():
    res = gigpo_advantages(**ROWS, invalid_penalty=0.0)
    # Scores {1,1,1,0,0,0}: mean 0.5, var = 6*0.25/5 = 0.3. B's step returns all 0.
    f = sqrt(0.3) + EPS
    np.testing.assert_allclose(res.episode_advantages, [0.5 / f] * 3 + [-0.5 / f] * 3, atol=1e-12)
    np.testing.assert_allclose(res.step_returns, [D, 0.95, 1.0, 0, 0, 0], atol=1e-15)


def test_single_row_episode_group_and_single_trajectory_group():
    # A group with one row: mean 0, std 1 -> A^E = score / (1 + eps); its step group is a singleton -> 0.
    one = gigpo_advantages(["g"], [0], [0], [2.0], [True], ["s"])
    assert one.advantages[0] == pytest.approx(2.0 / (1 + EPS), abs=1e-12)
    # One trajectory of 3 rows, total reward 1: with step_rows stats all 3 scores equal 1, std 0 -> A^E = 0/eps = 0.
    kw = dict(group_ids=["g"] * 3, traj_ids=[0] * 3, steps=[0, 1, 2], rewards=[0, 0, 1], valid=[True] * 3,
              anchors=["a", "b", "c"])
    np.testing.assert_allclose(gigpo_advantages(**kw).episode_advantages, [0, 0, 0], atol=1e-12)
    # With trajectory stats it is a group of one value: mean 0, std 1 -> 1 / (1 + eps) on every row.
    np.testing.assert_allclose(gigpo_advantages(**kw, episode_stats="trajectory").episode_advantages,
                               [1 / (1 + EPS)] * 3, atol=1e-12)


def test_identical_step_returns_give_zero_not_nan():
    # Two trajectories both reward 1 at the single step from the same anchor: step group {1, 1}, std 0,
    # numerator exactly 0 -> 0 / eps = 0. Episode scores are equal too -> A^E = 0.
    res = gigpo_advantages(["g", "g"], [0, 1], [0, 0], [1.0, 1.0], [True, True], ["s", "s"])
    assert res.step_group_sizes == [2]
    np.testing.assert_array_equal(res.advantages, [0.0, 0.0])


def test_anchor_groups_never_span_episode_groups():
    # Same anchor "s" in groups g and h: two step groups of one row each -> A^S = 0 for both.
    res = gigpo_advantages(["g", "h"], [0, 0], [0, 0], [1.0, 0.0], [True, True], ["s", "s"])
    assert res.step_group_sizes == [1, 1]
    np.testing.assert_array_equal(res.step_advantages, [0.0, 0.0])


# Similarity grouping. With distinct letters, SequenceMatcher's matches are easy to count by hand:
# ratio = 2M / (len(a) + len(b)) with M the matched characters, here 2M / 40.
FIRST = "abcdefghijklmnopqrst"  # 20 distinct letters
NEAR = "abcdefghijklmnopqrsX"  # vs FIRST: common prefix of 19 -> M = 19 -> 38/40 = 0.95
MID = "abcdefghijklmnopqrZX"  # vs FIRST: prefix 18, "st"/"ZX" share nothing -> 36/40 = 0.90
#                             # vs NEAR: prefix 18, then "sX"/"ZX" share "X" -> M = 19 -> 0.95
FAR = "abcdefghijklmnopqrXY"  # vs FIRST: prefix 18 -> 0.90; vs MID: prefix 18, "XY"/"ZX" share "X" -> 0.95


def test_similarity_grouping_compares_with_first_member_only():
    # tau = 0.95: FIRST opens cluster 0; NEAR joins it (0.95 >= 0.95); MID is 0.90 from FIRST, so it
    # opens cluster 1 even though it is 0.95 from NEAR (a later member); FAR is 0.90 from FIRST and
    # 0.95 from MID -> cluster 1. An exact repeat of NEAR lands with NEAR.
    labels = step_groups(["g"] * 5, [FIRST, NEAR, MID, FAR, NEAR], grouping="similarity", threshold=0.95)
    assert labels == [0, 0, 1, 1, 0]
    # tau = 0.9: everything is within 0.90 of FIRST -> one cluster.
    assert step_groups(["g"] * 4, [FIRST, NEAR, MID, FAR], grouping="similarity", threshold=0.9) == [0, 0, 0, 0]
    # exact grouping: four distinct strings, the repeat of NEAR joins NEAR.
    assert step_groups(["g"] * 5, [FIRST, NEAR, MID, FAR, NEAR]) == [0, 1, 2, 3, 1]


def test_similarity_grouping_feeds_step_advantages():
    # Two one-step trajectories from FIRST and NEAR (similar at tau 0.95): rewards 1 and 0 form a
    # step group {1, 0} -> mean_norm A^S = +-0.5. With exact grouping they are singletons -> 0.
    kw = dict(group_ids=["g", "g"], traj_ids=[0, 1], steps=[0, 0], rewards=[1.0, 0.0], valid=[True, True],
              anchors=[FIRST, NEAR], mode="mean_norm")
    np.testing.assert_allclose(gigpo_advantages(**kw, grouping="similarity").step_advantages, [0.5, -0.5])
    np.testing.assert_array_equal(gigpo_advantages(**kw).step_advantages, [0.0, 0.0])


@pytest.mark.parametrize("tau", [0.0, 1.0, -0.5, 1.2])
def test_similarity_threshold_outside_open_interval_is_an_error(tau):
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        gigpo_advantages(**ROWS, grouping="similarity", similarity_threshold=tau)


def test_bad_options_name_what_is_allowed():
    with pytest.raises(AlgoError, match="allowed: step_rows, trajectory"):
        gigpo_advantages(**ROWS, episode_stats="episode")
    with pytest.raises(AlgoError, match="allowed: exact, similarity"):
        gigpo_advantages(**ROWS, grouping="fuzzy")
    with pytest.raises(AlgoError, match="anchors has 5"):
        gigpo_advantages(**{**ROWS, "anchors": ROWS["anchors"][:5]})
