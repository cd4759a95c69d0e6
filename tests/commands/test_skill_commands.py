"""`siri skills RUN_DIR` (table, --skill history, filters, one-line errors) and `siri serve` arguments."""

from __future__ import annotations

import pytest

from siri.agent import StructuredSkill
from siri.cli import main
from siri.skills import SkillBank, SkillLibrary


@pytest.fixture
def run_dir(tmp_path):
    b = SkillBank(n_eval=2, tau_promote=0.1, tau_retire=-0.1)
    (good, bad), _ = b.add_candidates("household_clean", ["When the mug is dirty: clean it at the sinkbasin.",
                                                          "When lost: look around."], "extractive",
                                      [{"traj_id": 4, "seed": 21}], iteration=3)
    b.record_evaluation(good, 0.5, iteration=4, group=1, skill_mean=0.75, plain_mean=0.25)
    b.record_evaluation(good, 0.25, iteration=5, group=0, skill_mean=0.5, plain_mean=0.25)
    b.record_evaluation(bad, -0.5, iteration=4, group=2, skill_mean=0.0, plain_mean=0.5)
    b.record_evaluation(bad, -0.25, iteration=5, group=3, skill_mean=0.25, plain_mean=0.5)
    b.add_candidates("sokoban", ["When a box is in a corner: restart the plan."], "self", iteration=5)
    b.save(tmp_path / "skills.jsonl")
    return tmp_path


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")


def test_table_lists_every_skill(run_dir, capsys):
    assert main(["skills", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "3 of 3 skills" in out
    for row in (["household_clean-1", "household_clean", "active", "+0.375", "2",
                 "When the mug is dirty: clean it at the sinkbasin."],
                ["household_clean-2", "retired", "-0.375", "When lost: look around."],
                ["sokoban-1", "candidate", "+0.000", "0", "When a box is in a corner: restart the plan."]):
        line = next(line for line in out.splitlines() if row[0] in line)
        assert all(cell in line for cell in row), (row, line)
    assert "candidate: 1, active: 1, retired: 1" in out


def test_filters(run_dir, capsys):
    assert main(["skills", str(run_dir), "--state", "retired"]) == 0
    out = capsys.readouterr().out
    assert "household_clean-2" in out and "household_clean-1" not in out and "sokoban-1" not in out
    assert main(["skills", str(run_dir / "skills.jsonl"), "--task-type", "sokoban"]) == 0
    out = capsys.readouterr().out
    assert "sokoban-1" in out and "household_clean-1" not in out


def test_one_skill_history(run_dir, capsys):
    assert main(["skills", str(run_dir), "--skill", "household_clean-1"]) == 0
    out = capsys.readouterr().out
    assert "extractive generator" in out and "created at iteration 3" in out
    assert '{"seed": 21, "traj_id": 4}' in out
    assert "When the mug is dirty: clean it at the sinkbasin." in out
    assert "evaluations (2)" in out and "+0.500" in out and "+0.750" in out and "+0.375" in out
    change = next(line for line in out.splitlines() if "candidate" in line and "active" in line)
    assert "5" in change


def test_structured_skills_show_too(tmp_path, capsys):
    lib = SkillLibrary()
    lib.add("sokoban", StructuredSkill(("push along walls",), ("corners",), ("up", "left")), "self")
    lib.save(tmp_path / "skills.jsonl")
    assert main(["skills", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "sokoban-1" in out and "Success patterns: | - push along walls" in out


def test_missing_bank_and_unknown_skill_are_one_line_errors(tmp_path, run_dir, capsys):
    assert main(["skills", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "siri skills: error: no skill bank at" in err
    assert main(["skills", str(run_dir), "--skill", "sokoban-9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no skill 'sokoban-9'" in err and "household_clean-1" in err


def test_serve_bad_arguments_are_one_line_errors(tmp_path, capsys):
    assert main(["serve", "--checkpoint", str(tmp_path / "none")]) == 2
    assert "no model found" in capsys.readouterr().err
    assert main(["serve", "--checkpoint", str(tmp_path), "--port", "70000"]) == 2
    assert "--port must be in [0, 65535]" in capsys.readouterr().err
    assert main(["serve", "--checkpoint", str(tmp_path), "--max-batch-size", "0"]) == 2
    assert "--max-batch-size must be positive, got 0" in capsys.readouterr().err
    assert main(["serve", "--checkpoint", str(tmp_path), "--api-key", " "]) == 2
    assert "--api-key must not be empty" in capsys.readouterr().err


@pytest.mark.slow
def test_siri_serve_process_answers_and_stops_on_sigterm(tiny_model_dir):
    import json
    import re
    import signal
    import subprocess
    import sys
    import urllib.request

    proc = subprocess.Popen([sys.executable, "-m", "siri.cli", "serve", "--checkpoint", str(tiny_model_dir), "--port", "0",
                             "--device", "cpu", "--quiet", "--served-model-name", "tiny", "--api-key", "sk-1",
                             "--max-batch-size", "8"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        base = re.search(r"at (http://127\.0\.0\.1:\d+/v1)", line).group(1)
        request = urllib.request.Request(base + "/models", headers={"Authorization": "Bearer sk-1"})
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert json.loads(resp.read())["data"][0]["id"] == "tiny"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0 and "stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


HAND_WRITTEN_BANK = "\n".join([
    '{"id": "clean-1", "task_type": "household_clean", "text": "When the mug is dirty: rinse it first.", '
    '"state": "active", "utility": 0.375, "n": 2, "created_iter": 3, "generator": "extractive", '
    '"source_trajs": [{"seed": 21, "traj_id": 4}], "state_changes": [{"iteration": 5, "from": "candidate", '
    '"to": "active"}], "evaluations": [{"iteration": 4, "group": 1, "delta": 0.5, "skill_mean": 0.75, '
    '"plain_mean": 0.25}, {"iteration": 5, "group": 0, "delta": 0.25, "skill_mean": 0.5, "plain_mean": 0.25}]}',
    '{"id": "box-1", "task_type": "sokoban", "text": "When a box is in a corner: restart the plan.", '
    '"state": "candidate"}',
    '{"id": "box-2", "task_type": "sokoban", "text": "When lost: look around.", "state": "retired", '
    '"utility": -0.5, "n": 4}',
]) + "\n"


def test_json_is_the_whole_stdout_and_holds_the_bank(tmp_path, capsys):
    import json

    (tmp_path / "skills.jsonl").write_text(HAND_WRITTEN_BANK, encoding="utf-8")
    assert main(["skills", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)  # nothing but the JSON document on stdout
    assert data["path"] == str(tmp_path / "skills.jsonl") and data["total"] == 3
    assert data["counts"] == {"candidate": 1, "active": 1, "retired": 1}
    assert [(s["id"], s["task_type"], s["state"], s["utility"], s["n"]) for s in data["skills"]] == [
        ("clean-1", "household_clean", "active", 0.375, 2), ("box-1", "sokoban", "candidate", 0.0, 0),
        ("box-2", "sokoban", "retired", -0.5, 4)]
    assert data["skills"][0]["text"] == "When the mug is dirty: rinse it first."
    assert data["skills"][0]["source_trajs"] == [{"seed": 21, "traj_id": 4}]


def test_json_follows_the_filters_and_the_skill_history(tmp_path, capsys):
    import json

    bank = tmp_path / "skills.jsonl"
    bank.write_text(HAND_WRITTEN_BANK, encoding="utf-8")
    assert main(["skills", str(bank), "--task-type", "sokoban", "--state", "retired", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in data["skills"]] == ["box-2"] and data["total"] == 3  # counts: the whole bank
    assert main(["skills", str(bank), "--skill", "clean-1", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["generator"] == "extractive" and record["created_iter"] == 3
    assert [e["delta"] for e in record["evaluations"]] == [0.5, 0.25]
    assert record["state_changes"] == [{"iteration": 5, "from": "candidate", "to": "active"}]
