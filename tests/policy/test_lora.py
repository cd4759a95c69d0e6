"""LoRA adapters (docs/architecture.md "LoRA"): the config, what is trainable, the reference as the base
with its adapters off, and the precision of base and adapters."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from siri.algos.registry import ADVANTAGES, OLD_LOGPROBS
from siri.config import ModelConfig, load_config
from siri.policy.lora import attach_lora, base_only, is_lora, load_lora_trainable, trainable_parameters
from siri.policy.loading import load_policy
from siri.policy.precision import compute_dtype
from siri.policy.scoring import score
from siri.train.batch import TrainRow
from siri.train.update import LossPlan, UpdateSettings, policy_update
from siri.utils.errors import UserError

QWEN2_LINEARS = "down_proj, gate_proj, k_proj, o_proj, q_proj, up_proj, v_proj"


def lora_policy(model_dir, rank: int = 4, **fields):
    return load_lora_trainable(ModelConfig(path=str(model_dir), lora_rank=rank, **fields), "cpu")


def texts(tok):
    prompts = [tok.encode("push every box onto a target"), tok.encode("You are in the middle of a room.")]
    responses = [tok.encode("<action>up</action>"), tok.encode("<action>go to countertop 1</action>")]
    return prompts, responses


def update(model, tok, steps: int, lr: float = 1e-2) -> None:
    prompts, responses = texts(tok)
    with torch.no_grad():
        old = score(model, prompts, responses)
    rows = [TrainRow({"sampled": p}, r, {ADVANTAGES: [a] * len(r), OLD_LOGPROBS: lp.tolist()})
            for p, r, lp, a in zip(prompts, responses, old, (1.0, -1.0))]
    opt = torch.optim.AdamW(trainable_parameters(model), lr=lr)
    for _ in range(steps):
        policy_update(model, opt, rows, LossPlan({"pg": 1.0}), UpdateSettings(), tok.pad_token_id)


def test_rank_0_is_off_and_bad_values_are_one_line():
    assert ModelConfig().lora_rank == 0 and ModelConfig().lora_alpha == 16
    assert ModelConfig().lora_target_modules == "all-linear"
    assert load_config(None, ["model.lora_target_modules=[q_proj, v_proj]"]).model.lora_target_modules == ["q_proj",
                                                                                                           "v_proj"]
    for bad, words in [("model.lora_rank=-1", "greater than or equal to 0"), ("model.lora_alpha=0", "greater than 0"),
                       ("model.lora_target_modules=attention", "'all-linear' or a list"),
                       ("model.lora_target_modules=[]", "non-empty list")]:
        with pytest.raises(UserError, match=words):
            load_config(None, [bad])


def test_rank_0_trains_the_plain_model(tiny_cfg):
    from siri.train.loop import load_trainable

    model, _ = load_trainable(tiny_cfg())
    assert not is_lora(model) and all(p.requires_grad for p in model.parameters())


def test_unknown_target_names_fail_at_load_naming_the_model_layers(tiny_model_dir):
    with pytest.raises(UserError) as err:
        lora_policy(tiny_model_dir, lora_target_modules=["q_proj", "attn"])
    # every linear layer of a Qwen2 decoder layer; lm_head (the output head) is not a target
    assert str(err.value) == ("model.lora_target_modules: 'attn' is not a linear layer of this model; "
                              f"allowed: all-linear, {QWEN2_LINEARS}")


def test_only_the_adapters_are_trainable(tiny_model_dir):
    model, _ = lora_policy(tiny_model_dir, rank=4)
    trainable = dict((n, p) for n, p in model.named_parameters() if p.requires_grad)
    assert trainable and all(".lora_A." in n or ".lora_B." in n for n in trainable)
    # A is r x in, B is out x r: r (in + out) per layer. Tiny preset: hidden 128, 4 heads of 32, 2 kv heads,
    # intermediate 384. q, o: 4 (128 + 128) = 1024; k, v: 4 (128 + 64) = 768; gate, up, down: 4 (128 + 384)
    # = 2048. Per decoder layer 2 * 1024 + 2 * 768 + 3 * 2048 = 9728; 4 layers: 38912.
    assert sum(p.numel() for p in trainable.values()) == 38912
    q_v, _ = lora_policy(tiny_model_dir, rank=4, lora_target_modules=["q_proj", "v_proj"])
    assert sum(p.numel() for p in trainable_parameters(q_v)) == 4 * (1024 + 768)


def test_the_trainer_steps_only_the_adapters(tiny_cfg):
    from siri.train.loop import Trainer

    trainer = Trainer(tiny_cfg("model.lora_rank=4", "train.kl_coef=0.01"))
    stepped = [p for g in trainer.optimizer.param_groups for p in g["params"]]
    assert sum(p.numel() for p in stepped) == 38912
    assert trainer.ref is trainer.model  # no second model: the reference is the base under base_only


def test_reference_with_adapters_off_is_exactly_the_base_model(tiny, tiny_model_dir):
    base, tok = tiny
    model, _ = lora_policy(tiny_model_dir)
    torch.manual_seed(0)
    for name, p in model.named_parameters():
        if ".lora_B." in name:  # B starts at zero; make the adapters change the outputs
            p.data.normal_(0.0, 0.5)
    prompts, responses = texts(tok)
    with torch.no_grad():
        want = score(base, prompts, responses)
        with base_only(model):
            ref = score(model, prompts, responses)
        on = score(model, prompts, responses)
    assert all(torch.equal(r, w) for r, w in zip(ref, want))
    assert max(float((o - w).abs().max()) for o, w in zip(on, want)) > 1e-2


def test_a_lora_update_moves_the_policy_and_leaves_the_reference(tiny, tiny_model_dir):
    base, tok = tiny
    model, _ = lora_policy(tiny_model_dir)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    update(model, tok, steps=3)
    assert all(torch.equal(p, frozen[n]) for n, p in model.named_parameters() if not p.requires_grad)
    prompts, responses = texts(tok)
    with torch.no_grad():
        want = score(base, prompts, responses)
        with base_only(model):
            ref = score(model, prompts, responses)
        now = score(model, prompts, responses)
    assert all(torch.equal(r, w) for r, w in zip(ref, want))
    assert float(now[0].sum() - want[0].sum()) > 0.1  # advantage +1: its log-prob rose
    assert float(now[1].sum() - want[1].sum()) < -0.1  # advantage -1: fell


def test_bfloat16_base_with_float32_adapters_computes_in_bfloat16(tiny_model_dir):
    model, tok = lora_policy(tiny_model_dir, dtype="bfloat16")
    assert {p.dtype for p in model.parameters() if not p.requires_grad} == {torch.bfloat16}
    assert {p.dtype for p in trainable_parameters(model)} == {torch.float32}
    assert compute_dtype(model) == torch.bfloat16
    layer = model.get_base_model().model.layers[0].mlp.down_proj
    seen = []
    hook = layer.register_forward_hook(lambda m, i, out: seen.append(out.dtype))
    update(model, tok, steps=1)
    hook.remove()
    assert seen and set(seen) == {torch.bfloat16}
    assert all(p.grad is None or p.grad.dtype == torch.float32 for p in trainable_parameters(model))
    off, _ = lora_policy(tiny_model_dir, dtype="bfloat16", master_weights=False)
    assert {p.dtype for p in off.parameters()} == {torch.bfloat16}


def test_a_lora_model_cannot_take_a_second_adapter(tiny_model_dir):
    model, _ = lora_policy(tiny_model_dir)
    with pytest.raises(UserError, match="is a LoRA adapter"):
        attach_lora(model, 4, 16, "all-linear", torch.float32)


def test_without_peft_lora_is_one_line_before_the_run_starts(tiny_cfg, monkeypatch):
    from siri.train.loop import Trainer

    find = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "peft" else find(name, *a))
    cfg = tiny_cfg("model.lora_rank=4")
    with pytest.raises(UserError, match=r"model.lora_rank > 0 needs the peft package: pip install 'siri-rl\[peft\]'"):
        Trainer(cfg)
    assert not cfg.run_dir.exists()


def test_sampling_and_scoring_a_lora_model_raise_no_deprecation_warning(tiny_model_dir):
    """The cache keyword is found through the wrapper (`siri.policy.forward.forward_class`)."""
    import warnings

    from siri.policy.sampling import sample

    model, tok = lora_policy(tiny_model_dir)
    prompts, responses = texts(tok)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        sample(model, prompts, max_new_tokens=3, tokenizer=tok, seed=0)
        with torch.no_grad():
            score(model, prompts, responses)
