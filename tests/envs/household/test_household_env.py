"""HouseholdEnv against the Env contract (docs/environments.md, "Common contract" and "Agent interface")."""

import dataclasses
import subprocess
import sys

import pytest

from siri.envs import make_env, make_oracle
from siri.envs.base import Env, EnvError
from siri.envs.household import HouseholdEnv
from siri.envs.household.env import normalize


def walk(env, seed, n=12):
    """Reset and play the first admissible non-help action `n` times, cycling through the list."""
    out = [env.reset(seed)]
    for i in range(n):
        acts = [a for a in out[-1].admissible_actions if a != "help"]
        out.append(env.step(acts[i % len(acts)]))
    return out


def test_registry_builds_it_and_it_is_an_env():
    env = make_env("household", split="eval", size="tiny")
    assert isinstance(env, Env) and isinstance(env, HouseholdEnv)
    assert env.name == "household" and env.split == "eval" and env.max_steps == 50
    env.reset(0)
    assert type(make_oracle(env)).__name__ == "PlannerOracle"
    assert type(make_oracle(env, "searcher")).__name__ == "SearcherOracle"


def test_reset_result_fields():
    env = HouseholdEnv()
    first = env.reset(3)
    assert first.observation.startswith("-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room.")
    assert first.observation.endswith(f"\n\nYour task is to: {first.task}.")
    assert first.anchor == first.observation
    assert first.reward == 0.0 and not first.done and not first.won and first.task_score is None
    assert first.task_type == env.scene.task.task_type
    assert list(first.admissible_actions) == sorted(first.admissible_actions)
    assert {"help", "inventory", "look"} <= set(first.admissible_actions)


def test_same_seed_same_episode_byte_for_byte():
    a, b = walk(HouseholdEnv(), 11), walk(HouseholdEnv(size="tiny"), 11)
    assert a == b
    env = HouseholdEnv()
    walk(env, 5)
    assert walk(env, 11) == a  # a reset forgets everything before it


def test_normalization_and_nothing_happens():
    env = HouseholdEnv()
    first = env.reset(0)
    go = next(a for a in first.admissible_actions if a.startswith("go to"))
    assert normalize("  Go   TO\tFridge 1 \n") == "go to fridge 1"
    r = env.step("  " + go.upper().replace(" ", "  ") + "\n")
    assert r.observation.startswith("You arrive at ")
    for junk in ["", "\x00\x01", "😀 go to", "x" * 100_000, "go to " + "a " * 50_000, "put a in b", 42]:
        r = env.step(junk)
        assert r.observation == "Nothing happens." and r.anchor == "Nothing happens."
    assert env.steps == 1 + 7  # bad commands still count as steps


def test_win_reward_and_done_then_frozen():
    env = HouseholdEnv(task_types=["pick_and_place_simple"])
    last = env.reset(1)
    oracle = make_oracle(env, "planner")
    rewards = []
    while not last.done:
        last = env.step(oracle.act(last))
        rewards.append(last.reward)
    assert last.won and last.reward == 10.0 and rewards[:-1] == [0.0] * (len(rewards) - 1)
    again = env.step("look")
    assert again.done and again.won and again.reward == 0.0
    assert again.observation == last.observation and again.admissible_actions == last.admissible_actions
    assert env.steps == len(rewards)


def test_max_steps_ends_the_episode_without_reward():
    env = HouseholdEnv(max_steps=3)
    r = env.reset(0)
    results = [env.step("look") for _ in range(3)]
    assert [x.done for x in results] == [False, False, True]
    assert all(x.reward == 0.0 and not x.won for x in results)


def test_old_command_version_speaks_put_in_on():
    env = HouseholdEnv(command_version="0.3", task_types=["pick_and_place_simple"])
    last = env.reset(2)
    oracle = make_oracle(env, "planner")
    seen_put = False
    while not last.done:
        action = oracle.act(last)
        assert not action.startswith("move ")
        if action.startswith("put "):
            seen_put = True
            obj, recep = action[4:].split(" in/on ")
            action = f"put {obj} on {recep}"  # the plain in/on spellings are accepted too
        last = env.step(action)
    assert seen_put and last.won and last.observation.startswith("You put the ")


def test_bad_options_and_misuse():
    for kwargs, msg in [
        ({"size": "huge"}, "unknown household size"),
        ({"task_types": ["fly"]}, "unknown household task type"),
        ({"task_types": "pick_and_place_simple"}, "non-empty list"),
        ({"max_steps": 0}, "max_steps"),
        ({"command_version": "0.1"}, "command_version"),
        ({"split": "test"}, "unknown split"),
        ({"task_type_by_object": "yes"}, "task_type_by_object must be true or false"),
    ]:
        with pytest.raises(EnvError, match=msg):
            HouseholdEnv(**kwargs)
    with pytest.raises(EnvError, match="reset"):
        HouseholdEnv().step("look")
    with pytest.raises(EnvError, match="seed"):
        HouseholdEnv().reset(-1)


def test_task_type_by_object_names_the_object_and_changes_nothing_else():
    """The same episodes, filed per object: only the reported task type differs, and the oracles
    (which read the task type to parse the task) still solve them."""
    from siri.envs.household.oracle import BlindSearcherOracle, SearcherOracle

    plain = HouseholdEnv(task_types=["pick_and_place_simple", "pick_heat_then_place_in_recep"])
    split = HouseholdEnv(task_types=["pick_and_place_simple", "pick_heat_then_place_in_recep"],
                         task_type_by_object=True)
    kinds = set()
    for seed in range(30):
        a, b = plain.reset(seed), split.reset(seed)
        assert b.task_type == f"{a.task_type}/{split.scene.task.obj_type}"
        assert dataclasses.replace(b, task_type=a.task_type) == a
        kinds.add(b.task_type)
        for oracle in (SearcherOracle(None), BlindSearcherOracle(None)):
            last = split.reset(seed)
            while not last.done:
                last = split.step(oracle.act(last))
            assert last.won, (seed, type(oracle).__name__)
    assert len(kinds) > 2
    options = make_env("household", size="tiny", task_type_by_object=True)
    assert options.reset(0).task_type.count("/") == 1


def test_importing_the_household_env_imports_no_ml_library():
    code = "import sys, siri.envs.household; print(sorted({'torch', 'numpy', 'transformers'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
