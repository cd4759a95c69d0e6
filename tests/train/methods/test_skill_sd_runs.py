"""Skill-SD and its baselines end to end through the `Trainer` (tiny Sokoban), teacher sync against
the policy's parameters, resume of the library, and the shipped preset YAMLs (docs/algorithms.md §5)."""

import copy
import json
import math
from pathlib import Path

import pytest
import torch

from siri.agent import StructuredSkill
from siri.config import load_config
from siri.train.loop import Trainer

CONFIGS = Path(__file__).resolve().parents[3] / "configs"
SKILL = StructuredSkill(success_patterns=("push the box toward the target",), mistakes=("pushing into a corner",),
                        workflow=("up", "left"))


def _seed_library(trainer: Trainer) -> str:
    """The tiny base model never wins, so nothing could be mined: give the library one arm up front."""
    return trainer.method.skills.library.add("sokoban", SKILL, "extractive")


def _metrics(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


KINDS = {
    "skill_sd": (["algo.name=skill_sd"], "skill_sd"),
    "opsd": (["algo.name=opsd"], "skill_sd"),
    "naive_k3": (["algo.name=skill_sd", "algo.loss=naive_k3_sd"], "naive_k3_sd"),
    "naive_sq": (["algo.name=skill_sd", "algo.loss=naive_sq_sd"], "naive_sq_sd"),
}


@pytest.mark.parametrize("kind", [*KINDS, "opd"])
def test_each_kind_runs_two_iterations_and_logs_kl_entropy_and_sd_loss(kind, tiny_cfg, tiny_model_dir):
    overrides, term = KINDS.get(kind, (["algo.name=opd", f"algo.teacher_path={tiny_model_dir}"], "skill_sd"))
    trainer = Trainer(tiny_cfg(*overrides, "algo.generator=extractive"))
    if trainer.method.skills is not None:
        _seed_library(trainer)
    run_dir = trainer.run()
    rows = _metrics(run_dir)
    assert [r["iteration"] for r in rows] == [0, 1]
    for row in rows:
        for key in ("update/kl/loss", "update/entropy/entropy", f"update/{term}/loss", "sd/taught_rows"):
            assert math.isfinite(row[key]), key
        assert row["update/kl/loss"] >= 0 and row[f"update/{term}/loss"] >= 0
        assert row["sd/taught_rows"] > 0  # every kind distils from iteration 0 here
        assert row["phase"] == trainer.cfg.algo.name
    if kind.startswith(("skill_sd", "naive")):
        # The default arm reward pulls only where some advantage is non-zero (a random policy on 3 Sokoban
        # steps often ties every return): the library's pulls are the groups that gave a reward.
        assert (run_dir / "skills.jsonl").is_file()
        assert rows[-1]["library/pulls"] == sum(r["library/groups_taught"] for r in rows)


def test_grpo_preset_has_no_distillation(tiny_cfg):
    rows = _metrics(Trainer(tiny_cfg("algo.name=grpo")).run())
    assert not any(k.startswith(("update/skill_sd", "sd/")) for k in rows[0])


def test_teacher_copy_equals_the_policy_at_the_last_sync(tiny_cfg):
    trainer = Trainer(tiny_cfg("algo.name=skill_sd", "algo.teacher_sync_interval=2", "train.iterations=3",
                               "algo.generator=extractive"))
    _seed_library(trainer)
    method = trainer.method
    at_prepare, teacher_after = {}, {}
    original = method.prepare

    def spy(batch, ctx):
        at_prepare[ctx.iteration] = copy.deepcopy(ctx.model.state_dict())
        out = original(batch, ctx)
        teacher_after[ctx.iteration] = copy.deepcopy(method.teacher.copy.state_dict())
        return out

    method.prepare = spy
    trainer.run()

    def same(a, b):
        return all(torch.equal(a[k], b[k]) for k in a)

    assert not same(at_prepare[0], at_prepare[1])  # the updates moved the policy
    assert same(teacher_after[0], at_prepare[0])  # synced at 0
    assert same(teacher_after[1], at_prepare[0]) and not same(teacher_after[1], at_prepare[1])  # not at 1
    assert same(teacher_after[2], at_prepare[2])  # synced at 2
    assert not same(method.teacher.copy.state_dict(), trainer.model.state_dict())  # the last update moved on
    assert all(not p.requires_grad for p in method.teacher.copy.parameters())


def test_resume_restores_the_library_and_its_statistics(tiny_cfg):
    # group_success pulls for every taught group, whatever the returns: the statistics to restore are known
    overrides = ("algo.name=skill_sd", "algo.generator=extractive", "train.iterations=2", "algo.arm_reward=group_success")
    first = Trainer(tiny_cfg(*overrides))
    arm = _seed_library(first)
    first.run(stop_after=1)
    pulls = first.method.skills.library.get(arm).n
    assert pulls == 2  # two groups taught at iteration 0
    resumed = Trainer(tiny_cfg(*overrides), resume=True)
    assert resumed.start == 1 and resumed.method.skills.library.get(arm).n == pulls
    resumed.run()
    assert resumed.method.skills.library.get(arm).n == pulls + 2


PRESETS = {
    "sokoban_tiny_grpo.yaml": ("grpo", None, None),
    "sokoban_tiny_skill_sd.yaml": ("skill_sd", "skills", "skill_sd"),
    "sokoban_tiny_opd.yaml": ("opd", "checkpoint", "skill_sd"),
    "sokoban_tiny_opsd.yaml": ("opsd", "oracle_plan", "skill_sd"),
    "sokoban_tiny_naive.yaml": ("skill_sd", "skills", "naive_k3_sd"),
    "household_tiny_skill_sd.yaml": ("skill_sd", "skills", "skill_sd"),
    "sokoban_qwen7b_skill_sd.yaml": ("skill_sd", "skills", "skill_sd"),
}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_yaml_validates(name):
    from siri.train.methods.distill.method import teacher_source

    cfg = load_config(CONFIGS / name)
    algo, teacher, loss = PRESETS[name]
    assert cfg.algo.name == algo and cfg.run.name == name.removesuffix(".yaml")
    if teacher is not None:
        assert teacher_source(cfg.algo.name, cfg.algo.teacher) == teacher and cfg.algo.loss == loss
    if name.startswith("sokoban_tiny"):  # the baselines differ only in algo and skill_sd
        base = load_config(CONFIGS / "sokoban_tiny_grpo.yaml")
        for section in ("model", "env", "sampling", "train", "eval"):
            assert getattr(cfg, section) == getattr(base, section), section


def test_real_model_preset_has_the_published_defaults():
    cfg = load_config(CONFIGS / "sokoban_qwen7b_skill_sd.yaml")
    assert cfg.model.path == "Qwen/Qwen2.5-7B-Instruct" and cfg.env.think
    assert (cfg.train.groups_per_iter, cfg.train.group_size, cfg.train.lr) == (16, 8, 1e-6)
    assert cfg.algo.mode == "mean_norm" and cfg.sampling.max_new_tokens == 512
    assert cfg.sampling.temperature == 1.0 and cfg.eval.temperature == 0.4
    assert cfg.algo.lambda_sd == 0.1 and cfg.algo.generator == "self"
