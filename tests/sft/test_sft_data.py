"""SFT examples: demo prompts are the rollout's prompts, responses are the oracle's actions, noise switch,
builder registry, length filter."""

from __future__ import annotations

import pytest

from siri.agent import build_prompt, parse_response
from siri.config import load_config
from siri.envs import make_env
from siri.envs.base import EnvError
from siri.envs.household.oracle import SearcherOracle
from siri.sft import data as sft_data
from siri.sft.data import SFTExample, build_examples, encode_response, register_builder
from siri.utils.errors import UserError


@pytest.fixture(scope="module")
def tokenizer(tiny):
    return tiny[1]


def cfg_for(*overrides: str):
    return load_config(None, ["env.name=household", "env.max_steps=25", "sft.oracle=searcher", *overrides])


def chat_ids(tok, user_text: str) -> list[int]:
    """What the rollout feeds the model: the Qwen-style template, rendered by hand."""
    return tok.encode(f"<|im_start|>user\n{user_text}<|im_end|>\n<|im_start|>assistant\n", add_special_tokens=False)


def replay(cfg, seeds, history_len=2):
    """Independent replay with a noise-free SearcherOracle: [(prompt text, action)] per step."""
    env = make_env("household", split="train", max_steps=cfg.env.max_steps)
    out = []
    for seed in seeds:
        r = env.reset(seed)
        oracle = SearcherOracle(env)
        hist: list[tuple[str, str]] = []
        while not r.done:
            action = oracle.act(r)
            text = build_prompt("household", task=r.task, observation=r.observation, admissible=r.admissible_actions,
                                history=hist, step=len(hist), think=False, history_len=history_len)
            out.append((text, action))
            hist.append((r.observation, action))
            r = env.step(action)
        assert r.won
    return out


def test_demo_prompts_and_responses_match_the_rollout(tokenizer):
    cfg = cfg_for("sft.episodes=2", "sft.noise=0")
    data = build_examples(cfg, tokenizer)
    expected = replay(cfg, [0, 1])
    assert len(data.examples) == len(expected) > 4
    close = tokenizer.convert_tokens_to_ids("</action>")
    opening = tokenizer.convert_tokens_to_ids("<action>")
    for ex, (text, action) in zip(data.examples, expected):
        assert ex.kind == "demo"
        assert ex.prompt_ids == chat_ids(tokenizer, text)
        assert tokenizer.decode(ex.response_ids) == f"<action>{action}</action>"
        assert ex.response_ids[0] == opening and ex.response_ids[-1] == close  # no end-of-turn token after
        assert ex.meta["label"] == action and not ex.meta["noisy"]
    first = tokenizer.decode(data.examples[0].prompt_ids)
    assert first.startswith("<|im_start|>user\nYou are an expert agent operating in the ALFRED Embodied Environment.")
    assert "Your last" not in first and "'help'" not in first
    third = tokenizer.decode(data.examples[2].prompt_ids)
    assert "You have taken 2 step(s). Your last 2 step(s):" in third
    assert f"Action 1: {expected[0][1]}\n" in third and f"Action 2: {expected[1][1]}\n" in third
    assert data.stats["demo/oracle_success"] == 1.0 and data.stats["demo/noisy_steps"] == 0
    assert data.summary()["demo/examples"] == len(expected)


def test_history_len_follows_the_env_config(tokenizer):
    cfg = cfg_for("sft.episodes=1", "sft.noise=0", "env.history=1")
    data = build_examples(cfg, tokenizer)
    expected = replay(cfg, [0], history_len=1)
    assert [e.prompt_ids for e in data.examples] == [chat_ids(tokenizer, t) for t, _ in expected]
    assert "Your last 1 step(s):" in tokenizer.decode(data.examples[2].prompt_ids)


def test_noise_switch(tokenizer):
    common = ["sft.episodes=4", "sft.noise=0.4", "run.seed=3"]
    clean = build_examples(cfg_for(*common, "sft.train_on_noise=false"), tokenizer).examples
    noisy = build_examples(cfg_for(*common, "sft.train_on_noise=true"), tokenizer).examples
    # The switch changes labels only: the same states are visited, with the same executed actions.
    assert [e.prompt_ids for e in clean] == [e.prompt_ids for e in noisy]
    assert [e.meta["action"] for e in clean] == [e.meta["action"] for e in noisy]
    flagged = [e for e in clean if e.meta["noisy"]]
    assert 0 < len(flagged) < len(clean)
    assert all(e.meta["label"] == e.meta["oracle_action"] for e in clean)
    assert all(e.meta["label"] == e.meta["action"] for e in noisy)
    assert any(a.meta["label"] != b.meta["label"] for a, b in zip(clean, noisy))
    for ex in clean + noisy:
        assert tokenizer.decode(ex.response_ids) == f"<action>{ex.meta['label']}</action>"
        assert ex.meta["action"] != "help"  # random actions come from the list the prompt shows
    # The oracle labels are what a fresh searcher says at the visited states (fed the executed actions).
    env = make_env("household", split="train", max_steps=25)
    oracle, r = None, None
    for ex in clean:
        if ex.meta["t"] == 0:
            r = env.reset(ex.meta["seed"])
            oracle = SearcherOracle(env)
        assert oracle.act(r) == ex.meta["oracle_action"]
        r = env.step(ex.meta["action"])


def test_repeat_noise_shows_recovery_from_nothing_happens(tokenizer):
    data = build_examples(cfg_for("sft.episodes=3", "sft.noise=0.5", "sft.noise_repeat=1", "run.seed=0"), tokenizer)
    examples = data.examples
    repeats = nothing = 0
    for prev, ex, nxt in zip(examples, examples[1:], examples[2:]):
        if ex.meta["noisy"] and ex.meta["t"] > 0:
            assert ex.meta["action"] == prev.meta["action"]  # the previous executed action, again
            repeats += 1
            if nxt.meta["t"] == ex.meta["t"] + 1 and ex.meta["action"].startswith("go to "):
                # going where the agent already is answers "Nothing happens." (docs/environments.md Household)
                assert "Your current observation is: Nothing happens." in tokenizer.decode(nxt.prompt_ids)
                assert nxt.meta["label"] == nxt.meta["oracle_action"]
                nothing += 1
    assert repeats > 0 and nothing > 0
    firsts = [e for e in examples if e.meta["t"] == 0 and e.meta["noisy"]]
    assert all(e.meta["action"] != "help" for e in firsts)  # no previous action: a random visible one


def test_noise_is_seeded(tokenizer):
    a = build_examples(cfg_for("sft.episodes=3", "sft.noise=0.5", "run.seed=1"), tokenizer).examples
    b = build_examples(cfg_for("sft.episodes=3", "sft.noise=0.5", "run.seed=1"), tokenizer).examples
    c = build_examples(cfg_for("sft.episodes=3", "sft.noise=0.5", "run.seed=2"), tokenizer).examples
    assert [e.meta["action"] for e in a] == [e.meta["action"] for e in b]
    assert [e.meta["action"] for e in a] != [e.meta["action"] for e in c]


def test_think_mode_prepends_an_empty_think_block(tokenizer):
    data = build_examples(cfg_for("sft.episodes=1", "sft.noise=0", "env.think=true"), tokenizer)
    ex = data.examples[0]
    text = tokenizer.decode(ex.response_ids)
    assert text == f"<think></think><action>{ex.meta['label']}</action>"
    assert parse_response(text, "household", think_required=True).valid
    assert "inside <think></think>" in tokenizer.decode(ex.prompt_ids)


def test_long_prompts_are_dropped_and_counted(tokenizer):
    full = build_examples(cfg_for("sft.episodes=2", "sft.noise=0"), tokenizer)
    lengths = sorted(len(e.prompt_ids) for e in full.examples)
    limit = lengths[len(lengths) // 2]
    cut = build_examples(cfg_for("sft.episodes=2", "sft.noise=0", f"sft.max_prompt_tokens={limit}"), tokenizer)
    too_long = sum(n > limit for n in lengths)
    assert too_long > 0
    assert cut.dropped == {"demo": too_long}
    assert len(cut.examples) == len(full.examples) - too_long
    assert all(len(e.prompt_ids) <= limit for e in cut.examples)
    assert cut.summary()["demo/dropped_long"] == too_long


def test_unknown_kind_is_a_one_line_error(tokenizer):
    with pytest.raises(UserError) as err:
        build_examples(cfg_for("sft.kinds=[demo, nope]"), tokenizer)
    assert str(err.value) == f"unknown SFT example kind 'nope'; allowed: {', '.join(sft_data.builder_kinds())}"
    assert "demo" in sft_data.builder_kinds()
    with pytest.raises(UserError, match="sft.kinds is empty"):
        build_examples(cfg_for("sft.kinds=[]"), tokenizer)


def test_unknown_oracle_names_the_allowed_ones(tokenizer):
    with pytest.raises(EnvError) as err:
        build_examples(cfg_for("sft.oracle=wizard", "sft.episodes=1"), tokenizer)
    assert str(err.value) == "unknown oracle 'wizard' for household (sft.oracle); allowed: blind, planner, searcher"


def test_registered_kinds_join_the_data(tokenizer, monkeypatch):
    monkeypatch.setattr(sft_data, "_BUILDERS", dict(sft_data._BUILDERS))

    @register_builder("echo_test")
    def echo(ctx):
        ctx.stats["echo_test/calls"] = 1
        return [SFTExample(ctx.prompt_ids("say look"), ctx.action_response_ids("look"), "echo_test", {})]

    with pytest.raises(ValueError, match="already registered"):
        register_builder("echo_test")(lambda ctx: [])
    data = build_examples(cfg_for("sft.kinds=[demo, echo_test]", "sft.episodes=1", "sft.noise=0"), tokenizer)
    assert [e.kind for e in data.examples][-1] == "echo_test"
    assert data.built["echo_test"] == 1 and data.stats["echo_test/calls"] == 1
    assert data.examples[-1].prompt_ids == chat_ids(tokenizer, "say look")
    assert data.examples[-1].response_ids == encode_response(tokenizer, "look")
    assert "echo_test" in sft_data.builder_kinds()


def test_demonstrations_take_their_own_step_limit(tokenizer):
    """`sft.max_steps` longer than the rollout's limit: the demonstration plays to its end (the
    independent replay at the longer limit); unset, the rollout's limit cuts it off."""
    seeds = range(4)
    longest = max(len(replay(cfg_for("env.max_steps=40"), [s])) for s in seeds)
    short = build_examples(cfg_for("env.max_steps=3", "sft.episodes=4", "sft.noise=0"), tokenizer)
    whole = build_examples(cfg_for("env.max_steps=3", "sft.max_steps=40", "sft.episodes=4", "sft.noise=0"), tokenizer)
    assert longest > 3
    assert max(e.meta["t"] for e in short.examples) == 2
    assert max(e.meta["t"] for e in whole.examples) == longest - 1
    assert sum(len(replay(cfg_for("env.max_steps=40"), [s])) for s in seeds) == len(whole.examples)
