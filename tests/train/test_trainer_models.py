"""The models a Trainer builds: no frozen reference when `train.kl_coef` is 0 (and a clear error if a loss
asks for one), and a bfloat16, gradient-checkpointed run end to end (docs/architecture.md "Precision")."""

from __future__ import annotations

import json

import pytest
import torch

from siri.policy.loading import gradient_checkpointing_on
from siri.policy.precision import compute_dtype
from siri.train.loop import Trainer, check_reference, update_settings
from siri.train.checkpoint import MASTER
from siri.train.update import LossPlan
from siri.utils.errors import UserError


def test_no_reference_model_is_built_when_kl_coef_is_0(tiny_cfg, monkeypatch):
    def refuse(self):
        raise AssertionError("a reference copy was built")

    monkeypatch.setattr(Trainer, "_frozen_copy", refuse)
    trainer = Trainer(tiny_cfg("train.kl_coef=0"))
    assert trainer.ref is None
    trainer.run(stop_after=1)  # the method (GiGPO) does not ask for reference log-probs


def test_a_kl_coef_builds_a_frozen_copy(tiny_cfg):
    trainer = Trainer(tiny_cfg("train.kl_coef=0.05"))
    assert trainer.ref is not None and not trainer.ref.training
    assert all(not p.requires_grad for p in trainer.ref.parameters())
    assert all(p.data_ptr() != q.data_ptr() for p, q in zip(trainer.ref.parameters(), trainer.model.parameters()))


def test_a_term_that_reads_the_reference_without_one_is_a_one_line_error():
    with pytest.raises(UserError, match="loss term 'kl' reads reference log-probs.*train.kl_coef > 0") as err:
        check_reference(LossPlan({"pg": 1.0, "kl": 0.01}), has_reference=False)
    assert "\n" not in str(err.value)
    check_reference(LossPlan({"pg": 1.0, "kl": 0.0}), has_reference=False)  # an inactive term reads nothing
    check_reference(LossPlan({"pg": 1.0, "kl": 0.01}), has_reference=True)


def test_gradient_checkpointing_scores_update_rows_whole(tiny_cfg):
    assert update_settings(tiny_cfg()).share_prefixes
    assert not update_settings(tiny_cfg("model.gradient_checkpointing=true")).share_prefixes


def test_a_bfloat16_checkpointed_run_trains_float32_weights_and_saves_bfloat16(tiny_cfg):
    cfg = tiny_cfg("model.dtype=bfloat16", "model.gradient_checkpointing=true", "train.kl_coef=0.05",
                   "train.iterations=1")
    trainer = Trainer(cfg)
    assert compute_dtype(trainer.model) == compute_dtype(trainer.ref) == torch.bfloat16
    assert {p.dtype for p in trainer.model.parameters()} == {torch.float32}
    assert gradient_checkpointing_on(trainer.model)
    out = trainer.run()
    row = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert row["update/grad_norm"] > 0 and "update/kl/loss" in row
    ckpt = next((out / "checkpoints").glob("iter_*"))
    assert (ckpt / MASTER).is_file()
    assert json.loads((ckpt / "model" / "config.json").read_text())["dtype"] == "bfloat16"
