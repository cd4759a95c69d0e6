"""The sampler: behaviour log-probs equal the scorer's, seeded determinism, greedy, stops, top-p."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from transformers import Qwen2Config

from siri.policy.loading import chat_prompt_ids, eos_token_ids
from siri.policy.sampling import DecodeOptions, SamplingCancelled, StopStrings, choose_tokens, sample, top_p_filter
from siri.policy.scoring import score

USER_TEXTS = [
    "look",
    "You are in the middle of a room. Your task is to: put a clean apple in fridge.",
    "go to cabinet 1 " * 12,
    "On the countertop 1, you see an apple 1, a knife 2, and a mug 3. " * 3,
    "Nothing happens.",
    "Search results: [B07XYZ] red cotton shirt, $12.99",
]


@pytest.fixture(scope="module")
def prompts(tiny):
    _, tok = tiny
    ps = [chat_prompt_ids(tok, t) for t in USER_TEXTS]
    assert len({len(p) for p in ps}) == len(ps)  # all different lengths: real left padding
    return ps


def many_eos(tok, frac=0.06):
    """A random set of ids that end a response, so rows finish at different steps (batch shrinks)."""
    g = torch.Generator().manual_seed(0)
    return torch.randperm(len(tok), generator=g)[: int(frac * len(tok))].tolist()


@pytest.mark.parametrize("temperature, top_p", [(1.0, 1.0), (0.7, 0.8), (1.5, 0.95)])
def test_sampler_logprobs_equal_scorer(tiny, prompts, temperature, top_p):
    model, tok = tiny
    out = sample(model, prompts, max_new_tokens=24, temperature=temperature, top_p=top_p, tokenizer=tok,
                 eos_token_id=many_eos(tok), seed=11)
    lengths = [len(s.ids) for s in out]
    assert len(set(lengths)) > 1  # rows finished at different steps: the batch shrank
    with torch.no_grad():
        scored = score(model, prompts, out.ids, temperature=temperature)
    for s, ref in zip(out, scored):
        assert len(s.logprobs) == len(s.ids)
        torch.testing.assert_close(torch.tensor(s.logprobs), ref.float(), atol=1e-4, rtol=0)


def test_identical_prompts_share_prefill_and_sample_independently(tiny, prompts):
    model, tok = tiny
    group = [prompts[1]] * 4 + [prompts[3]] * 2
    out = sample(model, group, max_new_tokens=16, tokenizer=tok, eos_token_id=many_eos(tok), seed=5)
    assert len({tuple(i) for i in out.ids[:4]}) > 1  # independent draws, not one copy
    with torch.no_grad():
        scored = score(model, group, out.ids)
    for s, ref in zip(out, scored):
        torch.testing.assert_close(torch.tensor(s.logprobs), ref.float(), atol=1e-4, rtol=0)


def test_same_seed_same_ids(tiny, prompts):
    model, tok = tiny
    kw = dict(max_new_tokens=12, tokenizer=tok, eos_token_id=eos_token_ids(model, tok))
    a = sample(model, prompts, seed=3, **kw)
    b = sample(model, prompts, seed=3, **kw)
    c = sample(model, prompts, rng=torch.Generator().manual_seed(3), **kw)
    d = sample(model, prompts, seed=4, **kw)
    assert a.ids == b.ids == c.ids and a.logprobs == b.logprobs
    assert a.ids != d.ids


def cancel_after(polls: int):
    """A `cancelled` callback that says yes from its (polls + 1)-th call on; `.calls` counts calls."""
    def cancelled() -> bool:
        cancelled.calls += 1
        return cancelled.calls > polls
    cancelled.calls = 0
    return cancelled


def test_cancel_callback_stops_early_and_never_changes_samples(tiny, prompts):
    model, tok = tiny
    kw = dict(max_new_tokens=12, tokenizer=tok, eos_token_id=None, stop=(), seed=5)
    never = cancel_after(10**9)
    a, b = sample(model, prompts, **kw), sample(model, prompts, cancelled=never, **kw)
    assert a.ids == b.ids and a.logprobs == b.logprobs and never.calls == 12  # polled once per step
    with pytest.raises(SamplingCancelled, match="after 3 of at most 12"):
        sample(model, prompts, cancelled=cancel_after(3), **kw)


def test_on_step_ends_rows_without_changing_the_others(tiny, prompts):
    model, tok = tiny
    kw = dict(max_new_tokens=8, temperature=0.8, tokenizer=tok, eos_token_id=None, stop=(), seed=9)
    full = sample(model, prompts, **kw)
    steps = []

    def on_step(step):
        steps.append(step)
        for j in range(len(step.rows)):  # each token's log-prob is read from the distribution it was drawn from
            assert step.logprobs[j, step.tokens[j]].item() == step.token_logprobs[j]
        return {0: "length"} if len(steps) == 3 else {1: "cancelled"} if len(steps) == 5 else None

    out = sample(model, prompts, on_step=on_step, **kw)
    assert out[0].ids == full[0].ids[:3] and out[0].finish_reason == "length"
    assert out[1].ids == full[1].ids[:5] and out[1].finish_reason == "cancelled"
    assert out.ids[2:] == full.ids[2:] and out.logprobs[2:] == full.logprobs[2:]  # the others' draws are unchanged
    assert steps[0].rows == list(range(len(prompts))) and 0 not in steps[3].rows and 1 not in steps[5].rows
    with pytest.raises(ValueError, match="on_step ended row 0 with 'bored'"):
        sample(model, prompts, on_step=lambda step: {0: "bored"}, **kw)


def test_on_step_is_told_which_rows_the_token_ended(tiny, prompts):
    model, tok = tiny
    finished = {}
    out = sample(model, prompts, max_new_tokens=16, tokenizer=tok, eos_token_id=many_eos(tok), seed=2,
                 on_step=lambda step: finished.update(step.finished))
    assert finished and finished == {i: "eos" for i, s in enumerate(out) if s.finish_reason == "eos"}


def naive_greedy(model, prompt, n):
    ids, lps = list(prompt), []
    with torch.no_grad():
        for _ in range(n):
            logits = model(input_ids=torch.tensor([ids])).logits[0, -1].double()
            tok = int(logits.argmax())
            lps.append(float(torch.log_softmax(logits, -1)[tok]))
            ids.append(tok)
    return ids[len(prompt) :], lps


def test_greedy_is_argmax(tiny, prompts):
    model, tok = tiny
    out = sample(model, prompts, max_new_tokens=8, temperature=0.0, stop=(), eos_token_id=None)
    for p, s in zip(prompts, out):
        ref_ids, ref_lps = naive_greedy(model, p, 8)
        assert s.ids == ref_ids and s.finish_reason == "length"
        assert s.logprobs == pytest.approx(ref_lps, abs=1e-4)


def test_restores_training_mode(tiny, prompts):
    model, _ = tiny
    model.train()
    try:
        sample(model, prompts[:1], max_new_tokens=2, stop=(), seed=0)
        assert model.training
    finally:
        model.eval()


def test_no_new_tokens(tiny, prompts):
    model, _ = tiny
    out = sample(model, prompts[:2], max_new_tokens=0, stop=())
    assert out.ids == [[], []] and out.finish_reasons == ["length", "length"]


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"max_new_tokens": -1}, "max_new_tokens"),
        ({"max_new_tokens": 2, "temperature": -0.5}, "temperature"),
        ({"max_new_tokens": 2, "top_p": 0.0}, "top_p"),
        ({"max_new_tokens": 2, "top_p": 1.5}, "top_p"),
        ({"max_new_tokens": 2, "stop": ("x",), "tokenizer": None}, "tokenizer"),
    ],
)
def test_bad_arguments(tiny, prompts, kwargs, needle):
    model, _ = tiny
    kwargs.setdefault("stop", ())
    with pytest.raises(ValueError, match=needle):
        sample(model, prompts[:1], **kwargs)


# --- scripted model: exact control over what is sampled -------------------------------------------


class ScriptedLM(torch.nn.Module):
    """Next token = table[last input token] (logit 40 vs 0: probability 1 - 1e-14); logs batch sizes."""

    def __init__(self, vocab_size: int, table: dict[int, int]):
        super().__init__()
        self.config = Qwen2Config(vocab_size=vocab_size, hidden_size=8, intermediate_size=8, num_hidden_layers=1,
                                  num_attention_heads=1, num_key_value_heads=1)
        self.anchor = torch.nn.Parameter(torch.zeros(1))
        self.table = table
        self.batch_sizes: list[int] = []

    def forward(self, input_ids, attention_mask, position_ids, past_key_values, use_cache, logits_to_keep=0):
        self.batch_sizes.append(input_ids.shape[0])
        logits = torch.zeros(input_ids.shape[0], 1, self.config.vocab_size)
        for i, t in enumerate(input_ids[:, -1].tolist()):
            logits[i, 0, self.table.get(t, t)] = 40.0
        return SimpleNamespace(logits=logits)


def one(tok, text):
    ids = tok.encode(text, add_special_tokens=False)
    assert len(ids) == 1, text
    return ids[0]


def test_finish_reasons_and_batch_shrinking(tiny):
    _, tok = tiny
    act, end, go, im_end = one(tok, "<action>"), one(tok, "</action>"), one(tok, "go"), one(tok, "<|im_end|>")
    a, b, c = one(tok, "A"), one(tok, "B"), one(tok, "C")
    lm = ScriptedLM(len(tok), {a: act, act: go, go: end, end: go, b: im_end, im_end: b, c: c})
    prompts = [[c, c, a], [b], [a, c]]  # different lengths; rows end in a, b, c
    out = sample(lm, prompts, max_new_tokens=6, tokenizer=tok, eos_token_id=[im_end, tok.eos_token_id], seed=0)
    assert out.ids == [[act, go, end], [im_end], [c] * 6]
    assert out.finish_reasons == ["stop", "eos", "length"]
    assert all(lp == pytest.approx(0.0, abs=1e-9) for s in out for lp in s.logprobs)
    # prefill 3 rows; row 1 ends at step 0, row 0 at step 2; only row 2 remains after.
    assert lm.batch_sizes == [3, 2, 2, 1, 1, 1]


def test_duplicate_prompts_prefill_once(tiny):
    _, tok = tiny
    a, b = one(tok, "A"), one(tok, "B")
    lm = ScriptedLM(len(tok), {a: b, b: a})
    out = sample(lm, [[a], [b], [a], [a]], max_new_tokens=3, stop=(), seed=0)
    assert out.ids == [[b, a, b], [a, b, a], [b, a, b], [b, a, b]]
    assert lm.batch_sizes == [2, 4, 4]


def test_multi_token_stop_string_and_overhang(tiny):
    _, tok = tiny
    d, o, n, e, x = (one(tok, ch) for ch in "DONEx")
    cab = one(tok, " cabinet")
    lm = ScriptedLM(len(tok), {x: d, d: o, o: n, n: e, e: x, cab: cab})
    out = sample(lm, [[x], [x, cab]], max_new_tokens=10, tokenizer=tok, stop=("DONE", "abin"), seed=0)
    assert out.ids == [[d, o, n, e], [cab]]  # "abin" is inside the single token " cabinet"
    assert out.finish_reasons == ["stop", "stop"]
    out = sample(lm, [[x]], max_new_tokens=10, tokenizer=tok, stop=("NOPE",), seed=0)
    assert out.finish_reasons == ["length"] and len(out.ids[0]) == 10


def test_stop_strings_window(tiny):
    _, tok = tiny
    stops = StopStrings(("</action>", "DONE"), tok)
    ids = tok.encode("blah blah <action>go to cabinet 1</action>", add_special_tokens=False)
    assert stops.hits([ids, ids[:-1], tok.encode("xx DONE", add_special_tokens=False)]) == [True, False, True]
    assert not StopStrings((), None)


# --- pure sampling functions on hand-made distributions -------------------------------------------


def test_top_p_filter_hand_made():
    probs = torch.tensor([0.15, 0.5, 0.05, 0.3])
    logits = probs.log().repeat(2, 1)
    inf = float("-inf")

    def kept(top_p):
        out = top_p_filter(logits, top_p)
        assert torch.equal(out[0], out[1])
        return [v != inf for v in out[0].tolist()]

    assert kept(1.0) == [True, True, True, True]
    assert kept(0.5) == [False, True, False, False]  # 0.5 alone reaches 0.5
    assert kept(0.51) == [False, True, False, True]  # 0.5 + 0.3
    assert kept(0.79) == [False, True, False, True]
    assert kept(0.81) == [True, True, False, True]  # + 0.15 = 0.95
    assert kept(0.96) == [True, True, True, True]
    assert kept(0.01) == [False, True, False, False]  # the top token is always kept
    kept_vals = top_p_filter(logits, 0.81)[0]
    torch.testing.assert_close(kept_vals[[0, 1, 3]], logits[0, [0, 1, 3]])


@pytest.mark.parametrize("draw", ["inverse_cdf", "race"])
@pytest.mark.parametrize("top_p, expected", [(1.0, [0.15, 0.5, 0.05, 0.3]), (0.79, [0.0, 0.625, 0.0, 0.375])])
def test_choose_tokens_frequencies(top_p, expected, draw):
    n = 40_000
    logprobs = torch.tensor([0.15, 0.5, 0.05, 0.3]).log().repeat(n, 1)
    g = torch.Generator().manual_seed(0)
    noise = torch.rand(n, generator=g) if draw == "inverse_cdf" else torch.empty(n, 4).exponential_(generator=g)
    counts = torch.bincount(choose_tokens(logprobs, top_p, False, noise), minlength=4).double() / n
    for got, want in zip(counts.tolist(), expected):
        assert abs(got - want) < 4 * math.sqrt(max(want * (1 - want), 1e-12) / n) + 1e-12


def test_inverse_cdf_never_draws_a_zero_probability_token():
    logprobs = torch.tensor([[0.0, 0.5, 0.0, 0.5]]).log().repeat(5, 1)  # -inf at 0 and 2
    uniform = torch.tensor([0.0, 0.25, 0.4999999, 0.5, 0.9999999])
    assert choose_tokens(logprobs, 1.0, False, uniform).tolist() == [1, 1, 1, 3, 3]


def test_preallocated_cache_gives_the_same_samples(tiny, prompts):
    """The preallocated cache changes where keys and values live, not what is computed: same ids, same
    log-probs, with rows finishing at different steps (the batch shrinks) and a group sharing a prefill."""
    model, tok = tiny
    batch = prompts + [prompts[0]] * 3
    kw = dict(max_new_tokens=20, tokenizer=tok, eos_token_id=many_eos(tok), seed=7)
    a = sample(model, batch, decode=DecodeOptions(preallocate=True), **kw)
    b = sample(model, batch, decode=DecodeOptions(preallocate=False), **kw)
    assert len({len(i) for i in a.ids}) > 1
    assert a.ids == b.ids and a.finish_reasons == b.finish_reasons
    torch.testing.assert_close(torch.tensor(sum(a.logprobs, [])), torch.tensor(sum(b.logprobs, [])), atol=1e-5, rtol=0)


def test_shared_prefix_prefill_gives_the_same_samples(tiny):
    """A prefill that computes the prompts' shared prefixes once gives the same samples and log-probs as one
    that computes every prompt in full: prompts sharing a long prefix, one sharing nothing, duplicates."""
    from siri.policy.prefix import build_tree

    model, tok = tiny
    common = tok.encode(" ".join(USER_TEXTS))
    batch = [common + tok.encode(t) for t in USER_TEXTS[1:]] + [tok.encode("Nothing happens.")] + [common] * 2
    assert len(build_tree(batch, [[]] * len(batch)).depths) > 1  # a shared node: the tree is used
    kw = dict(max_new_tokens=16, tokenizer=tok, eos_token_id=many_eos(tok), seed=3)
    for preallocate in (True, False):
        a = sample(model, batch, decode=DecodeOptions(share_prefixes=True, preallocate=preallocate), **kw)
        b = sample(model, batch, decode=DecodeOptions(share_prefixes=False, preallocate=preallocate), **kw)
        assert a.ids == b.ids and a.finish_reasons == b.finish_reasons
        torch.testing.assert_close(torch.tensor(sum(a.logprobs, [])), torch.tensor(sum(b.logprobs, [])),
                                   atol=1e-5, rtol=0)
    with torch.no_grad():
        scored = score(model, batch, a.ids, share_prefixes=False)
    for s, ref in zip(a, scored):
        torch.testing.assert_close(torch.tensor(s.logprobs), ref.float(), atol=1e-4, rtol=0)


def test_choose_tokens_greedy():
    logprobs = torch.tensor([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]]).log()
    assert choose_tokens(logprobs, 1.0, True, None).tolist() == [1, 0]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_sampler_matches_scorer(tiny_model_dir, prompts):
    from siri.policy.loading import load_policy

    model, tok = load_policy(tiny_model_dir, device="cuda")
    out = sample(model, prompts, max_new_tokens=24, tokenizer=tok, eos_token_id=many_eos(tok), seed=1)
    again = sample(model, prompts, max_new_tokens=24, tokenizer=tok, eos_token_id=many_eos(tok), seed=1)
    assert out.ids == again.ids
    with torch.no_grad():
        scored = score(model, prompts, out.ids)
    for s, ref in zip(out, scored):
        torch.testing.assert_close(torch.tensor(s.logprobs), ref.float().cpu(), atol=1e-4, rtol=0)
