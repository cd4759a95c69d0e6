"""SIRI's bank rules worked by hand (docs/algorithms.md §4): running-mean U, promotion, retirement, dedup."""

from __future__ import annotations

import pytest

from siri.skills import SkillBank, next_state

TT = "pick_clean_then_place_in_recep"


def bank(**kw) -> SkillBank:
    return SkillBank(**{"n_eval": 3, "tau_promote": 0.25, "tau_retire": -0.25, **kw})


def add_one(b: SkillBank, text: str, task_type: str = TT) -> str:
    ids, dups = b.add_candidates(task_type, [text], "extractive", [{"traj_id": 1, "seed": 7}], iteration=2)
    assert dups == 0 and len(ids) == 1
    return ids[0]


def test_utility_is_the_running_mean_of_deltas():
    b = bank(n_eval=100)
    sid = add_one(b, "When the mug is dirty: clean it first.")
    for delta, expected in [(0.5, 0.5), (-0.25, 0.125), (1.0, 0.41666666666666663), (0.0, 0.3125)]:
        b.record_evaluation(sid, delta, iteration=1)
        assert b.get(sid).utility == pytest.approx(expected)
    s = b.get(sid)
    assert s.n == 4
    assert [e["delta"] for e in s.evaluations] == [0.5, -0.25, 1.0, 0.0]


def test_promotion_happens_exactly_at_n_eval():
    b = bank()
    sid = add_one(b, "When the mug is dirty: clean it first.")
    assert b.record_evaluation(sid, 1.0, iteration=3, group=0, skill_mean=1.0, plain_mean=0.0) is None
    assert b.record_evaluation(sid, 1.0, iteration=3, group=1) is None  # U = 1 but n = 2 < N_eval
    assert b.get(sid).state == "candidate"
    change = b.record_evaluation(sid, 0.5, iteration=4, group=0)  # U = 2.5 / 3 > 0.25 at n = 3
    assert change == {"iteration": 4, "from": "candidate", "to": "active"}
    s = b.get(sid)
    assert s.state == "active" and s.state_changes == [change]
    assert s.evaluations[0] == {"iteration": 3, "group": 0, "delta": 1.0, "skill_mean": 1.0, "plain_mean": 0.0,
                                "utility": 1.0}
    assert b.active(TT) == [s] and b.candidates(TT) == []


def test_threshold_is_strict_and_a_candidate_is_decided_at_n_eval():
    b = bank()
    sid = add_one(b, "When the mug is dirty: clean it first.")
    for d in (0.5, 0.0):  # U: 0.5, 0.25 with n < N_eval: no decision yet
        assert b.record_evaluation(sid, d, iteration=1) is None
    change = b.record_evaluation(sid, 0.25, iteration=1)  # U = 0.25, n = 3: not > 0.25, so not promoted
    assert b.get(sid).utility == 0.25 and change == {"iteration": 1, "from": "candidate", "to": "retired"}
    other = add_one(b, "When the mug is clean: put it away.")
    for d in (0.5, 0.0):
        b.record_evaluation(other, d, iteration=2)
    assert b.record_evaluation(other, 0.26, iteration=2)["to"] == "active"  # U = 0.2533 > 0.25


def test_retirement_below_tau_retire_and_no_change_before_n_eval():
    b = bank()
    sid = add_one(b, "When the mug is dirty: clean it first.")
    assert b.record_evaluation(sid, -1.0, iteration=1) is None  # U = -1 but n = 1
    assert b.record_evaluation(sid, 0.5, iteration=1) is None  # U = -0.25, n = 2
    assert b.get(sid).state == "candidate"
    change = b.record_evaluation(sid, -1.25, iteration=5)  # U = -0.25 + (-1)/3 = -7/12, n = 3
    assert change == {"iteration": 5, "from": "candidate", "to": "retired"}
    # retired is final: a later evaluation is recorded, the state stays
    assert b.record_evaluation(sid, 10.0, iteration=6) is None
    s = b.get(sid)
    assert s.state == "retired" and s.n == 4 and s.utility == pytest.approx(-7 / 12 + (10 + 7 / 12) / 4)


def test_active_skill_can_be_retired_but_not_demoted():
    b = bank()
    sid = add_one(b, "When the mug is dirty: clean it first.")
    for d in (1.0, 1.0, 1.0):
        b.record_evaluation(sid, d, iteration=1)
    assert b.get(sid).state == "active"
    assert b.record_evaluation(sid, -1.0, iteration=2) is None  # U = 0.5: stays active
    assert b.record_evaluation(sid, -3.0, iteration=2) is None  # U = -1/5: between thresholds, stays active
    assert b.get(sid).utility == pytest.approx(-0.2) and b.get(sid).state == "active"
    change = b.record_evaluation(sid, -3.0, iteration=3)  # U = -4/6
    assert b.get(sid).utility == pytest.approx(-2 / 3)
    assert change == {"iteration": 3, "from": "active", "to": "retired"}


def test_next_state_table():
    # (state, n, U) with N_eval = 2, tau_promote = 0.1, tau_retire = -0.1
    # A candidate is decided at N_eval: at U = tau_promote or between the thresholds it is retired, not kept.
    cases = [("candidate", 1, 5.0, None), ("candidate", 2, 0.2, "active"), ("candidate", 2, 0.1, "retired"),
             ("candidate", 2, 0.0, "retired"), ("candidate", 2, -0.2, "retired"), ("active", 9, 0.0, None),
             ("active", 9, -0.1, None), ("active", 9, -0.11, "retired"), ("retired", 9, 1.0, None)]
    for state, n, u, expected in cases:
        assert next_state(state, n, u, 2, 0.1, -0.1) == expected, (state, n, u)


def test_duplicates_after_normalization_are_rejected_and_retired_text_never_returns():
    b = bank()
    ids, dups = b.add_candidates(TT, ["When the door is locked: find the key.",
                                      "  when the door is LOCKED:   find the key ...",
                                      "When the mug is dirty: clean it first."], "self", iteration=1)
    assert ids == [f"{TT}-1", f"{TT}-2"] and dups == 1
    for d in (-1.0, -1.0, -1.0):
        b.record_evaluation(ids[0], d, iteration=2)
    assert b.get(ids[0]).state == "retired"
    again, dups = b.add_candidates(TT, ["When the door is locked: find the key!"], "self", iteration=3)
    assert again == [] and dups == 1
    other, dups = b.add_candidates("pick_and_place_simple", ["When the door is locked: find the key."], "self")
    assert other == ["pick_and_place_simple-1"] and dups == 0
    assert b.counts() == {"size": 3, "candidates": 2, "active": 0, "retired": 1}
    assert b.counts(TT) == {"size": 2, "candidates": 1, "active": 0, "retired": 1}


def test_new_skill_records_its_provenance():
    b = bank()
    sid = add_one(b, "When the mug is dirty: clean it first.")
    s = b.get(sid)
    assert (s.id, s.task_type, s.state, s.utility, s.n, s.created_iter, s.generator) == (
        f"{TT}-1", TT, "candidate", 0.0, 0, 2, "extractive")
    assert s.source_trajs == [{"traj_id": 1, "seed": 7}] and s.evaluations == [] and s.state_changes == []


def test_max_per_type_caps_live_skills():
    b = bank(max_per_type=2)
    ids, _ = b.add_candidates(TT, ["When a: b.", "When c: d.", "When e: f."], "self")
    assert len(ids) == 2 and b.n_over_cap == 1
    for d in (-1.0, -1.0, -1.0):
        b.record_evaluation(ids[0], d, iteration=1)
    ids2, _ = b.add_candidates(TT, ["When e: f."], "self")
    assert ids2 == [f"{TT}-3"]


def test_no_validation_ablation_uses_every_mined_skill():
    b = bank(validation=False)
    sid = add_one(b, "When the mug is dirty: clean it first.")
    s = b.get(sid)
    assert s.state == "active" and s.state_changes == [{"iteration": 2, "from": "candidate", "to": "active"}]
    for d in (-1.0, -1.0, -1.0, -1.0):
        assert b.record_evaluation(sid, d, iteration=3) is None
    assert b.get(sid).state == "active" and b.get(sid).utility == -1.0
    assert b.internalizable(sid)


def test_internalizable_needs_active_and_positive_utility():
    b = bank(n_eval=1, tau_promote=-0.25)
    sid = add_one(b, "When the mug is dirty: clean it first.")
    assert not b.internalizable(sid)  # candidate
    b.record_evaluation(sid, -0.125, iteration=1)  # promoted (U > -0.25) but U < 0
    assert b.get(sid).state == "active" and not b.internalizable(sid)
    b.record_evaluation(sid, 1.125, iteration=2)  # U = 0.5
    assert b.internalizable(sid)


@pytest.mark.parametrize("kw", [{"n_eval": 0}, {"tau_retire": 0.1}, {"tau_promote": -0.5, "tau_retire": -0.25},
                                {"max_per_type": 0}])
def test_bad_settings_are_rejected(kw):
    with pytest.raises(ValueError):
        bank(**kw)


def test_unknown_generator_and_skill_are_errors():
    b = bank()
    with pytest.raises(ValueError, match="allowed: self, external, extractive"):
        b.add_candidates(TT, ["When a: b."], "gpt")
    with pytest.raises(KeyError):
        b.record_evaluation("nope-1", 0.0, iteration=0)


def test_paired_arms_and_treatment_effect_by_hand():
    from siri.skills import split_arms, treatment_effect

    assert split_arms(8) == ([0, 1, 2, 3], [4, 5, 6, 7])
    assert split_arms(5) == ([0, 1, 2], [3, 4])
    with pytest.raises(ValueError):
        split_arms(1)
    assert treatment_effect([1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 0.0]) == (0.5, 0.75, 0.25)
    b = bank()
    sid = add_one(b, "When the mug is dirty: clean it first.")
    delta, s_mean, p_mean = treatment_effect([1.0, 1.0], [0.0, 0.5])
    b.record_evaluation(sid, delta, iteration=1, group=0, skill_mean=s_mean, plain_mean=p_mean)
    assert b.get(sid).evaluations[0]["delta"] == 0.75 and b.get(sid).utility == 0.75
