"""LoRA runs (docs/architecture.md "LoRA", docs/run-directory.md "checkpoints/"): a checkpoint holds the
adapter and loads back as base + adapter with the same log-probs, a resumed run continues exactly, and
the update learns on the task of benchmarks/overfit_one_task.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from siri.policy.loading import load_policy
from siri.policy.lora import base_only, is_lora
from siri.policy.scoring import score
from siri.train.checkpoint import CheckpointError, latest_checkpoint, load_checkpoint
from siri.train.loop import Trainer
from siri.utils.metrics import read_metrics

LORA = ("model.lora_rank=4", "model.lora_alpha=8")


def rows_of(trainer):
    return [(r.prompt_ids, r.response_ids) for r in trainer.engine.run([5, 6], 2).rows]


def test_checkpoint_holds_the_adapter_and_loads_back_as_base_plus_adapter(tiny_cfg, tiny_model_dir):
    from siri.commands.eval import resolve_model_dir

    cfg = tiny_cfg(*LORA, "train.iterations=1")
    trainer = Trainer(cfg)
    trainer.run()
    ckpt = latest_checkpoint(cfg.run_dir / "checkpoints")
    files = {p.name for p in (ckpt / "model").iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json"} <= files
    assert "model.safetensors" not in files and not (ckpt / "master.safetensors").exists()
    config = json.loads((ckpt / "model" / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(Path(tiny_model_dir).resolve())
    assert (config["r"], config["lora_alpha"]) == (4, 8)

    model_dir, run_dir = resolve_model_dir(cfg.run_dir)  # what `siri eval` / `siri serve` load
    assert (model_dir, run_dir) == (ckpt / "model", cfg.run_dir)
    loaded, tok = load_policy(model_dir, "cpu")
    assert is_lora(loaded) and not any(p.requires_grad for p in loaded.parameters())
    pairs = rows_of(trainer)
    prompts, responses = [p for p, _ in pairs], [r for _, r in pairs]
    with torch.no_grad():
        want, got = score(trainer.model, prompts, responses), score(loaded, prompts, responses)
        with base_only(trainer.model):
            base = score(trainer.model, prompts, responses)
    assert all(torch.equal(g, w) for g, w in zip(got, want))
    assert max(float((w - b).abs().max()) for w, b in zip(want, base)) > 1e-4  # the adapter is in it


def test_resumed_lora_run_continues_as_the_uninterrupted_one(tiny_cfg):
    whole = tiny_cfg(*LORA, "train.iterations=3", "run.name=whole")
    Trainer(whole).run()
    parts = tiny_cfg(*LORA, "train.iterations=3", "run.name=parts")
    Trainer(parts).run(stop_after=2)
    resumed = Trainer(parts, resume=True)
    assert resumed.start == 2
    resumed.run()

    def comparable(run_dir):
        return [{k: v for k, v in r.items() if not k.startswith("time/")} for r in read_metrics(run_dir / "metrics.jsonl")]

    assert len(comparable(parts.run_dir)) == 3
    assert comparable(parts.run_dir) == comparable(whole.run_dir)


def test_a_full_checkpoint_does_not_load_into_a_lora_run(tiny_cfg):
    full = tiny_cfg("train.iterations=1", "run.name=full")
    Trainer(full).run()
    lora = Trainer(tiny_cfg(*LORA, "run.name=lora"))
    with pytest.raises(CheckpointError, match="holds no LoRA adapter"):
        load_checkpoint(latest_checkpoint(full.run_dir / "checkpoints"), lora.model, lora.optimizer, lora.rng)


def overfit_task_rows(tok):
    """The first step of benchmarks/overfit_one_task.py's task (household_tiny, train seed 11): its prompt,
    the oracle's action and three other admissible actions."""
    from siri.agent.prompts import build_prompt
    from siri.config import load_config
    from siri.envs.registry import make_env, make_oracle
    from siri.policy.loading import chat_prompt_ids

    env_cfg = load_config("household_tiny").env
    env = make_env("household", "train", max_steps=env_cfg.max_steps, **env_cfg.options)
    first = env.reset(11)
    oracle = make_oracle(env).act(first)
    others = [a for a in first.admissible_actions if a != oracle][:3]
    text = build_prompt("household", task=first.task, observation=first.observation,
                        admissible=first.admissible_actions, history_len=env_cfg.history)
    prompt = chat_prompt_ids(tok, text)
    return prompt, [tok.encode(f"<action>{a}</action>", add_special_tokens=False) for a in [oracle, *others]]


def test_a_lora_update_learns_the_overfit_task(tiny_cfg):
    """A group of four rollouts' first steps where the one that took the oracle's action scored (GRPO
    advantages +1 and -1/3 each): ten LoRA updates make the oracle's action the clear favourite of the four.
    (Their shared tokens, `<action>go to`, get opposite advantages that cancel; what is learnt is the choice.)"""
    from siri.algos.registry import ADVANTAGES, OLD_LOGPROBS
    from siri.train.batch import TrainRow
    from siri.train.loop import update_settings
    from siri.train.update import LossPlan, policy_update

    trainer = Trainer(tiny_cfg("model.lora_rank=8", "train.lr=1e-2", "train.kl_coef=0"))
    model, tok = trainer.model, trainer.tokenizer
    prompt, responses = overfit_task_rows(tok)
    prompts = [prompt] * len(responses)
    with torch.no_grad():
        before = [float(lp.sum()) for lp in score(model, prompts, responses)]
    for _ in range(10):
        with torch.no_grad():
            old = score(model, prompts, responses)
        rows = [TrainRow({"sampled": prompt}, r, {ADVANTAGES: [adv] * len(r), OLD_LOGPROBS: lp.tolist()})
                for r, lp, adv in zip(responses, old, (1.0, -1 / 3, -1 / 3, -1 / 3))]
        policy_update(model, trainer.optimizer, rows, LossPlan({"pg": 1.0}), update_settings(trainer.cfg),
                      tok.pad_token_id)
    with torch.no_grad():
        after = [float(lp.sum()) for lp in score(model, prompts, responses)]
    assert before[0] < max(before[1:])  # the start does not favour the oracle's action
    assert after[0] - before[0] > 3.0  # then it is over e^3 = 20 times likelier
    assert all(a < b for a, b in zip(after[1:], before[1:]))  # the others fell
    assert after[0] > max(after[1:]) + 3.0  # and it is the group's clear favourite


def test_a_skill_sd_teacher_copy_of_a_lora_policy_keeps_the_synced_adapters(tiny_cfg):
    """The teacher snapshot deep-copies the LoRA model (base included): its adapters are the policy's at
    the sync (iteration 0), its base is the policy's base."""
    from siri.agent import StructuredSkill

    trainer = Trainer(tiny_cfg(*LORA, "algo.name=skill_sd", "algo.teacher_sync_interval=2", "algo.generator=extractive"))
    trainer.method.skills.library.add("sokoban", StructuredSkill(success_patterns=("push the box",), mistakes=(),
                                                                 workflow=("up",)), "extractive")
    start = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if p.requires_grad}
    trainer.run()
    teacher = trainer.method.teacher.copy
    assert is_lora(teacher) and not any(p.requires_grad for p in teacher.parameters())
    adapters = {n: p for n, p in teacher.named_parameters() if ".lora_" in n}
    assert adapters.keys() == start.keys() and all(torch.equal(adapters[n], start[n]) for n in start)
    assert not all(torch.equal(p, start[n]) for n, p in trainer.model.named_parameters() if n in start)
    pairs = rows_of(trainer)
    prompts, responses = [p for p, _ in pairs], [r for _, r in pairs]
    with torch.no_grad(), base_only(teacher), base_only(trainer.model):
        assert all(torch.equal(a, b) for a, b in zip(score(teacher, prompts, responses),
                                                     score(trainer.model, prompts, responses)))


def test_lora_under_several_processes_is_refused_before_any_file_is_written(tiny_cfg, monkeypatch):
    """LoRA under FSDP2 is not built: a LoRA run started as one of several processes stops in one line,
    before it opens its run directory."""
    import siri.train.loop as loop
    from siri.train.distributed import World
    from siri.utils.errors import UserError

    monkeypatch.setattr(loop, "init_world", lambda device: World(rank=0, size=2, backend="gloo"))
    cfg = tiny_cfg(*LORA, "run.name=lora2", "train.groups_per_iter=2")
    with pytest.raises(UserError, match="model.lora_rank > 0 runs in one process only"):
        Trainer(cfg)
    assert not cfg.run_dir.exists()
