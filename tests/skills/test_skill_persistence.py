"""The bank file (docs/algorithms.md §4: human-readable JSONL, written atomically) and checkpoint state."""

from __future__ import annotations

import json
import os

import pytest

from siri.skills import Skill, SkillBank, read_skills, write_skills
from siri.utils.errors import UserError

KEYS = {"id", "kind", "task_type", "text", "state", "utility", "n", "created_iter", "generator", "source_trajs",
        "evaluations", "state_changes"}


def filled_bank() -> SkillBank:
    b = SkillBank(n_eval=2, tau_promote=0.1, tau_retire=-0.1)
    (a, c), _ = b.add_candidates("sokoban", ["When a box is next to a wall: push it along the wall.",
                                              "When 箱子靠墙: 沿墙推."], "self", [{"traj_id": 3, "seed": 11}], 4)
    b.record_evaluation(a, 0.5, iteration=5, group=2, skill_mean=0.75, plain_mean=0.25)
    b.record_evaluation(a, 0.25, iteration=6, group=0, skill_mean=0.5, plain_mean=0.25)
    b.record_evaluation(c, -0.5, iteration=6, group=1, skill_mean=0.0, plain_mean=0.5)
    b.add_candidates("shop", ["When the size is missing: click the size first."], "external", [], 6)
    return b


def test_save_writes_one_readable_sorted_line_per_skill(tmp_path):
    b = filled_bank()
    path = tmp_path / "run" / "skills.jsonl"
    b.save(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    for line, rec in zip(lines, records):
        assert set(rec) == KEYS
        assert line == json.dumps(rec, sort_keys=True, ensure_ascii=False)
    assert "沿墙推" in lines[1]  # non-ASCII kept readable, not \u-escaped
    first = records[0]
    assert first["id"] == "sokoban-1" and first["state"] == "active" and first["n"] == 2
    assert first["utility"] == 0.375 and first["generator"] == "self" and first["created_iter"] == 4
    assert first["source_trajs"] == [{"seed": 11, "traj_id": 3}]
    assert first["state_changes"] == [{"from": "candidate", "iteration": 6, "to": "active"}]
    assert first["evaluations"][0] == {"delta": 0.5, "group": 2, "iteration": 5, "plain_mean": 0.25,
                                       "skill_mean": 0.75, "utility": 0.5}
    assert [p.name for p in path.parent.iterdir()] == ["skills.jsonl"]  # no temporary file left


def test_load_round_trip(tmp_path):
    b = filled_bank()
    b.save(tmp_path / "skills.jsonl")
    loaded = SkillBank.load(tmp_path / "skills.jsonl", n_eval=2, tau_promote=0.1, tau_retire=-0.1)
    assert [s.to_json() for s in loaded.skills()] == [s.to_json() for s in b.skills()]
    ids, _ = loaded.add_candidates("sokoban", ["When stuck: undo by walking around."], "self")
    assert ids == ["sokoban-3"]  # ids continue, never reused


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "skills.jsonl"
    b = filled_bank()
    b.save(path)
    before = path.read_bytes()
    b.add_candidates("shop", ["When the price is too high: go back to search."], "self")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        b.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["skills.jsonl"]


def test_state_dict_round_trip_through_json():
    b = filled_bank()
    b.n_over_cap = 2
    state = json.loads(json.dumps(b.state_dict()))
    restored = SkillBank.from_state_dict(state)
    assert restored.config() == b.config() == {"n_eval": 2, "tau_promote": 0.1, "tau_retire": -0.1,
                                                "max_per_type": None, "validation": True}
    assert [s.to_json() for s in restored.skills()] == [s.to_json() for s in b.skills()]
    assert restored.n_over_cap == 2
    restored.record_evaluation("sokoban-2", -0.5, iteration=7)
    assert restored.get("sokoban-2").state == "retired"  # n = 2, U = -0.5 < -0.1
    assert b.get("sokoban-2").state == "candidate"  # the original is independent


def test_missing_or_broken_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no skill bank"):
        read_skills(tmp_path / "skills.jsonl")
    (tmp_path / "skills.jsonl").write_text('{"id": "a-1", "task_type": "a", "text": "t"}\nnot json\n')
    with pytest.raises(UserError, match="skills.jsonl:2"):
        read_skills(tmp_path / "skills.jsonl")


def test_binary_garbled_and_mistyped_banks_name_the_file_and_line(tmp_path):
    path = tmp_path / "skills.jsonl"
    good = json.dumps({"id": "a-1", "task_type": "a", "text": "t"}) + "\n"
    path.write_bytes(good.encode() + bytes(range(128, 256)) + bytes(range(128)))
    with pytest.raises(UserError, match=r"^skill bank .*skills.jsonl:2: not UTF-8 text \(byte 0x80\)"):
        read_skills(path)
    bad = {"id": {"id": 1, "task_type": "a", "text": "t"}, "text": {"id": "a-1", "task_type": "a", "text": 5},
           "evaluations": {"id": "a-1", "task_type": "a", "text": "t", "evaluations": 5},
           "state_changes": {"id": "a-1", "task_type": "a", "text": "t", "state_changes": [1]},
           "n": {"id": "a-1", "task_type": "a", "text": "t", "n": "many"},
           "structured": {"id": "a-1", "task_type": "a", "text": "t", "structured": [1]}}
    for key, record in bad.items():
        path.write_text(good + json.dumps(record) + "\n")
        with pytest.raises(UserError, match=rf"^skill bank .*skills.jsonl:2: not a skill record \({key} "):
            read_skills(path)
    path.write_text(good + '{"id": "a-2", "task_type": "a", "text": "t", "n": Infinity}\n')
    with pytest.raises(UserError, match="skills.jsonl:2: not a skill record"):
        read_skills(path)


def test_texts_with_line_separators_round_trip(tmp_path):
    # Before, the reader split lines with str.splitlines, which also breaks at U+2028 and U+0085: a
    # skill whose text held one made the whole bank unreadable.
    skills = [Skill(id="a-1", task_type="a", text="one\u2028two"), Skill(id="a-2", task_type="a", text="x\x85y")]
    write_skills(tmp_path / "skills.jsonl", skills)
    assert [s.text for s in read_skills(tmp_path / "skills.jsonl")] == ["one\u2028two", "x\x85y"]


def test_a_bank_the_store_refuses_is_a_user_error(tmp_path):
    record = json.dumps({"id": "a-1", "task_type": "a", "text": "t"}) + "\n"
    (tmp_path / "skills.jsonl").write_text(record * 2)
    with pytest.raises(UserError, match=r"^skill bank .*skills.jsonl: duplicate skill id 'a-1'$"):
        SkillBank.load(tmp_path / "skills.jsonl")
