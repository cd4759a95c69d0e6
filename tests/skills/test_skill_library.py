"""Skill-SD's library (docs/algorithms.md §5): structured skills per task type behind a UCB bandit."""

from __future__ import annotations

import json
import random

import pytest

from siri.agent import StructuredSkill, parse_structured_skill
from siri.skills import SkillBank, SkillLibrary, read_skills

S1 = StructuredSkill(("push boxes along walls",), ("pushing a box into a corner",), ("up", "left", "left"))
S2 = StructuredSkill(("plan the last push first",), ("walking into walls",), ("right", "down"))
S3 = StructuredSkill(("count the targets",), ("undoing pushes",), ("down",))


def test_add_dedup_and_sections_round_trip():
    lib = SkillLibrary(ucb_c=1.0)
    a = lib.add("sokoban", S1, "self", [{"traj_id": 1, "seed": 3}], iteration=2)
    assert a == "sokoban-1"
    same = StructuredSkill(("Push boxes along walls.",), ("pushing a box into a corner",), ("up", "left", "left"))
    assert lib.add("sokoban", same, "self") is None  # same normalized text
    arm = lib.get(a)
    assert (arm.kind, arm.state, arm.n, arm.utility, arm.created_iter) == ("structured", "active", 0, 0.0, 2)
    assert lib.structured(a) == S1
    assert parse_structured_skill(arm.text) == S1


def test_bandit_update_and_selection_by_hand():
    lib = SkillLibrary(ucb_c=1.0)
    a, b = lib.add("sokoban", S1, "self"), lib.add("sokoban", S2, "self")
    rng = random.Random(0)
    first = lib.select("sokoban", rng)
    assert first.id in (a, b) and first.n == 0  # untried arms first
    lib.update(a, 1.0, iteration=1)
    assert lib.select("sokoban", rng).id == b  # b untried
    lib.update(b, -0.5, iteration=1)
    lib.update(a, 0.0, iteration=2)  # a: mean 0.5 over 2 pulls; b: -0.5 over 1; N = 3
    # UCB: a = 0.5 + sqrt(ln 3 / 2) = 1.2412, b = -0.5 + sqrt(ln 3) = 0.5481
    assert lib.select("sokoban", rng).id == a
    assert lib.select("sokoban", rng, c=3.0).id == a  # a = 0.5 + 3·0.74115 = 2.7235 > b = 2.6444
    assert lib.select("sokoban", rng, c=4.0).id == b  # a = 3.4646 < b = -0.5 + 4·1.04815 = 3.6926
    assert lib.select("sokoban", rng, mode="greedy").id == a
    arm = lib.get(a)
    assert arm.n == 2 and arm.utility == 0.5
    assert arm.evaluations == [{"iteration": 1, "reward": 1.0, "utility": 1.0},
                               {"iteration": 2, "reward": 0.0, "utility": 0.5}]
    assert lib.select("household", rng) is None


def test_full_library_retires_the_worst_tried_arm():
    lib = SkillLibrary(max_per_type=2)
    a, b = lib.add("sokoban", S1, "self"), lib.add("sokoban", S2, "self")
    assert lib.add("sokoban", S3, "self") is None and lib.n_over_cap == 1  # nothing tried yet
    lib.update(a, 1.0)
    lib.update(b, -1.0)
    c = lib.add("sokoban", S3, "self", iteration=4)
    assert c == "sokoban-3" and lib.get(b).state == "retired"
    assert lib.get(b).state_changes == [{"iteration": 4, "from": "active", "to": "retired"}]
    assert {x.id for x in lib.arms("sokoban")} == {a, c}
    assert lib.counts("sokoban") == {"size": 3, "active": 2, "retired": 1, "pulls": 2}


def test_library_persistence_shares_the_bank_format(tmp_path):
    lib = SkillLibrary(ucb_c=0.5)
    a = lib.add("sokoban", S1, "extractive", [{"index": 0}], iteration=1)
    lib.update(a, 0.25, iteration=2)
    path = tmp_path / "skills.jsonl"
    lib.save(path)
    rec = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert rec["kind"] == "structured" and rec["utility"] == 0.25 and rec["n"] == 1
    assert rec["structured"] == {"success_patterns": ["push boxes along walls"],
                                 "mistakes": ["pushing a box into a corner"], "workflow": ["up", "left", "left"]}
    loaded = SkillLibrary.load(path, ucb_c=0.5)
    assert loaded.structured(a) == S1 and loaded.get(a).to_json() == lib.get(a).to_json()
    assert len(SkillBank.load(path)) == 0  # a SIRI bank ignores structured records
    assert [s.id for s in read_skills(path)] == [a]
    state = json.loads(json.dumps(lib.state_dict()))
    again = SkillLibrary.from_state_dict(state)
    assert again.ucb_c == 0.5 and again.get(a).to_json() == lib.get(a).to_json()
    assert again.add("sokoban", S2, "self") == "sokoban-2"
