"""SFT training: batching, schedule, the response-only loss, learning, determinism, and `siri sft`."""

from __future__ import annotations

import json
import math

import pytest
import torch
import yaml
from safetensors.torch import load_file

from siri.cli import main
from siri.config import SFTConfig, load_config
from siri.policy.loading import load_policy
from siri.sft.run import run_sft
from siri.sft.data import SFTExample, builder_kinds
from siri.sft.loop import (collate, epoch_batches, lr_factor, nll_loss, nll_terms, prompt_token_mask,
                                 train_sft)
from siri.utils.metrics import read_metrics


def small_cfg(tiny_model_dir, out_dir, *extra: str):
    return load_config(None, [
        f"model.path={tiny_model_dir}", f"run.out_dir={out_dir}", "run.name=sft", "run.device=cpu",
        "run.progress=false", "env.name=household", "env.max_steps=20", "sft.episodes=2", "sft.epochs=1",
        "sft.batch_size=8", *extra,
    ])


def test_lr_factor_by_hand():
    # warmup 2 of 10 steps: (s+1)/2 during warmup, then 0.5(1+cos(pi (s-2)/8)).
    assert lr_factor(0, 10, 2, "cosine") == 0.5
    assert lr_factor(1, 10, 2, "cosine") == 1.0
    assert lr_factor(2, 10, 2, "cosine") == 1.0
    assert lr_factor(6, 10, 2, "cosine") == pytest.approx(0.5)
    assert lr_factor(9, 10, 2, "cosine") == pytest.approx(0.5 * (1 + math.cos(math.pi * 7 / 8)))
    assert lr_factor(7, 10, 0, "constant") == 1.0


def test_epoch_batches_cover_every_example_once_and_are_seeded():
    lengths = [5, 50, 7, 300, 12, 40, 41, 3, 99, 100, 1]
    a = epoch_batches(lengths, 4, seed=0, epoch=0)
    assert sorted(i for b in a for i in b) == list(range(11))
    assert sorted(len(b) for b in a) == [3, 4, 4]
    assert a == epoch_batches(lengths, 4, seed=0, epoch=0)
    assert a != epoch_batches(lengths, 4, seed=0, epoch=1)
    for b in a:  # sorted by length inside a batch (one window holds all 11 here)
        assert [lengths[i] for i in b] == sorted(lengths[i] for i in b)


def test_collate_left_pads_and_masks_the_response():
    batch = collate([SFTExample([5, 6, 7], [8, 9], "demo"), SFTExample([5], [9], "demo")], "cpu", pad_id=0)
    assert batch.ids.tolist() == [[5, 6, 7, 8, 9], [0, 0, 0, 5, 9]]
    assert batch.mask.tolist() == [[1, 1, 1, 1, 1], [0, 0, 0, 1, 1]]
    assert batch.response_mask.tolist() == [[0, 0, 0, 1, 1], [0, 0, 0, 0, 1]]
    assert batch.tokens == 3


def test_nll_loss_is_the_mean_response_token_nll(tiny_model_dir):
    model, _ = load_policy(tiny_model_dir, device="cpu")
    examples = [SFTExample([11, 12, 13, 14], [20, 21, 22], "demo"), SFTExample([15, 16], [23], "demo")]
    with torch.no_grad():
        got = float(nll_loss(model, collate(examples, "cpu")))
        nll = []
        for e in examples:  # plain unpadded forward per example
            ids = torch.tensor([e.prompt_ids + e.response_ids])
            lp = torch.log_softmax(model(input_ids=ids).logits[0].float(), -1)
            p = len(e.prompt_ids)
            nll += [-float(lp[p + k - 1, tok]) for k, tok in enumerate(e.response_ids)]
    assert got == pytest.approx(sum(nll) / len(nll), abs=1e-4)


def test_nll_terms_split_prompt_and_response_tokens(tiny_model_dir):
    model, _ = load_policy(tiny_model_dir, device="cpu")
    examples = [SFTExample([11, 12, 13, 14], [20, 21], "demo"), SFTExample([15, 16], [23], "demo")]
    batch = collate(examples, "cpu")
    # row 2 is [pad, pad, pad, 15, 16, 23]: only 16 is a prompt token with context
    assert prompt_token_mask(batch).tolist() == [[0, 1, 1, 1, 0, 0], [0, 0, 0, 0, 1, 0]]
    with torch.no_grad():
        resp, prompt = nll_terms(model, batch)
        nll_r, nll_p = [], []
        for e in examples:
            seq = e.prompt_ids + e.response_ids
            lp = torch.log_softmax(model(input_ids=torch.tensor([seq])).logits[0].float(), -1)
            for k in range(1, len(seq)):
                (nll_r if k >= len(e.prompt_ids) else nll_p).append(-float(lp[k - 1, seq[k]]))
        assert float(resp) == pytest.approx(sum(nll_r) / 3, abs=1e-4)
        assert float(prompt) == pytest.approx(sum(nll_p) / 4, abs=1e-4)
        assert float(resp) == pytest.approx(float(nll_loss(model, batch)), abs=1e-5)


def test_a_few_steps_reduce_the_loss_on_a_batch(tiny_model_dir, tmp_path):
    from siri.sft.data import build_examples

    model, tok = load_policy(tiny_model_dir, device="cpu")
    cfg = small_cfg(tiny_model_dir, tmp_path, "sft.noise=0", "sft.episodes=1")
    examples = build_examples(cfg, tok).examples[:6]
    batch = collate(examples, "cpu")
    with torch.no_grad():
        before = float(nll_loss(model, batch))
    sft = SFTConfig(epochs=8, batch_size=6, lr=3e-3, warmup_ratio=0.0, lr_schedule="constant")
    rows: list[dict] = []
    stats = train_sft(model, examples, sft, seed=0, log=rows.append)
    with torch.no_grad():
        after = float(nll_loss(model, batch))
    assert stats.steps == 8 and stats.epochs == 8
    assert before > 0.8 * math.log(len(tok))  # near ln(vocab) at random init
    assert after < before - 2.0
    assert [r["event"] for r in rows] == ["epoch"] * 8
    assert rows[-1]["tokens"] == sum(len(e.response_ids) for e in examples)
    assert not model.training  # handed back in eval mode


def test_same_config_same_weights(tiny_model_dir, tmp_path):
    a = run_sft(small_cfg(tiny_model_dir, tmp_path / "a", "sft.noise=0.3"), echo=lambda s: None)
    b = run_sft(small_cfg(tiny_model_dir, tmp_path / "b", "sft.noise=0.3"), echo=lambda s: None)
    wa, wb = load_file(a / "model.safetensors"), load_file(b / "model.safetensors")
    base = load_file(tiny_model_dir / "model.safetensors")
    assert wa.keys() == wb.keys()
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert any(not torch.equal(wa[k], base[k]) for k in wa)


def test_command_end_to_end(tiny_model_dir, tmp_path, capsys):
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text(yaml.safe_dump({"model": {"path": str(tiny_model_dir)}, "env": {"max_steps": 20},
                                        "sft": {"episodes": 2, "epochs": 2, "batch_size": 8, "log_every": 1,
                                                "prompt_loss_weight": 0.5}}))
    out_model = tmp_path / "warm"
    rc = main(["sft", "--config", str(cfg_file), "--quiet", f"run.out_dir={tmp_path}", "run.name=r",
               "run.device=cpu", f"sft.out={out_model}"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert f"wrote warm-started model to {out_model}" in printed
    run_dir = tmp_path / "r"
    saved = load_config(run_dir / "config.yaml")
    assert saved.sft.episodes == 2 and saved.sft.out == str(out_model) and saved.run.progress is False
    rows = read_metrics(run_dir / "metrics.jsonl")
    events = [r["event"] for r in rows]
    assert events[0] == "data" and events[-1] == "done" and events.count("epoch") == 2
    steps = [r for r in rows if r["event"] == "step"]
    assert len(steps) == rows[-1]["steps"] and all(r["phase"] == "sft" for r in rows)
    assert rows[0]["demo/episodes"] == 2 and rows[0]["examples"] > 0
    assert all(r["loss"] > 0 and r["prompt_loss"] > 0 and r["tokens"] > 0 and r["time_s"] >= 0 for r in steps)
    model, tok = load_policy(out_model, device="cpu")
    assert model.config.model_type == "qwen2" and tok.chat_template
    assert not (run_dir / "model").exists()
    json.dumps(rows)


def test_command_errors_are_one_line(tiny_model_dir, tmp_path, capsys):
    rc = main(["sft", f"run.out_dir={tmp_path}", f"model.path={tiny_model_dir}", "sft.kinds=[demos]"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err == f"siri sft: error: unknown SFT example kind 'demos'; allowed: {', '.join(builder_kinds())}\n"
    assert not (tmp_path / "run").exists()  # failed before any work
    rc = main(["sft", "sft.epochs=0"])
    assert rc == 2 and "sft.epochs" in capsys.readouterr().err


def test_bfloat16_sft_trains_float32_weights_and_writes_a_bfloat16_model(tiny_model_dir, tmp_path, monkeypatch):
    """model.dtype=bfloat16: the weights trained are float32 masters; the warm-started model is written in
    bfloat16 (docs/architecture.md "Precision")."""
    import siri.sft.run as sft_run

    trained = []

    def spy(model, *args, **kwargs):
        trained.append({p.dtype for p in model.parameters()})
        return train_sft(model, *args, **kwargs)

    monkeypatch.setattr(sft_run, "train_sft", spy)
    cfg = small_cfg(tiny_model_dir, tmp_path, "model.dtype=bfloat16", "sft.episodes=1", "sft.max_steps=3")
    out = run_sft(cfg, echo=lambda s: None)
    assert trained == [{torch.float32}]
    weights = load_file(out / "model.safetensors")
    assert {t.dtype for t in weights.values()} == {torch.bfloat16}
    assert json.loads((out / "config.json").read_text())["dtype"] == "bfloat16"
    base = load_file(tiny_model_dir / "model.safetensors")
    assert any(not torch.equal(weights[k], base[k].to(torch.bfloat16)) for k in weights)
