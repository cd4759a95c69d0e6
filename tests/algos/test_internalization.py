"""SIRI Phase 2 internalization weights and loss (docs/algorithms.md §4), by hand."""

import pytest
import torch

from siri.algos import AlgoError, internalization_loss, internalization_weights

# Five rows, three response tokens each.
ADV = torch.tensor([2.0, 0.5, -0.3, 0.7, 0.4])
INJECTED = torch.tensor([True, True, True, False, True])  # gate 1: row 3 had no skill
ACTIVE_POS = torch.tensor([True, True, True, True, False])  # gate 2: row 4's skill not active / U <= 0
ACTION = torch.tensor([[0, 1, 1], [1, 1, 0], [1, 1, 1], [1, 1, 1], [1, 1, 1]])  # gate 3: action tokens


def test_weights_clip_advantage_and_apply_each_gate():
    w = internalization_weights(ADV, INJECTED, ACTIVE_POS, ACTION)
    expected = torch.tensor([
        [0.0, 1.0, 1.0],  # clip(2.0, 0, 1) = 1 on action tokens only (gate 3)
        [0.5, 0.5, 0.0],  # clip(0.5) = 0.5
        [0.0, 0.0, 0.0],  # clip(-0.3) = 0
        [0.0, 0.0, 0.0],  # gate 1 fails
        [0.0, 0.0, 0.0],  # gate 2 fails
    ])
    torch.testing.assert_close(w, expected)


def test_cap_and_no_weighting_ablation():
    w2 = internalization_weights(ADV, INJECTED, ACTIVE_POS, ACTION, cap=2.0)
    assert w2[0].tolist() == [0.0, 2.0, 2.0]
    # w = 1 ablation: every gated token weighs 1, even where A <= 0 (row 2); gates still apply.
    w1 = internalization_weights(ADV, INJECTED, ACTIVE_POS, ACTION, weighting=False)
    expected = torch.tensor([[0, 1, 1], [1, 1, 0], [1, 1, 1], [0, 0, 0], [0, 0, 0]], dtype=torch.float32)
    torch.testing.assert_close(w1, expected)
    with pytest.raises(AlgoError, match="cap must be > 0"):
        internalization_weights(ADV, INJECTED, ACTIVE_POS, ACTION, cap=0.0)


def test_loss_divides_by_number_of_weighted_tokens():
    w = internalization_weights(ADV, INJECTED, ACTIVE_POS, ACTION)
    logp = (-torch.arange(1.0, 16.0).reshape(5, 3)).requires_grad_()  # -1 .. -15
    mask = torch.ones(5, 3)
    # Weighted tokens: (0,1) w=1 logp=-2, (0,2) w=1 logp=-3, (1,0) w=.5 logp=-4, (1,1) w=.5 logp=-5.
    # Σ w·logp = -2 - 3 - 2 - 2.5 = -9.5; four tokens with w > 0 -> L = 9.5 / 4 = 2.375
    # (not / 15 response tokens, not / Σw = 3).
    loss = internalization_loss(logp, w, mask)
    assert loss.item() == pytest.approx(2.375)
    loss.backward()
    torch.testing.assert_close(logp.grad, -w / 4)


def test_mask_excludes_tokens_and_empty_weights_give_zero():
    w = torch.tensor([[1.0, 1.0]])
    logp = torch.tensor([[-2.0, -8.0]], requires_grad=True)
    # The second token is outside the mask: it neither adds to the sum nor to the count.
    assert internalization_loss(logp, w, torch.tensor([[1.0, 0.0]])).item() == pytest.approx(2.0)
    # No token with w > 0: denominator max(0, 1) = 1 -> loss 0 and zero gradient, never NaN.
    zero = internalization_loss(logp, torch.zeros(1, 2), torch.ones(1, 2))
    assert zero.item() == 0.0
    zero.backward()
    assert torch.equal(logp.grad, torch.zeros(1, 2))


def test_weights_carry_no_gradient_to_the_advantage():
    adv = torch.tensor([0.5], requires_grad=True)
    w = internalization_weights(adv, torch.tensor([True]), torch.tensor([True]), torch.ones(1, 2))
    assert not w.requires_grad
