"""Scoring against a naive reference: one unpadded sequence at a time, full forward, explicit softmax."""

from __future__ import annotations

import math

import pytest
import torch

from siri.policy.forward import entropy_from_logprobs, left_pad, logprobs_from_logits, position_ids_from_mask
from siri.policy.scoring import response_logprobs, score, score_with_entropy

PROMPTS = [[5, 9, 17, 3], [40], [7, 7, 7, 8, 9, 10, 11, 12, 13], [100, 101]]
RESPONSES = [[20, 21, 22], [30, 31, 32, 33, 34, 35], [50], []]


def naive(model, prompt, response, temperature=1.0):
    """log p(response | prompt) per token and entropies, from the unbatched full-sequence logits."""
    ids = torch.tensor([prompt + response])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0].double()
    lps, ents = [], []
    for k, tok in enumerate(response):
        row = logits[len(prompt) + k - 1] / temperature
        probs = torch.exp(row - row.max())
        probs = probs / probs.sum()
        lps.append(math.log(probs[tok].item()))
        ents.append(-(probs * probs.log()).sum().item())
    return torch.tensor(lps), torch.tensor(ents)


@pytest.mark.parametrize("temperature", [1.0, 0.6])
def test_score_matches_naive(tiny, temperature):
    model, _ = tiny
    with torch.no_grad():
        got, ents = score_with_entropy(model, PROMPTS, RESPONSES, temperature=temperature, batch_size=3)
    for p, r, lp, ent in zip(PROMPTS, RESPONSES, got, ents):
        ref_lp, ref_ent = naive(model, p, r, temperature)
        assert lp.shape == (len(r),)
        torch.testing.assert_close(lp.double(), ref_lp.double(), atol=1e-5, rtol=0)
        torch.testing.assert_close(ent.double(), ref_ent.double(), atol=1e-5, rtol=0)


def test_batch_size_does_not_matter(tiny):
    model, _ = tiny
    with torch.no_grad():
        one = score(model, PROMPTS, RESPONSES, batch_size=1)
        all_ = score(model, PROMPTS, RESPONSES, batch_size=16)
    for a, b in zip(one, all_):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_right_padding_equals_left_padding(tiny):
    model, _ = tiny
    seqs = [p + r for p, r in zip(PROMPTS[:3], RESPONSES[:3])]
    width = max(map(len, seqs))
    ids_l, mask_l = left_pad(seqs, 0, "cpu")
    ids_r = torch.zeros_like(ids_l)
    mask_r = torch.zeros_like(mask_l)
    resp_l = torch.zeros_like(mask_l)
    resp_r = torch.zeros_like(mask_l)
    for i, (s, r) in enumerate(zip(seqs, RESPONSES[:3])):
        ids_r[i, : len(s)] = torch.tensor(s)
        mask_r[i, : len(s)] = 1
        resp_r[i, len(s) - len(r) : len(s)] = 1
        resp_l[i, width - len(r) :] = 1
    with torch.no_grad():
        left = response_logprobs(model, ids_l, mask_l, resp_l)
        right = response_logprobs(model, ids_r, mask_r, resp_r)
    for i, r in enumerate(RESPONSES[:3]):
        a = left[i][resp_l[i].bool()]
        b = right[i][resp_r[i].bool()]
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
        assert a.shape == (len(r),)
    assert (left[~resp_l.bool()] == 0).all() and (right[~resp_r.bool()] == 0).all()


def test_grad_flows(tiny):
    model, _ = tiny
    lps = score(model, PROMPTS[:2], RESPONSES[:2])
    assert all(lp.requires_grad for lp in lps)
    sum(lp.sum() for lp in lps).backward()
    grad = model.model.embed_tokens.weight.grad
    assert grad is not None and grad.abs().sum() > 0
    model.zero_grad(set_to_none=True)


def test_no_grad_under_no_grad(tiny):
    model, _ = tiny
    with torch.no_grad():
        assert not score(model, PROMPTS[:1], RESPONSES[:1])[0].requires_grad


def test_bad_inputs(tiny):
    model, _ = tiny
    with pytest.raises(ValueError, match="prompts"):
        score(model, PROMPTS, RESPONSES[:2])
    with pytest.raises(ValueError, match="prompt"):
        score(model, [[]], [[1]])
    ids = torch.tensor([[1, 2]])
    with pytest.raises(ValueError, match="position 0"):
        response_logprobs(model, ids, torch.ones_like(ids), torch.ones_like(ids))


def test_pure_helpers():
    logits = torch.tensor([[2.0, 0.0, 0.0]])
    lp = logprobs_from_logits(logits, 2.0)
    z = math.exp(1.0) + 2
    torch.testing.assert_close(lp, torch.tensor([[1 - math.log(z), -math.log(z), -math.log(z)]]))
    # Temperature 0 (greedy) scores at temperature 1.
    torch.testing.assert_close(logprobs_from_logits(logits, 0.0), logprobs_from_logits(logits, 1.0))
    uniform = torch.log(torch.full((4,), 0.25))
    assert entropy_from_logprobs(uniform).item() == pytest.approx(math.log(4))
    ids, mask = left_pad([[1, 2, 3], [4]], 0, "cpu")
    assert ids.tolist() == [[1, 2, 3], [0, 0, 4]] and mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert position_ids_from_mask(mask).tolist() == [[0, 1, 2], [0, 0, 0]]
    assert position_ids_from_mask(torch.tensor([[1, 1, 0]])).tolist() == [[0, 1, 1]]
