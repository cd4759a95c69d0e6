"""Milestone evaluations of a finished SIRI run (the quickstart's report, "At a glance"): the end of
Phase 0 from its checkpoint, and the warm start with the run's promoted skills."""

from __future__ import annotations

import json
import shutil

import pytest

from siri.evaluation.milestones import last_iteration_of, milestone_evals, phase0_end_eval, with_skills_eval
from siri.utils.errors import UserError


def _metrics(run, phases):
    run.mkdir(parents=True, exist_ok=True)
    (run / "metrics.jsonl").write_text("".join(json.dumps({"iteration": i, "phase": p}) + "\n"
                                               for i, p in enumerate(phases)))


def test_last_iteration_of_a_phase(tmp_path):
    assert last_iteration_of(tmp_path / "metrics.jsonl", "phase0") is None  # no metrics yet
    _metrics(tmp_path, ["phase0", "phase0", "phase1", "phase2"])
    with (tmp_path / "metrics.jsonl").open("a") as f:
        f.write('{"iteration": 9, "pha')  # a torn last line is skipped
    assert last_iteration_of(tmp_path / "metrics.jsonl", "phase0") == 1
    assert last_iteration_of(tmp_path / "metrics.jsonl", "phase2") == 3
    _metrics(tmp_path, ["phase1", "phase2"])
    assert last_iteration_of(tmp_path / "metrics.jsonl", "phase0") is None


def test_phase0_end_needs_its_checkpoint_and_none_without_phase0(tmp_path, tiny_cfg):
    cfg = tiny_cfg()
    _metrics(tmp_path / "run", ["phase0", "phase1"])
    with pytest.raises(UserError, match=r"end of Phase 0 \(iteration 0\) has no checkpoint .*checkpoint_every=1"):
        phase0_end_eval(cfg, tmp_path / "run")
    _metrics(tmp_path / "nowarm", ["phase1"])
    assert phase0_end_eval(cfg, tmp_path / "nowarm") is None


def test_milestones_are_evaluated_once_from_what_the_run_left(tmp_path, tiny_cfg, tiny_model_dir):
    cfg = tiny_cfg()
    run = tmp_path / "run"
    _metrics(run, ["phase0", "phase0", "phase1"])
    shutil.copytree(tiny_model_dir, run / "checkpoints" / "iter_000001" / "model")
    saved = {}
    milestone_evals(cfg, run, tiny_model_dir, lambda: {"sokoban": "When a box is next to a wall: push it along the wall."},
                    lambda result, name: saved.setdefault(name, result))
    assert sorted(saved) == ["phase0_end", "sft_start_skills"]
    assert saved["phase0_end"].episodes == saved["sft_start_skills"].episodes == 2
    assert saved["phase0_end"].to_json()["prompt"] == "plain"
    assert saved["sft_start_skills"].to_json()["prompt"] == "skills"
    # written results are not redone; without skills there is nothing to evaluate with them
    for name in saved:
        (run / "eval").mkdir(exist_ok=True)
        (run / "eval" / f"{name}.json").write_text("{}")
    def no_bank():
        raise AssertionError("the bank is read only when the with-skill evaluation is still to do")

    again = {}
    milestone_evals(cfg, run, tiny_model_dir, no_bank, lambda result, name: again.setdefault(name, result))
    assert again == {}
    assert with_skills_eval(cfg, tiny_model_dir, {}) is None


def test_a_milestone_that_cannot_be_evaluated_is_said_and_the_rest_goes_on(tmp_path, tiny_cfg, capsys):
    cfg = tiny_cfg()
    _metrics(tmp_path, ["phase0", "phase1"])  # no checkpoint kept for iteration 0
    said, saved = [], {}
    milestone_evals(cfg, tmp_path, tmp_path / "unused", lambda: {}, saved.setdefault, said.append)
    assert saved == {}
    assert said[0].startswith("no end-of-Phase-0 evaluation: the end of Phase 0 (iteration 0) has no checkpoint")
    assert said[1] == "no active skill in the bank: no with-skill evaluation of the warm start"
