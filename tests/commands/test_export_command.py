"""`siri export` (docs/architecture.md "LoRA"): a LoRA run's checkpoint becomes one plain Hugging Face
model, base and adapter merged, with the log-probs of base + adapter; `siri eval` reads the run as it is."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from siri.cli import main
from siri.policy.loading import load_policy
from siri.policy.scoring import score
from siri.train.checkpoint import latest_checkpoint
from siri.train.loop import Trainer


@pytest.fixture(scope="module")
def lora_run(tmp_path_factory, tiny_model_dir):
    """A one-iteration LoRA run (its adapters trained at lr 1e-2, so they change the outputs)."""
    from siri.config import load_config

    cfg = load_config(None, [
        "env.name=sokoban", "env.max_steps=3", f"model.path={tiny_model_dir}", "run.name=lora",
        f"run.out_dir={tmp_path_factory.mktemp('runs')}", "run.progress=false", "train.iterations=1",
        "train.groups_per_iter=2", "train.group_size=2", "train.lr=1e-2", "sampling.max_new_tokens=6",
        "model.lora_rank=4", "eval.episodes=2"])
    trainer = Trainer(cfg)
    trainer.run()
    rows = trainer.engine.run([3, 4], 2).rows
    return cfg.run_dir, [r.prompt_ids for r in rows], [r.response_ids for r in rows]


def test_export_merges_the_adapter_into_a_plain_model_with_the_same_logprobs(lora_run, tmp_path, tiny):
    run_dir, prompts, responses = lora_run
    out = tmp_path / "merged"
    assert main(["export", "--checkpoint", str(run_dir), "--out", str(out)]) == 0
    assert not (out / "adapter_config.json").exists() and (out / "model.safetensors").exists()
    merged = AutoModelForCausalLM.from_pretrained(out)  # plain transformers, no adapter code
    assert type(merged).__name__ == "Qwen2ForCausalLM"
    assert AutoTokenizer.from_pretrained(out).get_vocab() == tiny[1].get_vocab()
    lora, _ = load_policy(latest_checkpoint(run_dir / "checkpoints") / "model", "cpu")
    with torch.no_grad():
        want, got, base = (score(m, prompts, responses) for m in (lora, merged.eval(), tiny[0]))
    assert max(float((g - w).abs().max()) for g, w in zip(got, want)) < 1e-5
    assert max(float((w - b).abs().max()) for w, b in zip(want, base)) > 1e-3  # the adapter matters


def test_export_writes_the_requested_dtype_and_refuses_a_non_empty_folder(lora_run, tmp_path, capsys):
    run_dir, _, _ = lora_run
    out = tmp_path / "bf16"
    assert main(["export", "--checkpoint", str(run_dir), "--out", str(out), "--dtype", "bfloat16"]) == 0
    assert json.loads((out / "config.json").read_text())["dtype"] == "bfloat16"
    capsys.readouterr()
    assert main(["export", "--checkpoint", str(run_dir), "--out", str(out)]) == 2
    assert "is not empty" in capsys.readouterr().err


def test_eval_reads_a_lora_run(lora_run, tmp_path):
    run_dir, _, _ = lora_run
    out = tmp_path / "eval.json"
    assert main(["eval", "--checkpoint", str(run_dir), "--episodes", "2", "--out", str(out),
                 "run.progress=false"]) == 0
    assert json.loads(out.read_text())["episodes"] == 2
