"""Any action string is safe (docs/environments.md, "Common contract"); rewards and scores stay in range."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from siri.envs.shop import SEARCH_MARKER, ShopEnv

ENV = ShopEnv(split="train")
QUERY_WORDS = ("shampoo", "mug", "black", "free", "wireless", "pack", "xl", "the", "zebra", "ä€😀")

# An action is either free text or an index into the admissible actions of the current page.
actions = st.lists(st.one_of(st.text(max_size=60), st.integers(0, 40),
                             st.builds(lambda w: f"search[{w}]", st.sampled_from(QUERY_WORDS))),
                   max_size=25)


def _check(r):
    assert r.reward in (0.0, 10.0) and r.won == (r.reward == 10.0)
    assert r.task_score is None or 0.0 <= r.task_score <= 1.0
    assert r.won == (r.task_score == 1.0)
    assert r.anchor == r.observation and isinstance(r.observation, str)
    assert r.done or r.task_score is None


@settings(max_examples=150, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10**6), steps=actions)
def test_any_action_sequence_is_safe(seed, steps):
    r = ENV.reset(seed)
    for step in steps:
        if isinstance(step, int):
            step = r.admissible_actions[step % len(r.admissible_actions)] if r.admissible_actions else "x"
            step = step.replace(SEARCH_MARKER, "search[free]")
        r = ENV.step(step)
        _check(r)


def test_hostile_strings_never_raise():
    ENV.reset(5)
    for text in ["", "\x00\x01\n\t", "click[" + "a" * 100_000 + "]", "search[" + "free " * 20_000 + "]",
                 "search[\u0000]", "click[]", "[]", "search[[nested]]", "\ud800", "CLICK[BUY NOW]"]:
        r = ENV.step(text)
        _check(r)
    ENV.reset(5)
    long_search = ENV.step("search[" + "shampoo free " * 10_000 + "]")
    assert long_search.info["valid"] and "Page 1 (Total results: 50)" in long_search.observation


def test_random_admissible_walks_end_and_stay_in_range():
    rng = random.Random(0)
    env = ShopEnv(split="eval", max_steps=15)
    for seed in range(100):
        r = env.reset(seed)
        for _ in range(15):
            action = rng.choice(r.admissible_actions).replace(SEARCH_MARKER, f"search[{env.goal.query}]")
            r = env.step(action)
            _check(r)
            if r.done:
                break
        assert r.done
