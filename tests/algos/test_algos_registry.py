"""Named loss terms and advantage estimators (docs/architecture.md: "the trainer is algorithm-blind")."""

import math

import numpy as np
import pytest
import torch

from siri.algos import AlgoError, get_advantage, get_loss, loss_names, register_loss, sum_losses
from siri.algos import registry


def _batch():
    # One row, two tokens, ρ = 1 (logp = old = 0).
    # pg: A = +1 -> -1, A = -1 -> +1: token-mean 0.
    # kl: Δ = ln 2 -> 1 - ln 2, Δ = 0 -> 0: token-mean (1 - ln 2)/2.
    # entropy: H = 2, 4 -> mean 3; the term is -3.
    return {
        "response_mask": torch.ones(1, 2, dtype=torch.float64),
        "advantages": torch.tensor([[1.0, -1.0]], dtype=torch.float64),
        "old_logprobs": torch.zeros(1, 2, dtype=torch.float64),
        "ref_logprobs": torch.tensor([[math.log(2), 0.0]], dtype=torch.float64),
        "int_weights": torch.tensor([[1.0, 0.0]], dtype=torch.float64),
    }


def test_builtin_names_and_fields():
    assert {"pg", "kl", "entropy", "internalization", "skill_sd", "naive_k3_sd", "naive_sq_sd"} <= set(loss_names())
    assert get_loss("skill_sd").fields == ("old_logprobs", "teacher_logprobs")
    assert get_loss("internalization").view == "plain"
    assert (get_loss("pg").coef, get_loss("kl").coef, get_loss("entropy").coef, get_loss("skill_sd").coef) == (1.0, 0.01, 0.001, 0.1)


def test_sum_losses_uses_default_coefficients():
    logp = torch.zeros(1, 2, dtype=torch.float64, requires_grad=True)
    entropy = torch.tensor([[2.0, 4.0]], dtype=torch.float64)
    total, m = sum_losses({"pg": None, "kl": None, "entropy": None}, _batch(), {"sampled": logp}, entropy)
    assert total.item() == pytest.approx(0.0 + 0.01 * (1 - math.log(2)) / 2 - 0.001 * 3.0, abs=1e-12)
    assert m["kl/loss"].item() == pytest.approx((1 - math.log(2)) / 2)
    assert m["entropy/entropy"].item() == pytest.approx(3.0)
    assert "pg/clip_frac" in m


def test_sum_losses_overrides_coefficients_and_skips_zero():
    logp = torch.zeros(1, 2, dtype=torch.float64)
    # entropy at coef 0 is skipped, so no entropies are needed.
    total, m = sum_losses({"kl": 2.0, "entropy": 0.0}, _batch(), {"sampled": logp})
    assert total.item() == pytest.approx(2.0 * (1 - math.log(2)) / 2)
    assert not any(k.startswith("entropy/") for k in m)


def test_internalization_reads_the_plain_view():
    sampled = torch.zeros(1, 2, dtype=torch.float64)
    plain = torch.tensor([[-3.0, -5.0]], dtype=torch.float64)
    # w = [1, 0]: L_int = -(1 * -3) / 1 = 3, computed on the plain-prompt log-probs.
    total, m = sum_losses({"internalization": 0.5}, _batch(), {"sampled": sampled, "plain": plain})
    assert total.item() == pytest.approx(1.5)
    assert m["internalization/weighted_tokens"].item() == 1.0
    with pytest.raises(AlgoError, match="'plain' view"):
        sum_losses({"internalization": 0.5}, _batch(), {"sampled": sampled})


def test_per_term_mask_field_and_params():
    batch = {**_batch(), "pg_mask": torch.tensor([[1.0, 0.0]], dtype=torch.float64)}
    logp = torch.zeros(1, 2, dtype=torch.float64)
    # Only the first token (A = +1, ρ = 1) counts: -1.
    total, _ = sum_losses({"pg": None}, batch, {"sampled": logp}, mask_fields={"pg": "pg_mask"})
    assert total.item() == pytest.approx(-1.0)
    # denom passed through params: -1 / 4.
    total, _ = sum_losses({"pg": None}, batch, {"sampled": logp}, params={"pg": {"denom": 4}},
                          mask_fields={"pg": "pg_mask"})
    assert total.item() == pytest.approx(-0.25)


def test_clear_errors():
    logp = {"sampled": torch.zeros(1, 2)}
    with pytest.raises(AlgoError, match=r"needs batch fields \['teacher_logprobs'\]"):
        sum_losses({"skill_sd": None}, _batch(), logp)
    with pytest.raises(AlgoError, match="unknown loss 'ppo'; allowed: .*pg"):
        get_loss("ppo")
    with pytest.raises(AlgoError, match="needs per-token entropies"):
        sum_losses({"entropy": None}, _batch(), logp)
    with pytest.raises(AlgoError, match="non-zero coefficient"):
        sum_losses({"kl": 0.0}, _batch(), logp)
    with pytest.raises(AlgoError, match="unknown view"):
        register_loss("x", fields=(), coef=1.0, view="teacher")


def test_register_a_new_loss(monkeypatch):
    monkeypatch.setattr(registry, "_LOSSES", dict(registry._LOSSES))

    @register_loss("double_logp", fields=(), coef=1.0)
    def double_logp(batch, logp, entropy, mask, **kw):
        return -(2 * logp * mask).sum(), {}

    total, _ = sum_losses({"double_logp": 0.5}, _batch(), {"sampled": torch.full((1, 2), -1.0, dtype=torch.float64)})
    assert total.item() == pytest.approx(2.0)
    with pytest.raises(AlgoError, match="already registered"):
        register_loss("double_logp", fields=(), coef=1.0)(double_logp)


ROWS = {
    "group_id": ["g"] * 6,
    "traj_id": ["A", "A", "A", "B", "B", "B"],
    "t": [0, 1, 2, 0, 1, 2],
    "reward": [0, 0, 1, 0, 0, 0],
    "valid": [True, True, True, True, False, True],
    "anchor": ["x", "y", "z", "x", "y", "x"],
}


def test_advantage_estimators_by_name():
    # GRPO on rows: trajectory totals A = 1, B = 0 -> mean_norm A = +-0.5 on every row of each trajectory.
    out = get_advantage("grpo")(ROWS, mode="mean_norm")
    np.testing.assert_allclose(out.advantages, [0.5] * 3 + [-0.5] * 3)
    # GiGPO (the running example of test_gigpo.py): step groups of sizes 3, 2, 1 -> mean size 2.
    gi = get_advantage("gigpo")(ROWS, mode="mean_norm")
    assert gi.metrics["mean_step_group_size"] == 2.0
    assert gi.metrics["singleton_step_group_frac"] == pytest.approx(1 / 3)
    assert gi.advantages[2] == pytest.approx(31 / 60)  # A2: A^E = 1 - 29/60, singleton step group
    with pytest.raises(AlgoError, match="unknown advantage estimator 'ppo'; allowed: gigpo, grpo"):
        get_advantage("ppo")
    with pytest.raises(AlgoError, match=r"lack fields \['anchor'\]"):
        get_advantage("gigpo")({k: v for k, v in ROWS.items() if k != "anchor"})
