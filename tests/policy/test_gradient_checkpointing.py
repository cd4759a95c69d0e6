"""`model.gradient_checkpointing`: the same gradients as without it (RL update and SFT loss), the layers
really recompute, and sampling and no-grad scoring (key/value caches, shared prefixes) still work."""

from __future__ import annotations

import pytest
import torch

from siri.policy.loading import gradient_checkpointing_on, load_policy
from siri.policy.prefix import tree_logprobs
from siri.policy.sampling import sample
from siri.policy.scoring import score
from siri.sft.loop import collate, nll_loss
from siri.sft.data import SFTExample
from siri.train.update import LossPlan
from tests.policy.test_prefix import shared_rows
from tests.train.test_update import TERM_SETS, equivalence_rows, update_with


def pair(tiny_model_dir):
    plain, tok = load_policy(tiny_model_dir, device="cpu")
    checkpointed, _ = load_policy(tiny_model_dir, device="cpu", gradient_checkpointing=True)
    assert gradient_checkpointing_on(checkpointed) and not gradient_checkpointing_on(plain)
    return plain, checkpointed, tok


def layer_calls(model) -> list[int]:
    """A counter of the first layer's input norm forwards (a recomputed layer runs it twice per step)."""
    calls = [0]
    model.model.layers[0].input_layernorm.register_forward_hook(lambda *a: calls.__setitem__(0, calls[0] + 1))
    return calls


@pytest.mark.parametrize("terms", TERM_SETS)
def test_the_update_gets_the_same_gradient_with_checkpointing(tiny_model_dir, terms):
    plain, checkpointed, tok = pair(tiny_model_dir)
    rows = equivalence_rows(plain, tok)
    plan = LossPlan(dict(terms), mask_fields={"internalization": "m"} if "internalization" in terms else {})
    forwards, calls = layer_calls(plain), layer_calls(checkpointed)
    _, g_plain = update_with(plain, rows, plan, tok, share_prefixes=False)
    _, g_ckpt = update_with(checkpointed, rows, plan, tok, share_prefixes=False)
    assert g_plain.abs().max() > 1e-3  # a real gradient
    assert (g_plain - g_ckpt).abs().max() <= 1e-6
    assert forwards[0] > 0 and calls[0] == 2 * forwards[0]  # each forward recomputed once in the backward pass


def test_the_sft_loss_gets_the_same_gradient_with_checkpointing(tiny_model_dir):
    plain, checkpointed, tok = pair(tiny_model_dir)
    prompts, responses = shared_rows(tok)
    batch = collate([SFTExample(p, r, "demo") for p, r in zip(prompts, responses) if r], "cpu", tok.pad_token_id)
    grads = []
    for model in (plain, checkpointed):
        model.train()
        nll_loss(model, batch).backward()
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
        model.eval()
    assert grads[0].abs().max() > 1e-3
    assert (grads[0] - grads[1]).abs().max() <= 1e-6


def test_sampling_and_scoring_without_gradients_are_unchanged(tiny_model_dir):
    plain, checkpointed, tok = pair(tiny_model_dir)
    prompts, responses = shared_rows(tok)
    checkpointed.train()  # as between updates; the sampler switches to eval mode itself
    a = sample(plain, prompts, max_new_tokens=6, stop=(), seed=3)
    b = sample(checkpointed, prompts, max_new_tokens=6, stop=(), seed=3)
    assert a.ids == b.ids
    with torch.no_grad():  # shared prefixes pass a key/value cache: fine without gradients
        for x, y in zip(score(plain, prompts, responses), score(checkpointed, prompts, responses)):
            torch.testing.assert_close(x, y, rtol=0, atol=1e-6)


def test_shared_prefix_scoring_with_gradients_is_refused(tiny_model_dir):
    _, checkpointed, tok = pair(tiny_model_dir)
    prompts, responses = shared_rows(tok)
    checkpointed.train()
    with pytest.raises(ValueError, match="gradient checkpointing"):
        tree_logprobs(checkpointed, prompts, responses)
