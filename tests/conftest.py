"""What the whole suite shares: one tiny model built offline per session, a tiny RL config factory,
and one torch thread per test (docs/architecture.md "Tests and benchmarks").

The tiny model's tokenizer is trained on oracle walks of every built-in environment plus the
hand-written lines below (think tags, skills, structured-skill headers), so every test's text is in
its vocabulary. Tests must not change its weights.
"""

from __future__ import annotations

import pytest

AGENT_TEXTS = [
    "You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a cabinet 2, "
    "a countertop 1, a fridge 1, a sinkbasin 1 and a microwave 1.",
    "Your task is to: put a clean apple in fridge.",
    "<think>The apple is probably on the countertop.</think><action>go to countertop 1</action>",
    "On the countertop 1, you see an apple 1, a knife 2, and a mug 3.",
    "<action>take apple 1 from countertop 1</action>",
    "You pick up the apple 1 from the countertop 1.",
    "<action>clean apple 1 with sinkbasin 1</action>",
    "Nothing happens.",
    "Search results: [B07XYZ] red cotton shirt, $12.99 [Next >]",
    "#### ## @ $ ## . #### push box left right up down",
]
SKILL_TEXTS = [
    "You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a countertop 1, "
    "a fridge 1, a sinkbasin 1 and a microwave 1.",
    "Your task is to: put a clean mug in coffeemachine.",
    "<action>go to countertop 1</action> <action>take mug 1 from countertop 1</action>",
    "When the mug is dirty: clean it with sinkbasin 1 before you move it.",
    "Success patterns: Mistakes to avoid: Golden workflow:",
]


@pytest.fixture(scope="session")
def texts() -> list[str]:
    """The hand-written agent lines alone, for tests that train a tokenizer of their own."""
    return AGENT_TEXTS * 20


@pytest.fixture(scope="session")
def tiny_texts() -> list[str]:
    from siri.envs.corpus import iter_corpus_texts

    return (AGENT_TEXTS + SKILL_TEXTS) * 20 + list(iter_corpus_texts(seeds_per_env=5))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tiny_texts):
    from siri.policy.presets import init_model

    return init_model("tiny", tmp_path_factory.mktemp("tiny") / "tiny", texts=tiny_texts, seed=0)


@pytest.fixture(scope="session")
def tiny(tiny_model_dir):
    """(model, tokenizer) of the tiny preset on CPU, float32, eval mode. Tests must not modify weights."""
    from siri.policy.loading import load_policy

    return load_policy(tiny_model_dir, device="cpu")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The tiny model's ops are too small to gain from intra-op threads, and on shared cores OpenMP's
    spinning threads slow each step down by 10-100x."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny_cfg(tiny_model_dir, tmp_path):
    """A few-second RL config on Sokoban: 2 groups × 2 rollouts, 3 steps, short responses."""
    from siri.config import load_config

    def make(*overrides: str):
        return load_config(None, [
            "env.name=sokoban", "env.max_steps=3", f"model.path={tiny_model_dir}", f"run.out_dir={tmp_path}",
            "run.name=t", "run.progress=false", "train.iterations=2", "train.groups_per_iter=2",
            "train.group_size=2", "train.lr=1e-3", "train.micro_batch_rows=4", "train.mini_batch_rows=6",
            "sampling.max_new_tokens=6", "eval.episodes=2", *overrides,
        ])

    return make
