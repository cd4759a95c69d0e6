"""The environment contract (docs/environments.md "Common contract", "Agent interface", "Sokoban")."""

import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siri.envs.base import Env, EnvError, StepResult
from siri.envs.registry import make_env
from siri.envs.sokoban import SokobanEnv, parse_xsb

CORRIDOR = "#######\n#@$ . #\n#######"  # player, box, floor, target, floor
REWARDS = {-0.1, 0.9, -1.1, 10.9}  # step; onto a target; off a target; onto the last target


def test_reset_result_fields():
    env = make_env("sokoban", split="train")
    assert isinstance(env, Env) and env.name == "sokoban" and env.max_steps == 15
    r = env.reset(3)
    assert isinstance(r, StepResult)
    assert r.observation == r.anchor
    assert set(r.observation) <= set("#_OX√PS\n")
    assert r.observation.count("P") + r.observation.count("S") == 1
    assert r.reward == 0.0 and not r.done and not r.won
    assert r.admissible_actions == ("down", "left", "right", "up")
    assert r.task == "push every box onto a target" and r.task_type == "sokoban" and r.task_score is None
    assert len(r.observation.split("\n")) == 6 and all(len(row) == 6 for row in r.observation.split("\n"))


def test_play_a_fixed_level_to_the_end():
    env = SokobanEnv.from_xsb(CORRIDOR)
    r = env.reset(123)
    assert r.observation == "#######\n#PX_O_#\n#######"
    r = env.step("  RIGHT\n")  # case and whitespace are ignored
    assert r.observation == "#######\n#_PXO_#\n#######" and r.reward == pytest.approx(-0.1)
    assert r.info["moved_box"] and not r.done
    r = env.step("right")
    assert r.observation == "#######\n#__P√_#\n#######"
    assert r.reward == pytest.approx(10.9) and r.done and r.won
    assert r.info["steps"] == 2 and r.info["boxes_on_target"] == 1


def test_steps_after_a_win_return_the_final_state_with_reward_zero():
    # Before the fix, "right" after the win pushed the box off its target: reward -1.1, done False.
    env = SokobanEnv.from_xsb(CORRIDOR)
    env.reset(0)
    env.step("right")
    final = env.step("right")
    won_state = env.state
    assert final.done and final.won
    for action in ("right", "left", "up", "noop", ""):
        r = env.step(action)
        assert (r.observation, r.anchor, r.reward, r.done, r.won) == (final.observation, final.anchor, 0.0, True, True)
        assert r.admissible_actions == final.admissible_actions and r.task_score is None
        assert r.info["after_done"] and r.info["steps"] == 2 and not r.info["valid_action"]
        assert not r.info["moved_player"] and not r.info["moved_box"]
    assert env.state == won_state and env.steps == 2


def test_steps_after_the_step_limit_change_nothing():
    env = SokobanEnv.from_xsb(CORRIDOR, max_steps=1)
    env.reset(0)
    final = env.step("right")  # moves the box next to the target; the limit ends the episode
    assert final.done and not final.won and final.reward == pytest.approx(-0.1)
    r = env.step("right")  # would push the box onto the target and pay +10.9
    assert (r.observation, r.reward, r.done, r.won) == (final.observation, 0.0, True, False)
    assert r.info["steps"] == 1 and r.info["after_done"]


def test_invalid_text_is_a_costed_no_op_like_gym_sokoban_action_zero():
    env = SokobanEnv.from_xsb(CORRIDOR, max_steps=3)
    start = env.reset(0).observation
    for text in ("", "push right", "<action>up</action>", "r", "upp"):
        env.reset(0)
        r = env.step(text)
        assert r.observation == start and r.reward == pytest.approx(-0.1)
        assert r.info["steps"] == 1 and not r.info["valid_action"] and not r.done


def test_max_steps_ends_the_episode_without_a_win():
    env = SokobanEnv.from_xsb(CORRIDOR, max_steps=2)
    env.reset(0)
    assert not env.step("left").done  # a bump into the wall still counts
    r = env.step("nonsense")
    assert r.done and not r.won and r.info["max_steps_used"]


def test_level_option_takes_a_level_object_and_ignores_the_seed():
    level = parse_xsb(CORRIDOR)
    env = SokobanEnv(split="unseen", level=level)
    assert env.reset(1).observation == env.reset(999).observation == "#######\n#PX_O_#\n#######"


def test_step_before_reset_is_a_clear_error():
    with pytest.raises(EnvError, match="reset"):
        SokobanEnv().step("up")
    with pytest.raises(EnvError, match="seed must be an int"):
        SokobanEnv().reset("3")  # type: ignore[arg-type]


def test_importing_sokoban_does_not_import_torch():
    code = "import sys, siri.envs.sokoban, siri.envs.sokoban.env; assert 'torch' not in sys.modules; assert 'numpy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def _box_count(obs):
    return obs.count("X") + obs.count("√")


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(min_value=-(2**40), max_value=2**40), actions=st.lists(st.text(max_size=40), max_size=20))
def test_any_string_never_raises_and_keeps_boxes(seed, actions):
    env = SokobanEnv(max_steps=1000)
    r = env.reset(seed)
    boxes = _box_count(r.observation)
    for action in actions:
        r = env.step(action)
        assert _box_count(r.observation) == boxes
        assert round(r.reward, 6) in REWARDS
        assert r.admissible_actions == ("down", "left", "right", "up")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10**6), data=st.data())
def test_random_walks_keep_the_invariants(seed, data):
    env = SokobanEnv(dim=7, num_boxes=2, max_steps=40)
    r = env.reset(seed)
    total = 0.0
    moves = data.draw(st.lists(st.sampled_from(["up", "down", "left", "right", "noop"]), min_size=40, max_size=40))
    for i, move in enumerate(moves):
        r = env.step(move)
        total += r.reward
        assert _box_count(r.observation) == 2
        assert r.done == (r.won or i + 1 >= 40)
        assert r.won == ("X" not in r.observation)
        if r.done:
            break
    # -0.1 a step, and +1 / -1 only as boxes enter or leave targets: bounded by the step count
    assert -0.1 * 40 - 1 * 40 <= total <= 2 + 10 - 0.1


def test_huge_and_odd_strings():
    env = SokobanEnv()
    for text in ("x" * 100_000, "\x00\x07\r\n", "上", "ｕｐ", "\u200bup", None, 3):
        start = env.reset(5).observation
        r = env.step(text)  # type: ignore[arg-type]
        assert r.reward == pytest.approx(-0.1) and r.observation == start and not r.info["valid_action"]
    env.reset(5)
    assert env.step("UP\t").info["valid_action"]


def test_random_walks_never_crash_many_seeds():
    rng = random.Random(0)
    for split in ("train", "eval", "unseen"):
        env = SokobanEnv(split=split)
        for seed in range(100):
            r = env.reset(seed)
            while not r.done:
                r = env.step(rng.choice(["up", "down", "left", "right", "stay"]))
            assert r.info["steps"] <= 15
