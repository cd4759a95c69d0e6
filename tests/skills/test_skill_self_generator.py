"""The `self` generator (docs/algorithms.md §4): a frozen snapshot of the policy summarizes; bad output is counted."""

from __future__ import annotations

import torch

from siri.agent import EpisodeRecord, build_summary_prompt, parse_skill_line
from siri.agent.skill_parsing import SKILL_WORDS, words
from siri.policy.loading import chat_prompt_ids, eos_token_ids
from siri.policy.sampling import sample
from siri.skills import GenerationResult, StructuredResult, make_generator
from siri.skills.generators.self import SelfGenerator, frozen_copy

TT = "pick_clean_then_place_in_recep"
WIN = EpisodeRecord("put a clean mug in coffeemachine", ("go to sinkbasin 1", "take mug 1 from sinkbasin 1"), True)
LOSS = EpisodeRecord("put a clean mug in coffeemachine", ("look", "look"), False)


def test_garbage_from_a_random_model_is_counted_not_raised(tiny):
    model, tok = tiny
    gen = make_generator("self", model=model, tokenizer=tok, temperature=1.0, max_new_tokens=48, seed=3)
    result = gen.generate(TT, "household", [WIN, LOSS], max_skills=3)
    assert isinstance(result, GenerationResult) and result.error is None
    lines = [line for line in result.raw.splitlines() if line.strip()]
    assert lines, "expected some text from 48 sampled tokens"
    vocabulary = words(gen.last_prompt) | SKILL_WORDS  # only skills made of its prompt's words are kept
    assert result.skills == [s for s in (parse_skill_line(x, vocabulary) for x in lines) if s is not None][:3]
    assert result.n_malformed == sum(parse_skill_line(line, vocabulary) is None for line in lines)
    assert result.n_malformed >= 1


def test_only_skills_made_of_the_prompts_words_are_kept(tiny):
    """A reply that is well formed but garbled, or says what the trajectories never showed, is dropped."""
    model, tok = tiny
    gen = SelfGenerator(model, tok, max_new_tokens=8)
    gen.complete = lambda prompt: ("When the mug is in sinkbasin 1: take mug 1 from sinkbasin 1 first.\n"
                                   "When pic the thea: goo tot.\n"
                                   "When the mug is dirty: scrub it.", None)
    result = gen.generate(TT, "household", [WIN], max_skills=3)
    assert result.skills == ["When the mug is in sinkbasin 1: take mug 1 from sinkbasin 1 first."]
    assert result.n_malformed == 2


def test_same_seed_same_reply_and_matches_direct_sampling(tiny):
    model, tok = tiny
    a = SelfGenerator(model, tok, temperature=1.0, max_new_tokens=24, seed=5).generate(TT, "household", [WIN])
    b = SelfGenerator(model, tok, temperature=1.0, max_new_tokens=24, seed=5).generate(TT, "household", [WIN])
    assert a.raw == b.raw
    ids = chat_prompt_ids(tok, build_summary_prompt("household", TT, [WIN], 3))
    out = sample(model, [ids], max_new_tokens=24, temperature=1.0, stop=(), tokenizer=tok,
                 eos_token_id=eos_token_ids(model, tok), pad_token_id=tok.pad_token_id, seed=5)
    assert a.raw == tok.decode(out[0].ids, skip_special_tokens=True)


def test_snapshot_is_a_frozen_copy_and_is_released(tiny):
    model, tok = tiny
    snap = frozen_copy(model)
    assert snap is not model and not snap.training
    assert all(not p.requires_grad for p in snap.parameters())
    assert all(p.requires_grad for p in model.parameters())  # the live policy is untouched
    for p, q in zip(model.parameters(), snap.parameters()):
        assert torch.equal(p, q) and p.data_ptr() != q.data_ptr()
    gen = SelfGenerator(model, tok, max_new_tokens=8)
    gen.generate(TT, "household", [WIN])
    assert gen._snapshot is None  # a snapshot taken for one call is dropped after it
    gen.snapshot()
    kept = gen._snapshot
    gen.generate(TT, "household", [WIN])
    assert gen._snapshot is kept  # an explicit round snapshot serves several calls


def test_prompt_too_long_and_no_success_are_error_results(tiny):
    model, tok = tiny
    gen = SelfGenerator(model, tok, max_new_tokens=8, max_prompt_tokens=10)
    result = gen.generate(TT, "household", [WIN, WIN])
    assert result.skills == [] and "too long" in result.error
    assert SelfGenerator(model, tok).generate(TT, "household", [LOSS]).error == "no successful trajectories to summarize"


def test_long_prompts_drop_trajectories_until_they_fit(tiny):
    model, tok = tiny
    one = len(chat_prompt_ids(tok, build_summary_prompt("household", TT, [WIN], 3)))
    gen = SelfGenerator(model, tok, max_new_tokens=4, max_prompt_tokens=one)
    result = gen.generate(TT, "household", [WIN, WIN, WIN])
    assert result.error is None
    assert gen.last_prompt == build_summary_prompt("household", TT, [WIN], 3)


def test_structured_garbage_is_one_malformed(tiny):
    model, tok = tiny
    gen = SelfGenerator(model, tok, max_new_tokens=24, seed=1)
    result = gen.generate_structured(TT, "household", [WIN, LOSS], max_items=3)
    assert isinstance(result, StructuredResult) and result.error is None
    assert result.skill is None and result.n_malformed == 1
