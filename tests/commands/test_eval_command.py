"""`siri eval` end to end on the tiny model: table, JSON on disk, and the skill-prompted variant."""

from __future__ import annotations

import json

import pytest

from siri.cli import main
from siri.skills import SkillBank


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


def _run_eval(tiny_model_dir, out, *extra):
    return main(["eval", "--checkpoint", str(tiny_model_dir), "--env", "sokoban", "--episodes", "3",
                 "--out", str(out), "env.max_steps=2", "sampling.max_new_tokens=6", "run.progress=false", *extra])


def test_eval_writes_per_task_type_success_with_intervals(tiny_model_dir, tmp_path, capsys):
    assert _run_eval(tiny_model_dir, tmp_path / "plain.json") == 0
    out = capsys.readouterr().out
    assert "plain-prompt evaluation: eval split" in out and "95% CI" in out
    res = json.loads((tmp_path / "plain.json").read_text())
    assert res["episodes"] == 3 and res["prompt"] == "plain" and res["split"] == "eval"
    assert res["success"]["all"]["n"] == 3 and res["success"]["sokoban"]["n"] == 3
    assert 0.0 <= res["success"]["all"]["ci_low"] <= res["success"]["all"]["success"] <= res["success"]["all"]["ci_high"]
    assert 1 <= res["mean_steps"] <= 2


def test_eval_with_skills_names_the_skill_and_marks_the_result(tiny_model_dir, tmp_path, capsys):
    bank = SkillBank(n_eval=1)
    (sid,), _ = bank.add_candidates("sokoban", ["When a box is next to a wall: push it along the wall."], "self")
    bank.record_evaluation(sid, 0.5, iteration=0)
    bank.save(tmp_path / "skills.jsonl")
    assert _run_eval(tiny_model_dir, tmp_path / "skills.json", "--skills", str(tmp_path / "skills.jsonl")) == 0
    out = capsys.readouterr().out
    assert "skills in the prompt: sokoban: When a box is next to a wall: push it along the wall." in out
    assert "skills-prompt evaluation" in out
    assert json.loads((tmp_path / "skills.json").read_text())["prompt"] == "skills"


def test_eval_with_a_missing_bank_is_a_one_line_error(tiny_model_dir, tmp_path, capsys):
    assert _run_eval(tiny_model_dir, tmp_path / "x.json", "--skills", str(tmp_path / "nope.jsonl")) == 2
    assert "no skill bank at" in capsys.readouterr().err
