"""The key/value caches handed to models (docs/architecture.md "Models"): the forward keyword, a cache
built from given tensors, and no deprecated transformers usage in sampling or scoring."""

from __future__ import annotations

import inspect
import warnings

import pytest
import torch

from siri.policy.kv import cache_argument, cache_from
from siri.policy.loading import chat_prompt_ids
from siri.policy.sampling import DecodeOptions, sample
from siri.policy.scoring import score, score_with_entropy


class _NewName(torch.nn.Module):
    def forward(self, input_ids, attention_mask=None, cache=None, use_cache=None):  # pragma: no cover
        raise NotImplementedError


class _OldName(torch.nn.Module):
    def forward(self, input_ids, attention_mask=None, past_key_values=None, use_cache=None):  # pragma: no cover
        raise NotImplementedError


def test_cache_argument_follows_the_forward_signature():
    assert cache_argument(_NewName()) == "cache"
    assert cache_argument(_OldName()) == "past_key_values"


def test_the_tiny_model_gets_the_keyword_its_forward_declares(tiny):
    model, _ = tiny
    declared = [n for n in ("cache", "past_key_values") if n in inspect.signature(model.forward).parameters]
    assert len(declared) == 1 and cache_argument(model) == declared[0]


def test_cache_from_holds_the_tensors_and_appends_after_them():
    keys = torch.arange(2 * 1 * 3 * 2, dtype=torch.float32).reshape(2, 1, 3, 2).requires_grad_()
    values = -keys.detach().clone()
    cache = cache_from([(keys, values), (keys * 2, values * 2)])
    assert len(cache.layers) == 2 and cache.get_seq_length() == 3
    assert torch.equal(cache.layers[1].keys, keys * 2) and torch.equal(cache.layers[0].values, values)
    new = torch.full((2, 1, 1, 2), 7.0)
    k, v = cache.update(new, new, 0)
    assert k.shape == (2, 1, 4, 2) and torch.equal(k[:, :, :3], keys) and torch.equal(v[:, :, 3:], new)
    k.sum().backward()  # the given keys keep their gradient path: each position read once
    assert torch.equal(keys.grad, torch.ones_like(keys))


@pytest.fixture
def deprecations_are_errors():
    """transformers announces a renamed or removed argument with FutureWarning (and DeprecationWarning);
    as errors they fail the test at the call that used the old form."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        yield


@pytest.mark.parametrize("decode", [DecodeOptions(), DecodeOptions(preallocate=False, inverse_cdf=False,
                                                                     share_prefixes=False)])
def test_sampling_uses_no_deprecated_transformers_api(tiny, decode, deprecations_are_errors):
    model, tok = tiny
    prompts = [chat_prompt_ids(tok, t) for t in ("look", "look", "go to cabinet 1 " * 4)]
    out = sample(model, prompts, max_new_tokens=4, tokenizer=tok, seed=0, decode=decode)
    assert len(out) == 3 and all(1 <= len(ids) <= 4 for ids in out.ids)


@pytest.mark.parametrize("share_prefixes", [True, False])
def test_scoring_under_grad_uses_no_deprecated_transformers_api(tiny, share_prefixes, deprecations_are_errors):
    model, tok = tiny
    task = chat_prompt_ids(tok, "go to cabinet 1 " * 12)
    prompts, responses = [task, task, task + tok.encode("look")], [tok.encode("take apple 1")] * 3
    try:
        lps, _ = score_with_entropy(model, prompts, responses, share_prefixes=share_prefixes)
        sum(lp.sum() for lp in lps).backward()
        with torch.no_grad():
            assert all(lp.shape == (len(r),) for lp, r in zip(score(model, prompts, responses), responses))
    finally:
        model.zero_grad(set_to_none=True)
