"""One skill store under two rule sets (docs/algorithms.md §4, §5), with numbers worked by hand, and
files and checkpoint state in the format the earlier separate bank and library classes wrote."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from siri.agent import StructuredSkill
from siri.skills import Skill, SkillBank, SkillLibrary, SkillStore

WALLS = StructuredSkill(("push boxes along walls",), ("walking into walls",), ("up", "left"))


def structured(n: int) -> StructuredSkill:
    return StructuredSkill((f"pattern {n}",), (f"mistake {n}",), (f"step {n}",))


def test_both_rule_sets_are_one_store():
    bank, lib = SkillBank(), SkillLibrary()
    assert isinstance(bank, SkillStore) and isinstance(lib, SkillStore)
    (a,), _ = bank.add_candidates("pick", ["When a: b."], "self")
    assert (a, lib.add("pick", WALLS, "self")) == ("pick-1", "pick-1")  # one id scheme
    assert (bank.get(a).kind, lib.get("pick-1").kind) == ("siri", "structured")
    with pytest.raises(KeyError, match="in the bank"):
        bank.get("pick-9")
    with pytest.raises(KeyError, match="in the library"):
        lib.get("pick-9")


# ---- SIRI's validation rules --------------------------------------------------------------------
def test_validation_rules_by_hand():
    bank = SkillBank(n_eval=2, tau_promote=0.25, tau_retire=-0.25)
    (a, b), dups = bank.add_candidates("pick", ["When a: b.", "When c: d.", "when A: b"], "self", iteration=1)
    assert dups == 1  # "when A: b" normalizes to "When a: b."
    assert bank.record_evaluation(a, 0.5, 2) is None  # U = 0.5, n = 1 < N_eval: stays a candidate
    change = bank.record_evaluation(a, 0.1, 3)  # U = 0.5 + (0.1 − 0.5)/2 = 0.3 > 0.25
    assert change == {"iteration": 3, "from": "candidate", "to": "active"}
    assert bank.get(a).utility == pytest.approx(0.3) and bank.internalizable(a)
    assert bank.record_evaluation(a, -1.0, 4) is None  # U = 0.3 + (−1.3)/3 = −0.1333: active stays active
    assert bank.get(a).utility == pytest.approx(-0.4 / 3) and not bank.internalizable(a)
    change = bank.record_evaluation(a, -1.0, 5)  # U = −0.1333 + (−0.8667)/4 = −0.35 < −0.25
    assert change == {"iteration": 5, "from": "active", "to": "retired"}
    assert bank.get(a).utility == pytest.approx(-0.35) and bank.get(a).n == 4

    assert bank.record_evaluation(b, -0.5, 2) is None  # n = 1: not judged yet
    # U = −0.25 at n = N_eval: not below τ_retire, but not promoted either, so the candidate is retired
    assert bank.record_evaluation(b, 0.0, 3) == {"iteration": 3, "from": "candidate", "to": "retired"}
    assert bank.counts("pick") == {"size": 2, "candidates": 0, "active": 0, "retired": 2}
    assert bank.add_candidates("pick", ["When a: b."], "self") == ([], 1)  # retired skills stay rejected


def test_validation_cap_counts_what_it_drops():
    bank = SkillBank(n_eval=1, tau_promote=0.0, tau_retire=0.0, max_per_type=1)
    assert bank.add_candidates("pick", ["When a: b.", "When c: d."], "self") == (["pick-1"], 0)
    assert bank.n_over_cap == 1
    bank.record_evaluation("pick-1", -1.0, 1)  # retired: room for one more live skill
    assert bank.add_candidates("pick", ["When c: d."], "self") == (["pick-2"], 0)


def test_no_validation_ablation_makes_skills_active_at_once():
    bank = SkillBank(validation=False)
    (a,), _ = bank.add_candidates("pick", ["When a: b."], "self", iteration=3)
    assert bank.get(a).state_changes == [{"iteration": 3, "from": "candidate", "to": "active"}]
    assert bank.record_evaluation(a, -5.0, 4) is None and bank.internalizable(a)


# ---- Skill-SD's bandit rules --------------------------------------------------------------------
def test_bandit_rules_by_hand():
    lib = SkillLibrary(ucb_c=2.0, max_per_type=3)
    a, b, c = (lib.add("soko", structured(i), "self") for i in range(3))
    rng = random.Random(0)
    lib.update(a, 1.0, 1)
    lib.update(a, 0.0, 2)  # a: mean 0.5 over 2 pulls
    lib.update(b, 0.2, 2)  # b: 0.2 over 1
    assert lib.select("soko", rng).id == c  # untried first
    lib.update(c, -1.0, 3)  # c: −1 over 1; N = 4, ln 4 = 1.3863
    # UCB, c = 2: a = 0.5 + 2·sqrt(ln 4 / 2) = 2.1651, b = 0.2 + 2·sqrt(ln 4) = 2.5548, c = 1.3548
    assert lib.select("soko", rng).id == b
    # c = 0.5: a = 0.5 + 0.4163 = 0.9163, b = 0.2 + 0.5887 = 0.7887, c = −0.4113
    assert lib.select("soko", rng, c=0.5).id == a
    assert lib.select("soko", rng, mode="greedy").id == a
    assert lib.get(a).evaluations == [{"iteration": 1, "reward": 1.0, "utility": 1.0},
                                      {"iteration": 2, "reward": 0.0, "utility": 0.5}]
    # Full: a new arm retires the worst tried one (c, mean −1).
    d = lib.add("soko", structured(3), "extractive", iteration=4)
    assert d == "soko-4" and lib.get(c).state == "retired"
    assert lib.get(c).state_changes == [{"iteration": 4, "from": "active", "to": "retired"}]
    assert [x.id for x in lib.arms("soko")] == [a, b, d]
    assert lib.counts() == {"size": 4, "active": 3, "retired": 1, "pulls": 4}
    assert lib.add("soko", structured(2), "self") is None  # retired arms stay rejected


def test_bandit_full_of_untried_arms_turns_new_ones_away():
    lib = SkillLibrary(max_per_type=1)
    assert lib.add("soko", structured(0), "self") == "soko-1"
    assert lib.add("soko", structured(1), "self") is None and lib.n_over_cap == 1


# ---- files and checkpoints in the earlier format ------------------------------------------------
# Written by hand in the format of the separate SkillBank / SkillLibrary classes: one record per line,
# keys sorted, non-ASCII kept, `structured` only on Skill-SD records.
SIRI_LINES = [
    '{"created_iter": 1, "evaluations": [{"delta": 0.5, "group": 0, "iteration": 2, "plain_mean": 0.25, '
    '"skill_mean": 0.75, "utility": 0.5}], "generator": "self", "id": "pick-1", "kind": "siri", "n": 1, '
    '"source_trajs": [{"task": "put a mug in the fridge"}], "state": "candidate", "state_changes": [], '
    '"task_type": "pick", "text": "When the mug is dirty: clean it first.", "utility": 0.5}',
    '{"created_iter": 2, "evaluations": [], "generator": "extractive", "id": "pick-3", "kind": "siri", "n": 0, '
    '"source_trajs": [], "state": "retired", "state_changes": [{"from": "candidate", "iteration": 4, '
    '"to": "retired"}], "task_type": "pick", "text": "When 箱子靠墙: 沿墙推.", "utility": -0.5}',
]
STRUCTURED_LINES = [
    '{"created_iter": 0, "evaluations": [{"iteration": 1, "reward": 1.0, "utility": 1.0}], '
    '"generator": "extractive", "id": "sokoban-2", "kind": "structured", "n": 1, '
    '"source_trajs": [{"seed": 3, "traj_id": 1}], "state": "active", "state_changes": [], '
    '"structured": {"mistakes": ["walking into walls"], "success_patterns": ["push boxes along walls"], '
    '"workflow": ["up", "left"]}, "task_type": "sokoban", "text": "Success patterns:\\n- push boxes along '
    'walls\\nMistakes to avoid:\\n- walking into walls\\nGolden workflow:\\n1. up\\n2. left", "utility": 1.0}',
]


def test_an_earlier_skills_file_loads_with_the_same_records(tmp_path):
    path = tmp_path / "skills.jsonl"
    path.write_text("\n".join([SIRI_LINES[0], STRUCTURED_LINES[0], SIRI_LINES[1]]) + "\n", encoding="utf-8")
    bank = SkillBank.load(path, n_eval=2)
    assert [s.id for s in bank.skills()] == ["pick-1", "pick-3"]
    assert bank.get("pick-1") == Skill(
        id="pick-1", task_type="pick", text="When the mug is dirty: clean it first.", state="candidate",
        utility=0.5, n=1, created_iter=1, generator="self", source_trajs=[{"task": "put a mug in the fridge"}],
        evaluations=[{"delta": 0.5, "group": 0, "iteration": 2, "plain_mean": 0.25, "skill_mean": 0.75,
                      "utility": 0.5}])
    assert bank.get("pick-3").state_changes == [{"from": "candidate", "iteration": 4, "to": "retired"}]
    assert bank.add_candidates("pick", ["When c: d."], "self") == (["pick-4"], 0)  # ids never reused

    lib = SkillLibrary.load(path, ucb_c=0.5)
    assert [a.id for a in lib.arms()] == ["sokoban-2"]
    assert lib.structured("sokoban-2") == WALLS
    assert (lib.get("sokoban-2").utility, lib.get("sokoban-2").n) == (1.0, 1)
    assert lib.add("sokoban", structured(0), "self") == "sokoban-3"

    # Saved again unchanged, each store writes back exactly its own lines.
    SkillBank.load(path).save(tmp_path / "bank.jsonl")
    SkillLibrary.load(path).save(tmp_path / "library.jsonl")
    assert (tmp_path / "bank.jsonl").read_text(encoding="utf-8") == "".join(x + "\n" for x in SIRI_LINES)
    assert (tmp_path / "library.jsonl").read_text(encoding="utf-8") == STRUCTURED_LINES[0] + "\n"


SIRI_RECORD = {"id": "pick-1", "task_type": "pick", "text": "When a: b.", "state": "active", "utility": 0.25,
               "n": 2, "created_iter": 0, "generator": "self", "source_trajs": [],
               "evaluations": [{"iteration": 1, "group": 0, "delta": 0.0, "skill_mean": 0.5, "plain_mean": 0.5,
                                "utility": 0.0},
                               {"iteration": 2, "group": 1, "delta": 0.5, "skill_mean": 1.0, "plain_mean": 0.5,
                                "utility": 0.25}],
               "state_changes": [{"iteration": 2, "from": "candidate", "to": "active"}], "kind": "siri"}
ARM_RECORD = {"id": "soko-1", "task_type": "soko", "text": "t", "state": "active", "utility": 0.5, "n": 1,
              "created_iter": 0, "generator": "self", "source_trajs": [],
              "evaluations": [{"iteration": 1, "reward": 0.5, "utility": 0.5}], "state_changes": [],
              "kind": "structured", "structured": {"success_patterns": ["a"], "mistakes": ["b"], "workflow": ["c"]}}


@pytest.mark.parametrize("cls, state", [
    (SkillBank, {"version": 1, "config": {"n_eval": 2, "tau_promote": 0.1, "tau_retire": -0.1, "max_per_type": 3,
                                          "validation": True},
                 "n_over_cap": 4, "skills": [SIRI_RECORD], "next_index": {"pick": 5}}),
    (SkillLibrary, {"version": 1, "config": {"ucb_c": 0.5, "max_per_type": None}, "n_over_cap": 0,
                    "skills": [ARM_RECORD], "next_index": {"soko": 2}}),
])
def test_an_earlier_checkpoint_state_restores_unchanged(cls, state):
    store = cls.from_state_dict(state)
    assert store.state_dict() == state
    assert list(store.state_dict()) == ["version", "config", "n_over_cap", "skills", "next_index"]
    assert list(store.state_dict()["skills"][0]) == list(state["skills"][0])  # same key order in checkpoints


def test_importing_the_skill_layer_does_not_import_torch():
    code = "import sys, siri.skills, siri.skills.generators; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
