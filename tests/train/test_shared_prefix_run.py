"""`train.share_prefixes` changes how much is computed, not what: two runs that differ only in it log the
same metrics and end with the same weights (float tolerance), for GiGPO with a KL reference (reference
scoring and the update both share prefixes) on household prompts, whose rows share long task prefixes."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from siri.train.loop import Trainer


def run(tiny_cfg, share: bool):
    cfg = tiny_cfg("env.name=household", "env.max_steps=3", "algo.name=gigpo", "train.kl_coef=0.05",
                   "train.entropy_coef=0.01", "train.group_size=4", f"train.share_prefixes={str(share).lower()}",
                   f"run.name=share_{share}")
    out = Trainer(cfg).run()
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    weights = load_file(str(next((out / "checkpoints").glob("*/model/model.safetensors"))))
    return rows, weights


def test_sharing_prefixes_gives_the_same_run(tiny_cfg, tiny_model_dir):
    (rows_a, w_a), (rows_b, w_b) = run(tiny_cfg, True), run(tiny_cfg, False)
    assert len(rows_a) == len(rows_b) == 2
    for a, b in zip(rows_a, rows_b):
        keys = [k for k in a if not k.startswith("time/")]
        assert keys == [k for k in b if not k.startswith("time/")]
        for k in keys:
            if isinstance(a[k], float):
                assert a[k] == pytest.approx(b[k], rel=1e-3, abs=1e-5), k
            else:
                assert a[k] == b[k], k
        assert a["update/kl/loss"] != 0.0  # the reference was scored and used
    # Adam divides each gradient by its running scale, so entries whose gradient is ~0 turn float noise into
    # steps of up to lr: compare the runs' difference with the training's own movement, not entry by entry.
    w_0 = load_file(str(tiny_model_dir / "model.safetensors"))
    assert w_a.keys() == w_b.keys()
    flat = {k: torch.cat([w[n].flatten() for n in sorted(w_a)]) for k, w in (("a", w_a), ("b", w_b), ("0", w_0))}
    moved = (flat["a"] - flat["0"]).norm()
    assert moved > 0.1 and (flat["a"] - flat["b"]).norm() <= 1e-3 * moved
