"""`siri.policy.precision`: which models autocast, casting for saving keeps tied weights tied, and the
master-weights file refuses weights that do not fit (docs/architecture.md "Precision")."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from siri.policy.loading import load_policy
from siri.policy.precision import (autocast, cast_state_dict, compute_dtype, has_master_weights, load_master,
                                   save_master, set_compute_dtype)


def test_only_a_model_with_master_weights_autocasts(tiny, tiny_model_dir):
    model, tok = tiny
    ids = torch.tensor([tok.encode("push every box onto a target")])
    mixed, _ = load_policy(tiny_model_dir, "cpu", "bfloat16", master_weights=True)
    half, _ = load_policy(tiny_model_dir, "cpu", "bfloat16")
    with torch.no_grad():
        for m, weights, computes in ((model, torch.float32, torch.float32), (mixed, torch.float32, torch.bfloat16),
                                     (half, torch.bfloat16, torch.bfloat16)):
            with autocast(m):
                logits = m(input_ids=ids).logits
            assert next(m.parameters()).dtype == weights and logits.dtype == computes == compute_dtype(m)
    assert has_master_weights(mixed) and not has_master_weights(model) and not has_master_weights(half)


def test_setting_float32_removes_the_mark(tiny_model_dir):
    mixed, _ = load_policy(tiny_model_dir, "cpu", "bfloat16", master_weights=True)
    set_compute_dtype(mixed, torch.float32)
    assert not has_master_weights(mixed) and isinstance(autocast(mixed), type(autocast(torch.nn.Linear(1, 1))))


def test_casting_keeps_tied_embeddings_one_tensor(tiny):
    model, _ = tiny
    assert model.config.tie_word_embeddings
    sd = cast_state_dict(model, torch.bfloat16)
    assert sd["lm_head.weight"] is sd["model.embed_tokens.weight"]
    assert {t.dtype for t in sd.values() if t.is_floating_point()} == {torch.bfloat16}
    assert torch.equal(sd["model.norm.weight"], model.model.norm.weight.detach().to(torch.bfloat16))


def test_master_file_round_trip_and_misfit(tiny_model_dir, tmp_path):
    a, _ = load_policy(tiny_model_dir, "cpu", "bfloat16", master_weights=True)
    with torch.no_grad():
        a.model.norm.weight.add_(1e-4)  # a value bfloat16 cannot hold exactly
    save_master(a, tmp_path / "m.safetensors")
    b, _ = load_policy(tiny_model_dir, "cpu", "bfloat16", master_weights=True)
    load_master(b, tmp_path / "m.safetensors")
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    save_file({"model.norm.weight": torch.zeros(3)}, str(tmp_path / "bad.safetensors"))
    with pytest.raises(ValueError, match="do not fit") as err:
        load_master(b, tmp_path / "bad.safetensors")
    assert "\n" not in str(err.value)
