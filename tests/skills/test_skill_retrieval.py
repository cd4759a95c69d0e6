"""Skill retrieval by hand (docs/algorithms.md §4 "Retrieval (ours)"): untried first, UCB1, greedy."""

from __future__ import annotations

import math
import random

import pytest

from siri.skills import SkillBank, choose, greedy_scores, ucb_scores

TT = "sokoban"


class FixedRng:
    def __init__(self, value: float):
        self.value = value

    def random(self) -> float:
        return self.value


def test_ucb_scores_by_hand():
    # N = 2 + 1 + 4 = 7, ln 7 = 1.9459101
    scores = ucb_scores([0.5, 0.25, 0.75], [2, 1, 4], c=1.0)
    assert scores == pytest.approx([0.5 + 0.9863850, 0.25 + 1.3949588, 0.75 + 0.6974794], abs=1e-6)
    assert ucb_scores([0.5, 0.0], [1, 0], c=1.0) == [0.5, math.inf]  # N = 1: ln 1 = 0, no bonus
    assert greedy_scores([0.5, -0.25, 0.75], [2, 0, 4]) == [0.5, 0.0, 0.75]


def seeded_bank() -> tuple[SkillBank, list[str]]:
    b = SkillBank(n_eval=100, tau_promote=0.0, tau_retire=0.0)
    ids, _ = b.add_candidates(TT, ["When X: x.", "When Y: y.", "When Z: z."], "extractive")
    for sid, deltas in zip(ids, ([0.25, 0.75], [0.25], [0.75] * 4)):
        for d in deltas:
            b.record_evaluation(sid, d, iteration=1)
    return b, ids


def test_bank_ucb_and_greedy_on_hand_computed_numbers():
    b, (x, y, z) = seeded_bank()
    rng = random.Random(0)
    assert b.select(TT, rng, "ucb", c=1.0).id == y  # 1.645 > 1.486 (x) > 1.447 (z)
    assert b.select(TT, rng, "ucb", c=0.1).id == z  # 0.820 > 0.599 (x) > 0.389 (y)
    assert b.select(TT, rng, "greedy").id == z
    assert b.select("other", rng) is None


def test_untried_candidates_come_first_and_ties_use_the_rng():
    b, _ = seeded_bank()
    new, _ = b.add_candidates(TT, ["When V: v.", "When W: w."], "self")
    assert b.select(TT, FixedRng(0.0), "ucb").id == new[0]
    assert b.select(TT, FixedRng(0.99), "ucb").id == new[1]
    picks = {b.select(TT, random.Random(seed)).id for seed in range(20)}
    assert picks == set(new)


def test_retired_skills_are_never_selected():
    b = SkillBank(n_eval=1, tau_promote=0.5, tau_retire=-0.5)
    (a, r), _ = b.add_candidates(TT, ["When A: a.", "When R: r."], "self")
    b.record_evaluation(r, -1.0, iteration=1)
    b.record_evaluation(a, 0.6, iteration=1)
    assert b.get(r).state == "retired" and b.get(a).state == "active"
    assert b.select(TT, random.Random(0), "greedy").id == a  # r has the larger |U| but is retired
    assert all(b.select(TT, random.Random(s)).id == a for s in range(5))


def test_greedy_treats_untried_as_zero():
    b = SkillBank(n_eval=100)
    (neg, new), _ = b.add_candidates(TT, ["When N: n.", "When U: u."], "self")
    b.record_evaluation(neg, -0.5, iteration=1)
    assert b.select(TT, random.Random(0), "greedy").id == new


def test_choose_validates_mode():
    with pytest.raises(ValueError, match="allowed: ucb, greedy"):
        choose([1.0], [1], random.Random(0), mode="softmax")
    assert choose([], [], random.Random(0)) is None
    with pytest.raises(ValueError):
        ucb_scores([1.0], [1], c=-1.0)
