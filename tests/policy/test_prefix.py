"""Shared-prefix scoring (docs/algorithms.md §0 "Shared prompts"): the radix tree by hand, the length
chunks by hand, and log-probs, entropies and gradients against scoring every row alone."""

from __future__ import annotations

import random

import pytest
import torch

from siri.policy.prefix import build_tree, length_chunks, tree_logprobs
from siri.policy.scoring import score_with_entropy

from tests.policy.test_scoring import naive


def test_tree_by_hand():
    # rows 0-2 share [1,2,3,4]; rows 0 and 1 also share [5,6]; row 3 shares nothing; row 2 is a duplicate of 0.
    prompts = [[1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 8, 9], [1, 2, 3, 4, 5, 6, 7], [10, 11]]
    responses = [[20], [21, 22], [], [23]]
    tree = build_tree(prompts, responses, min_saving=1)
    # depth 0: the shared [1..6] run and row 3's leaf; depth 1: the leaves after it.
    shared = [n for n in tree.depths[0] if n.row < 0]
    assert [n.tokens for n in shared] == [[1, 2, 3, 4, 5, 6]]
    by_row = {n.row: n for nodes in tree.depths for n in nodes if n.row >= 0}
    assert by_row[3].tokens == [10, 11, 23] and by_row[3].parent == -1
    assert by_row[1].tokens == [8, 9, 21, 22] and by_row[1].response == 2
    # rows 0 and 2 share all of [1..7][:-1]: their leaves keep the last prompt token (it predicts the response).
    assert by_row[0].tokens == [7, 20] and by_row[2].tokens == [7]
    assert tree.tokens() == 6 + 3 + 4 + 2 + 1


def test_a_short_common_run_is_pushed_into_the_leaves():
    prompts = [[1, 2, 3, 9], [1, 2, 4, 9]]
    tree = build_tree(prompts, [[5], [6]], min_saving=3)  # sharing [1, 2] saves 2 < 3 positions
    assert len(tree.depths) == 1 and sorted(n.tokens for n in tree.depths[0]) == [[1, 2, 3, 9, 5], [1, 2, 4, 9, 6]]
    tree = build_tree(prompts, [[5], [6]], min_saving=2)
    assert [n.tokens for n in tree.depths[0]] == [[1, 2]]


def test_length_chunks_by_hand():
    # cost = rows x longest + 10 per batch. One batch: 4 x 100 + 10 = 410; {1,2,3} + {100}: 9 + 100 + 20 = 129.
    assert length_chunks([3, 100, 1, 2], 10) == [[2, 3, 0], [1]]
    assert length_chunks([3, 100, 1, 2], 1000) == [[2, 3, 0, 1]]  # a pass costs more than any padding
    assert length_chunks([5, 5, 5], 0) == [[0, 1, 2]]  # ties go to fewer passes
    assert length_chunks([], 10) == []


def shared_rows(tok, seed=0):
    """Three groups whose prompts share a long task prefix, duplicates, distinct histories, empty responses."""
    rng = random.Random(seed)
    words = ["go to", "take", "put", "open", "cabinet 1", "apple 2", "fridge", "countertop 3", "look"]
    prompts, responses = [], []
    for g in range(3):
        task = tok.encode(" ".join(rng.choice(words) for _ in range(30 + 10 * g)))
        for i in range(5):
            hist = tok.encode(" ".join(rng.choice(words) for _ in range(rng.randrange(1, 12)))) if i % 3 else []
            prompts.append(task + hist)
            responses.append(tok.encode("<action>" + rng.choice(words) + "</action>") if i != 4 else [])
    prompts.append(tok.encode("look"))
    responses.append(tok.encode("<action>look</action>"))
    return prompts, responses


@pytest.mark.parametrize("temperature", [1.0, 0.6])
def test_shared_scoring_equals_each_row_alone(tiny, temperature):
    model, tok = tiny
    prompts, responses = shared_rows(tok)
    assert len(build_tree(prompts, responses).depths) >= 2  # the rows do share prefixes
    with torch.no_grad():
        lps, ents = tree_logprobs(model, prompts, responses, temperature, with_entropy=True)
        batched, batched_ents = score_with_entropy(model, prompts, responses, temperature, batch_size=4,
                                                   share_prefixes=False)
    for p, r, lp, ent, b, be in zip(prompts, responses, lps, ents, batched, batched_ents):
        ref_lp, ref_ent = naive(model, p, r, temperature)
        assert lp.shape == (len(r),)
        torch.testing.assert_close(lp.double(), ref_lp.double(), atol=1e-5, rtol=0)
        torch.testing.assert_close(ent.double(), ref_ent.double(), atol=1e-5, rtol=0)
        torch.testing.assert_close(lp, b, atol=1e-5, rtol=0)
        torch.testing.assert_close(ent, be, atol=1e-5, rtol=0)


def test_shared_scoring_gradients_equal_each_row_alone(tiny_model_dir):
    from siri.policy.loading import load_policy

    model, tok = load_policy(tiny_model_dir, device="cpu")
    prompts, responses = shared_rows(tok, seed=1)
    weights = [torch.linspace(-1.0, 1.0, len(r)) for r in responses]

    def grads(share: bool) -> list[torch.Tensor]:
        model.zero_grad()
        if share:
            lps, ents = tree_logprobs(model, prompts, responses, with_entropy=True, min_saving=8, call_cost=16)
        else:
            lps, ents = [], []
            for p, r in zip(prompts, responses):  # one row at a time, no padding, no sharing
                lp, ent = score_with_entropy(model, [p], [r], batch_size=1, share_prefixes=False)
                lps.append(lp[0])
                ents.append(ent[0])
        loss = sum((lp * w).sum() + 0.1 * e.sum() for lp, e, w in zip(lps, ents, weights))
        loss.backward()
        return [q.grad.clone() for q in model.parameters()]

    alone, shared = grads(False), grads(True)
    worst = max((a - b).abs().max().item() for a, b in zip(alone, shared))
    scale = max(a.abs().max().item() for a in alone)
    assert scale > 1e-3 and worst <= 1e-5 * scale, (worst, scale)
