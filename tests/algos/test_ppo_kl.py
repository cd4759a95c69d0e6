"""PPO-clip with dual clip, k3 KL and the entropy bonus (docs/algorithms.md §3), by hand."""

import math

import pytest
import torch

from siri.algos import AlgoError, entropy_bonus, kl_k3, kl_loss, ppo_clip_loss

# One row, seven tokens; old log-prob 0 so that logp = log(rho). eps = 0.2 both sides, c = 3.
#  k  rho  A    rho*A  clip(rho)*A  -min(..)      dual clip (A<0): min(l, -c*A)   clipped term taken?
#  1  1.1  2    2.2    2.2          -2.2          -                               no
#  2  1.5  1    1.5    1.2          -1.2          -                               yes
#  3  0.5  1    0.5    0.8          -0.5          -                               no
#  4  0.5  -1   -0.5   -0.8         0.8           min(0.8, 3) = 0.8               yes
#  5  1.5  -1   -1.5   -1.2         1.5           min(1.5, 3) = 1.5               no
#  6  4.0  -1   -4.0   -1.2         4.0           min(4.0, 3) = 3.0  (dual hit)   no
#  7  4.0  1    4.0    1.2          -1.2          -                               yes
RHO = [1.1, 1.5, 0.5, 0.5, 1.5, 4.0, 4.0]
ADV = [2.0, 1.0, 1.0, -1.0, -1.0, -1.0, 1.0]
PER_TOKEN = [-2.2, -1.2, -0.5, 0.8, 1.5, 3.0, -1.2]
# d(per-token loss)/d logp = -A*rho where the unclipped term is active, 0 where a clip binds.
GRAD = [-2.2, 0.0, -0.5, 0.0, 1.5, 0.0, 0.0]


def _case(dtype=torch.float64):
    logp = torch.tensor([[math.log(r) for r in RHO]], dtype=dtype, requires_grad=True)
    old = torch.zeros_like(logp)
    adv = torch.tensor([ADV], dtype=dtype)
    mask = torch.ones_like(adv)
    return logp, old, adv, mask


def test_ppo_clip_values_gradients_and_metrics():
    logp, old, adv, mask = _case()
    loss, m = ppo_clip_loss(logp, old, adv, mask)
    assert loss.item() == pytest.approx(sum(PER_TOKEN) / 7, abs=1e-12)  # = 0.2 / 7
    loss.backward()
    torch.testing.assert_close(logp.grad, torch.tensor([GRAD], dtype=torch.float64) / 7, atol=1e-12, rtol=0)
    assert m["clip_frac"].item() == pytest.approx(3 / 7)  # tokens 2, 4, 7
    assert m["dual_clip_frac"].item() == pytest.approx(1 / 7)  # token 6
    assert m["approx_kl"].item() == pytest.approx(-sum(math.log(r) for r in RHO) / 7)
    assert m["ratio_mean"].item() == pytest.approx(sum(RHO) / 7)


def test_without_dual_clip_token_6_costs_rho():
    logp, old, adv, mask = _case()
    loss, _ = ppo_clip_loss(logp, old, adv, mask, dual_clip=None)
    assert loss.item() == pytest.approx((sum(PER_TOKEN) - 3.0 + 4.0) / 7, abs=1e-12)


def test_asymmetric_clip():
    # rho = 1.5, A = 1 with clip_high 0.28: -min(1.5, 1.28) = -1.28; rho = 0.5, A = -1 with clip_low 0.1:
    # -min(-0.5, -0.9) = 0.9.
    logp = torch.log(torch.tensor([[1.5, 0.5]], dtype=torch.float64))
    loss, _ = ppo_clip_loss(logp, torch.zeros_like(logp), torch.tensor([[1.0, -1.0]], dtype=torch.float64),
                            torch.ones(1, 2, dtype=torch.float64), clip_low=0.1, clip_high=0.28)
    assert loss.item() == pytest.approx((-1.28 + 0.9) / 2, abs=1e-12)


def test_token_mean_over_masked_tokens_of_the_mini_batch():
    # Two rows; masked-out tokens hold huge values that must not count.
    # Row 0: rho 1.1, A 2 -> -2.2; rho 1, A 1 -> -1; masked. Row 1: rho 1, A -1 -> 1; masked; masked.
    # Token-mean over the 3 counted tokens: (-2.2 - 1 + 1) / 3 (not a mean of per-row means).
    logp = torch.log(torch.tensor([[1.1, 1.0, 50.0], [1.0, 50.0, 50.0]], dtype=torch.float64))
    adv = torch.tensor([[2.0, 1.0, 9.0], [-1.0, 9.0, 9.0]], dtype=torch.float64)
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=torch.float64)
    loss, _ = ppo_clip_loss(logp, torch.zeros_like(logp), adv, mask)
    assert loss.item() == pytest.approx(-2.2 / 3, abs=1e-12)
    # An explicit mini-batch denominator (gradient accumulation) replaces the local count.
    loss6, _ = ppo_clip_loss(logp, torch.zeros_like(logp), adv, mask, denom=6)
    assert loss6.item() == pytest.approx(-2.2 / 6, abs=1e-12)
    # A boolean mask means the same thing.
    loss_b, m_b = ppo_clip_loss(logp, torch.zeros_like(logp), adv, mask.bool())
    assert loss_b.item() == pytest.approx(-2.2 / 3, abs=1e-12)
    assert m_b["clip_frac"].item() == 0.0
    # An empty mask gives 0, not NaN.
    empty, _ = ppo_clip_loss(logp, torch.zeros_like(logp), adv, torch.zeros_like(mask))
    assert empty.item() == 0.0


def test_dual_clip_must_exceed_one():
    logp, old, adv, mask = _case()
    with pytest.raises(AlgoError, match="dual_clip must be > 1"):
        ppo_clip_loss(logp, old, adv, mask, dual_clip=0.5)


# k3 as verl's low_var_kl: Δ = ref − logp clamped to [−20, 20], k3 = e^Δ − Δ − 1 clamped to [−10, 10].
# With logp = 0, ref = Δ. d k3 / d logp = −(e^Δ − 1) = 1 − e^Δ where no clamp binds, else 0.
#   Δ        k3 before the k3 clamp      k3            gradient       which clamp binds
#   ln 2     2 − ln 2 − 1 = 1 − ln 2     1 − ln 2      1 − 2 = −1     none
#   0        0                           0             0              none
#   −ln 2    ½ + ln 2 − 1 = ln 2 − ½     ln 2 − ½      1 − ½ = ½      none
#   2        e² − 3 ≈ 4.389              e² − 3        1 − e²         none
#   −10      e^−10 + 9 ≈ 9.00005         e^−10 + 9     1 − e^−10      none (the old Δ clamp's edge)
#   3        e³ − 4 ≈ 16.09              10            0              k3
#   −12      e^−12 + 11 ≈ 11.00001       10            0              k3
#   25       Δ → 20: e^20 − 21 ≈ 4.9e8   10            0              Δ and k3
#   −25      Δ → −20: e^−20 + 19         10            0              Δ and k3
#   1000     Δ → 20 (e^1000 would be inf, and 0·inf = NaN in the backward pass)   10   0   Δ and k3
# The Δ clamp never binds alone: k3 already exceeds 10 at |Δ| = 20 (it reaches 10 at Δ ≈ 2.61 and
# Δ ≈ −11.0).
K3_DELTA = [math.log(2), 0.0, -math.log(2), 2.0, -10.0, 3.0, -12.0, 25.0, -25.0, 1000.0]
K3_VALUE = [1 - math.log(2), 0.0, math.log(2) - 0.5, math.exp(2) - 3, math.exp(-10) + 9,
            10.0, 10.0, 10.0, 10.0, 10.0]
K3_GRAD = [-1.0, 0.0, 0.5, 1 - math.exp(2), 1 - math.exp(-10), 0.0, 0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_k3_values_gradients_and_clamps(dtype):
    logp = torch.zeros(1, len(K3_DELTA), dtype=dtype, requires_grad=True)
    ref = torch.tensor([K3_DELTA], dtype=dtype)
    k3 = kl_k3(logp, ref)
    tol = {"atol": 1e-9, "rtol": 1e-12} if dtype == torch.float64 else {"atol": 1e-5, "rtol": 1e-6}
    torch.testing.assert_close(k3, torch.tensor([K3_VALUE], dtype=dtype), **tol)
    k3.sum().backward()
    torch.testing.assert_close(logp.grad, torch.tensor([K3_GRAD], dtype=dtype), **tol)


def test_k3_clamp_edges_pass_the_gradient():
    # At k3 = 10 exactly the clamp does not bind (torch.clamp keeps the gradient on its bounds).
    # Δ* with e^Δ* − Δ* − 1 = 10, found by bisection; the gradient there is 1 − e^Δ*.
    lo, hi = 2.0, 3.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.exp(mid) - mid - 1 < 10 else (lo, mid)
    logp = torch.tensor([[-lo + 1e-9, -lo - 1e-6]], dtype=torch.float64, requires_grad=True)  # Δ just inside, outside
    k3 = kl_k3(logp, torch.zeros_like(logp))
    assert k3[0, 0].item() < 10.0 and k3[0, 1].item() == 10.0
    k3.sum().backward()
    assert logp.grad[0, 0].item() == pytest.approx(1 - math.exp(lo), rel=1e-6)
    assert logp.grad[0, 1].item() == 0.0


def test_kl_loss_is_token_mean_and_reference_gets_no_gradient():
    logp = torch.zeros(1, 3, dtype=torch.float64)
    ref = torch.tensor([[math.log(2), 0.0, 7.0]], dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[1.0, 1.0, 0.0]], dtype=torch.float64)
    loss = kl_loss(logp.requires_grad_(), ref, mask)
    assert loss.item() == pytest.approx((1 - math.log(2)) / 2, abs=1e-12)
    loss.backward()
    assert ref.grad is None


def test_entropy_bonus_is_masked_token_mean():
    h = torch.tensor([[1.0, 2.0, 100.0], [3.0, 100.0, 100.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    assert entropy_bonus(h, mask).item() == pytest.approx(2.0)
