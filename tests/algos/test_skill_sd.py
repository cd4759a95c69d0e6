"""Skill-SD importance-weighted reverse KL and the naive baselines (docs/algorithms.md §5).

The spec: L_SD = mean_k ρ_k·(e^{−ℓ_k} − 1 + ℓ_k), ℓ = logπ_θ − sg[logπ_T], ρ = π_θ/π_old with the
gradient flowing through ρ; its gradient is exactly ρ_k·ℓ_k·∇logπ_θ. The "naive sum" baselines
(unweighted k3, or ½ℓ²) are "the variants reported to collapse": they carry no importance weight.
"""

import math

import pytest
import torch

from siri.algos import naive_k3_sd_loss, naive_sq_sd_loss, skill_sd_loss


def _random(seed=0, shape=(3, 5)):
    g = torch.Generator().manual_seed(seed)
    logp = (-3 * torch.rand(shape, generator=g, dtype=torch.float64)).requires_grad_()
    old = logp.detach() + 0.3 * torch.randn(shape, generator=g, dtype=torch.float64)
    teacher = logp.detach() + torch.randn(shape, generator=g, dtype=torch.float64)
    mask = (torch.rand(shape, generator=g) > 0.3).to(torch.float64)
    mask[0, 0] = 1.0
    return logp, old, teacher, mask


def test_hand_values():
    # π_θ = 0.5, π_T = 0.25: ℓ = ln 2; e^{-ℓ} - 1 + ℓ = 0.5 - 1 + ln 2 = ln 2 - 0.5.
    logp = torch.tensor([[math.log(0.5)]], dtype=torch.float64)
    teacher = torch.tensor([[math.log(0.25)]], dtype=torch.float64)
    one = torch.ones(1, 1, dtype=torch.float64)
    loss, m = skill_sd_loss(logp, logp.clone(), teacher, one)  # π_old = π_θ -> ρ = 1
    assert loss.item() == pytest.approx(math.log(2) - 0.5, abs=1e-12)
    assert m["ell_mean"].item() == pytest.approx(math.log(2))
    loss2, m2 = skill_sd_loss(logp, teacher.clone(), teacher, one)  # π_old = 0.25 -> ρ = 2
    assert loss2.item() == pytest.approx(2 * (math.log(2) - 0.5), abs=1e-12)
    assert m2["rho_mean"].item() == pytest.approx(2.0)


def test_gradient_is_exactly_rho_times_ell():
    # Autograd vs the closed form: dL/dlogp_k = ρ_k·ℓ_k·mask_k / N, N = number of masked tokens.
    logp, old, teacher, mask = _random()
    loss, _ = skill_sd_loss(logp, old, teacher, mask)
    loss.backward()
    rho = torch.exp(logp.detach() - old)
    ell = logp.detach() - teacher
    torch.testing.assert_close(logp.grad, rho * ell * mask / mask.sum(), atol=1e-6, rtol=0)
    torch.testing.assert_close(logp.grad, rho * ell * mask / mask.sum(), atol=1e-14, rtol=1e-12)


def test_teacher_and_old_policy_get_no_gradient():
    logp, old, teacher, mask = _random(1)
    old.requires_grad_()
    teacher.requires_grad_()
    skill_sd_loss(logp, old, teacher, mask)[0].backward()
    assert old.grad is None and teacher.grad is None


def test_clamp_on_negative_ell_gives_no_gradient():
    # Three tokens, logp = 0, N = 3.
    #  k  teacher  old  ℓ = 0 − teacher         ρ = e^{0 − old}  value ρ·(e^{−ℓ} − 1 + ℓ)      gradient
    #  1  30       −1   −30, clamped to −20     e                e·(e^20 − 21)                 0 (clamp binds)
    #  2  20       0    −20, the bound itself   1                e^20 − 21                     ρ·ℓ = −20
    #  3  −ln 2    ln 2 ln 2                    ½                ½·(ln 2 − ½)                  ρ·ℓ = ½·ln 2
    # Token 1: torch.clamp cuts the ℓ path and ρ is detached there; before the fix the ρ path was left
    # and gave e·(e^20 − 21) ≈ 1.3e9, positive where ρ·ℓ is negative.
    logp = torch.zeros(1, 3, dtype=torch.float64, requires_grad=True)
    teacher = torch.tensor([[30.0, 20.0, -math.log(2)]], dtype=torch.float64)
    old = torch.tensor([[-1.0, 0.0, math.log(2)]], dtype=torch.float64)
    loss, m = skill_sd_loss(logp, old, teacher, torch.ones(1, 3, dtype=torch.float64))
    values = [math.e * (math.exp(20) - 21), math.exp(20) - 21, 0.5 * (math.log(2) - 0.5)]
    assert loss.item() == pytest.approx(sum(values) / 3, rel=1e-12)
    assert m["ell_mean"].item() == pytest.approx((-20 - 20 + math.log(2)) / 3, rel=1e-12)
    assert m["rho_mean"].item() == pytest.approx((math.e + 1 + 0.5) / 3, rel=1e-12)
    loss.backward()
    grad = logp.grad[0].tolist()
    assert grad[0] == 0.0
    # e^20·(1 − 1) cancels in float64 to within ~1e-7 of −20
    assert grad[1] == pytest.approx(-20 / 3, abs=1e-6)
    assert grad[2] == pytest.approx(0.5 * math.log(2) / 3, rel=1e-12)


def test_both_clamps_binding_give_no_gradient():
    # log ρ = 12 → 10 (ρ constant e^10) and ℓ = −30 → −20: value e^10·(e^20 − 21), gradient 0.
    logp = torch.zeros(1, 1, dtype=torch.float64, requires_grad=True)
    loss, _ = skill_sd_loss(logp, torch.full((1, 1), -12.0, dtype=torch.float64),
                            torch.full((1, 1), 30.0, dtype=torch.float64), torch.ones(1, 1, dtype=torch.float64))
    assert loss.item() == pytest.approx(math.exp(10) * (math.exp(20) - 21), rel=1e-12)
    loss.backward()
    assert logp.grad.item() == 0.0


def test_clamp_on_log_rho():
    # log ρ = 12 is clamped to 10: value e^10·(e^{-ℓ} - 1 + ℓ) with ℓ = ln 2 (teacher = logp - ln 2);
    # the ρ path is cut, so d/dlogp = e^10·(1 - e^{-ℓ}) = e^10·0.5.
    logp = torch.zeros(1, 1, dtype=torch.float64, requires_grad=True)
    old = torch.full((1, 1), -12.0, dtype=torch.float64)
    teacher = torch.full((1, 1), -math.log(2), dtype=torch.float64)
    loss, _ = skill_sd_loss(logp, old, teacher, torch.ones(1, 1, dtype=torch.float64))
    assert loss.item() == pytest.approx(math.exp(10) * (math.log(2) - 0.5), rel=1e-12)
    loss.backward()
    assert logp.grad.item() == pytest.approx(math.exp(10) * 0.5, rel=1e-12)


def test_naive_k3_gradient_is_one_minus_exp_minus_ell():
    """Naive k3 (no importance weight): k3(Δ) with Δ = logπ_T − logπ_θ = −ℓ is e^{−ℓ} + ℓ − 1, the same
    per-token value as L_SD at ρ = 1, but d/dlogπ_θ = 1 − e^{−ℓ}: not ℓ, so not the gradient of the
    reverse KL. One of the variants the Skill-SD paper reports to collapse."""
    logp, old, teacher, mask = _random(2)
    naive_k3_sd_loss(logp, teacher, mask).backward()
    ell = logp.detach() - teacher
    torch.testing.assert_close(logp.grad, (1 - torch.exp(-ell)) * mask / mask.sum(), atol=1e-12, rtol=0)
    # Same value as the importance-weighted loss when ρ = 1 (old = current).
    sd, _ = skill_sd_loss(logp.detach(), logp.detach(), teacher, mask)
    assert naive_k3_sd_loss(logp.detach(), teacher, mask).item() == pytest.approx(sd.item(), rel=1e-12)


def test_naive_sq_gradient_is_ell():
    """Naive ½ℓ²: gradient ℓ·∇logπ_θ with no importance weight (equal to L_SD's only while ρ = 1);
    also reported to collapse."""
    logp, old, teacher, mask = _random(3)
    loss = naive_sq_sd_loss(logp, teacher, mask)
    ell = logp.detach() - teacher
    assert loss.item() == pytest.approx((0.5 * ell**2 * mask).sum().item() / mask.sum().item(), rel=1e-12)
    loss.backward()
    torch.testing.assert_close(logp.grad, ell * mask / mask.sum(), atol=1e-12, rtol=0)
