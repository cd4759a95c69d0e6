"""`GeneratorHandle`: the configured generator built on first use, one snapshot per round, and the
`self` generator's call count carried across a resume (call i samples with seed + i)."""

from __future__ import annotations

from types import SimpleNamespace

from siri.agent import EpisodeRecord
from siri.skills import GeneratorHandle
from siri.skills.generators.extractive import ExtractiveGenerator
from siri.skills.generators.self import SelfGenerator

TT = "pick_clean_then_place_in_recep"
WIN = EpisodeRecord("put a clean mug in coffeemachine", ("go to sinkbasin 1", "take mug 1 from sinkbasin 1"), True)


def settings(generator: str) -> SimpleNamespace:
    """The fields SIRI's `siri` and Skill-SD's `skill_sd` config sections share."""
    return SimpleNamespace(generator=generator, gen_temperature=1.0, gen_max_new_tokens=16,
                           external_base_url="http://127.0.0.1:1/v1", external_model="policy",
                           external_api_key_env="OPENAI_API_KEY", external_timeout=5.0, external_retries=0)


def one_round(handle: GeneratorHandle, tiny) -> str:
    gen = handle.start_round(*tiny)
    try:
        return gen.generate(TT, "household", [WIN]).raw
    finally:
        handle.end_round()


def test_a_resumed_handle_draws_the_seeds_the_uninterrupted_one_draws(tiny):
    straight = GeneratorHandle(settings("self"), seed=4)
    replies = [one_round(straight, tiny) for _ in range(3)]
    assert straight.calls == 3 and len(set(replies)) == 3  # each call its own seed

    resumed = GeneratorHandle(settings("self"), seed=4)
    resumed.calls = 2  # what a checkpoint taken after two rounds restores
    assert one_round(resumed, tiny) == replies[2]
    assert resumed.calls == 3


def test_one_snapshot_per_round_released_after(tiny):
    handle = GeneratorHandle(settings("self"))
    gen = handle.start_round(*tiny)
    assert isinstance(gen, SelfGenerator) and gen._snapshot is not None
    assert handle.get(*tiny) is gen  # built once
    handle.end_round()
    assert gen._snapshot is None


def test_a_generator_without_a_model_needs_none():
    handle = GeneratorHandle(settings("extractive"))
    handle.calls = 7
    assert isinstance(handle.start_round(None, None), ExtractiveGenerator)
    handle.end_round()
    assert handle.calls == 0  # the count of a generator that keeps none, as checkpoints recorded it
    GeneratorHandle(settings("extractive")).end_round()  # nothing built yet: nothing to release
