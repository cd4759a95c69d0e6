"""The oracle buys an R = 1.0 product (docs/environments.md, "Common contract": every task is solvable)."""

import pytest

from siri.envs.shop import ShopEnv, ShopOracle


def _play(env, seed):
    r = env.reset(seed)
    oracle, steps = ShopOracle(env), 0
    while not r.done:
        r = env.step(oracle.act(r))
        steps += 1
    return r, steps


def test_oracle_solves_200_train_goals():
    env = ShopEnv(split="train")
    results = [_play(env, seed) for seed in range(200)]
    assert all(r.won and r.task_score == 1.0 and r.reward == 10.0 for r, _ in results)
    assert max(steps for _, steps in results) <= env.max_steps


@pytest.mark.parametrize("split", ["eval", "unseen"])
def test_oracle_solves_eval_and_unseen_goals(split):
    env = ShopEnv(split=split)
    assert all(_play(env, seed)[0].won for seed in range(50))


def test_oracle_is_deterministic():
    env = ShopEnv(split="train")
    first = [_play(env, 11)[0].observation for _ in range(2)]
    assert first[0] == first[1]


@pytest.mark.slow
@pytest.mark.parametrize("split", ["train", "eval", "unseen"])
def test_oracle_solves_2000_goals_per_split(split):
    env = ShopEnv(split=split)
    wins = sum(_play(env, seed)[0].won for seed in range(2000))
    assert wins / 2000 >= 0.99


@pytest.mark.slow
def test_oracle_solves_goals_of_another_catalogue():
    env = ShopEnv(split="train", num_products=3000, catalog_seed=5)
    assert sum(_play(env, seed)[0].won for seed in range(500)) / 500 >= 0.99
