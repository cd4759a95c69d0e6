"""Skill-prompted evaluation (`siri eval --skills`): which skill goes in the prompt, from which bank."""

from __future__ import annotations

import json

import pytest

from siri.commands.eval import eval_skills
from siri.rollout.engine import Variant
from siri.skills import SkillBank
from siri.evaluation.evaluate import skill_variants
from siri.utils.errors import UserError


def _bank() -> SkillBank:
    b = SkillBank(n_eval=1, tau_promote=0.0, tau_retire=-0.5)
    (low, high, cand), _ = b.add_candidates(
        "pick", ["When holding it: go to the target.", "When the object is found: take it.",
                 "When lost: look around."], "self", iteration=0)
    b.record_evaluation(low, 0.25, iteration=1)   # active, U = 0.25
    b.record_evaluation(high, 0.5, iteration=1)   # active, U = 0.5: the best one
    b.add_candidates("look", ["When the lamp is near: use it."], "self", iteration=0)  # never evaluated
    return b


def test_best_active_is_the_highest_utility_active_skill_and_candidates_never_count():
    b = _bank()
    assert b.best_active("pick").text == "When the object is found: take it."
    assert b.best_active("look") is None and b.best_active("unknown") is None


def test_eval_skills_reads_a_jsonl_a_run_dir_and_a_checkpoint(tmp_path):
    b = _bank()
    b.save(tmp_path / "skills.jsonl")
    want = {"pick": "When the object is found: take it."}
    assert eval_skills(tmp_path / "skills.jsonl") == want
    assert eval_skills(tmp_path) == want
    ckpt = tmp_path / "checkpoints" / "iter_000003"
    ckpt.mkdir(parents=True)
    (ckpt / "state.json").write_text(json.dumps({"iteration": 3, "state": {"method": {"bank": b.state_dict()}}}))
    assert eval_skills(ckpt) == want


def test_eval_skills_bad_paths_are_one_line_errors(tmp_path):
    with pytest.raises(UserError, match="no skill bank at"):
        eval_skills(tmp_path / "missing.jsonl")
    ckpt = tmp_path / "iter_000000"
    ckpt.mkdir()
    (ckpt / "state.json").write_text(json.dumps({"iteration": 0, "state": {"env_steps_total": 5}}))
    with pytest.raises(UserError, match="holds no skill bank"):
        eval_skills(ckpt)


def test_skill_variants_put_the_task_types_skill_in_its_prompts_only():
    fn = skill_variants({"pick": "When the object is found: take it."})
    assert fn(0, 0, "pick") == Variant(skills=("When the object is found: take it.",))
    assert fn(3, 1, "look") == Variant()
