"""`ALFWorldAdapterEnv` (docs/environments.md, "Household" — Real adapter) on game files written from our own
scenes: the Env contract on the real engine, the ALFWorld data-tree layout and splits, and the errors."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys

import pytest

from siri.envs.base import EnvError
from siri.envs.household.alfworld_games import find_game_files, our_split
from siri.envs.household.env import HouseholdEnv
from siri.envs.household.oracle import PlannerOracle
from siri.envs.household.pddl_export import scene_to_pddl_problem
from siri.utils.errors import install_hint

pytest.importorskip("alfworld", reason=f"the real ALFWorld engine is an optional extra: {install_hint('alfworld')}")

from siri.envs.household.alfworld_adapter import ALFWorldAdapterEnv, ALFWorldPlannerOracle, parse_task  # noqa: E402
from siri.envs.household.pddl_export import write_game_file  # noqa: E402

pytestmark = pytest.mark.alfworld


def planner_walk(env: HouseholdEnv, seed: int) -> tuple[object, list[str]]:
    """Our scene for `seed` and the planner oracle's winning command list on our engine."""
    last = env.reset(seed)
    scene = copy.deepcopy(env.scene)
    oracle, commands = PlannerOracle(env), []
    while not last.done:
        commands.append(oracle.act(last))
        last = env.step(commands[-1])
    assert last.won
    return scene, commands


def trial_dir(root, split_dir: str, scene, seed: int):
    return root / split_dir / f"{scene.task.task_type}-{scene.task.obj_type}-None-x-{seed}" / f"trial_{seed}"


@pytest.fixture(scope="module")
def data_tree(tmp_path_factory):
    """json_2.1.1-like tree: train (3 games), valid_seen (1), valid_unseen (1), with planner walks."""
    root = tmp_path_factory.mktemp("alfworld") / "json_2.1.1"
    walks = {}
    layout = (("train", "train", (0, 1, 2)), ("eval", "valid_seen", (0,)), ("unseen", "valid_unseen", (0,)))
    for split, split_dir, seeds in layout:
        env = HouseholdEnv(split=split, size="tiny")
        for seed in seeds:
            scene, commands = planner_walk(env, seed)
            path = write_game_file(scene, trial_dir(root, split_dir, scene, seed), walkthrough=commands)
            walks[str(path)] = (scene, commands)
    return root, walks


def test_planner_walk_wins_on_the_real_engine(data_tree):
    root, walks = data_tree
    env = ALFWorldAdapterEnv(root, split="train")
    assert len(env.game_files) == 3
    for seed in range(3):
        first = env.reset(seed)
        scene, commands = walks[first.info["gamefile"]]
        assert first.task_type == scene.task.task_type
        assert first.observation.endswith(f"Your task is to: {first.task}.")
        assert first.admissible_actions == tuple(sorted(first.admissible_actions))
        assert first.anchor == first.observation and first.task_score is None
        for command in commands[:-1]:
            last = env.step(command)
            assert not last.won and last.reward == 0.0 and not last.done
        last = env.step(commands[-1])
        assert last.won and last.done and last.reward == 10.0
        again = env.step("look")  # after done: same final state, no second reward
        assert again.observation == last.observation and again.reward == 0.0 and again.done


def test_reset_picks_game_seed_mod_n_deterministically(data_tree):
    root, _ = data_tree
    env = ALFWorldAdapterEnv(root, split="train")
    first, wrapped = env.reset(1), env.reset(4)
    assert first.info["gamefile"] == wrapped.info["gamefile"] == str(env.game_files[1])
    assert first.observation == wrapped.observation
    assert env.reset(2).info["gamefile"] == str(env.game_files[2])


def test_splits_use_alfworld_folders_and_names(data_tree):
    root, _ = data_tree
    assert [p.parts[-4] for p in find_game_files(root, "eval")] == ["valid_seen"]
    assert [p.parts[-4] for p in find_game_files(root.parent, "unseen")] == ["valid_unseen"]  # above json_2.1.1
    assert our_split("eval_out_of_distribution") == "unseen" and our_split("eval_in_distribution") == "eval"
    env = ALFWorldAdapterEnv(root, split="eval_in_distribution")
    assert env.split == "eval" and len(env.game_files) == 1
    with pytest.raises(EnvError, match="unknown split 'test'"):
        ALFWorldAdapterEnv(root, split="test")


def test_real_planner_oracle_solves_an_exported_game(data_tree):
    root, _ = data_tree
    env = ALFWorldAdapterEnv(root, split="unseen")
    last, oracle = env.reset(0), ALFWorldPlannerOracle(env)
    for _ in range(30):
        last = env.step(oracle.act(last))
        if last.done:
            break
    assert last.won


def test_text_only_searcher_oracle_solves_real_games(data_tree):
    """The same agent-side code runs on the real engine: our searcher reads only observation texts."""
    from siri.envs.household.oracle import SearcherOracle

    root, _ = data_tree
    env = ALFWorldAdapterEnv(root, split="train")
    for seed in (0, 1):
        last, oracle = env.reset(seed), SearcherOracle(env, seed=seed)
        while not last.done:
            last = env.step(oracle.act(last))
        assert last.won and last.reward == 10.0


def test_skips_unsolvable_movable_and_sliced_games(tmp_path, data_tree):
    _, walks = data_tree
    scene, _ = next(iter(walks.values()))
    good = write_game_file(scene, tmp_path / "b_good")
    bad = write_game_file(scene, tmp_path / "a_bad")
    write_game_file(scene, tmp_path / "pick_and_place_with_movable_recep-x" / "t")
    write_game_file(scene, tmp_path / "pick_heat_then_place_in_recep-AppleSliced-None-x" / "t")
    data = json.loads(bad.read_text())
    data["solvable"] = False
    bad.write_text(json.dumps(data))
    env = ALFWorldAdapterEnv(tmp_path)
    assert env.game_files == [bad, good]
    assert env.reset(0).info["gamefile"] == str(good)  # the unsolvable one is passed over


def test_task_type_without_traj_data_comes_from_the_folder_or_the_goal(tmp_path, data_tree):
    _, walks = data_tree
    scene, _ = next(iter(walks.values()))
    for folder in ("pick_two_obj_and_place-X-None-Y-1/trial_1", "plain"):
        path = write_game_file(scene, tmp_path / folder)
        (path.parent / "traj_data.json").unlink()
        env = ALFWorldAdapterEnv(path)
        expected = "pick_two_obj_and_place" if folder != "plain" else scene.task.task_type
        assert env.reset(0).task_type == expected


def test_step_never_raises_and_max_steps_ends_the_episode(data_tree):
    root, _ = data_tree
    env = ALFWorldAdapterEnv(root, split="eval", max_steps=5)
    env.reset(0)
    for action in ["", "x" * 100_000, "çà 日本", "\x00\x1b[2J\n", 7]:
        last = env.step(action)
        assert last.observation == "Nothing happens." and not last.won
    assert last.done and last.info["steps"] == 5


def test_errors_are_one_clear_line(tmp_path, monkeypatch):
    with pytest.raises(EnvError, match="no such ALFWorld game file or folder"):
        ALFWorldAdapterEnv(tmp_path / "missing")
    with pytest.raises(EnvError, match="no game.tw-pddl files"):
        ALFWorldAdapterEnv(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(EnvError, match="not an ALFWorld game file"):
        ALFWorldAdapterEnv(tmp_path / "notes.txt")
    monkeypatch.delenv("ALFWORLD_DATA", raising=False)
    with pytest.raises(EnvError, match=r"ALFWORLD_DATA"):
        ALFWorldAdapterEnv()


def test_a_broken_game_file_is_a_clear_error(tmp_path, data_tree):
    _, walks = data_tree
    scene, _ = next(iter(walks.values()))
    path = write_game_file(scene, tmp_path)
    game = json.loads(path.read_text())
    game["pddl_problem"] = game["pddl_problem"].replace("(atLocation agent1 loc_bar_0)", "(atLocation agent1 nowhere)")
    path.write_text(json.dumps(game))
    with pytest.raises(EnvError, match="cannot load"):
        ALFWorldAdapterEnv(path).reset(0)


def test_argument_errors(data_tree):
    root, _ = data_tree
    with pytest.raises(EnvError, match="max_steps"):
        ALFWorldAdapterEnv(root, max_steps=0)
    with pytest.raises(EnvError, match="unknown household task type"):
        ALFWorldAdapterEnv(root, task_types=["pick_and_eat"])
    env = ALFWorldAdapterEnv(root)
    with pytest.raises(EnvError, match="reset"):
        env.step("look")
    with pytest.raises(EnvError, match="seed"):
        env.reset(-1)


def test_task_types_filter(data_tree):
    root, walks = data_tree
    train = [(s, c) for p, (s, c) in walks.items() if "/train/" in p]
    wanted = train[1][0].task.task_type
    env = ALFWorldAdapterEnv(root, task_types=[wanted])
    assert all(env.reset(seed).task_type == wanted for seed in (0, 2))


def test_missing_extra_gives_install_hint(data_tree, monkeypatch):
    root, _ = data_tree
    monkeypatch.setitem(sys.modules, "alfworld.agents.environment.alfred_tw_env", None)
    env = ALFWorldAdapterEnv(root)
    with pytest.raises(EnvError, match=re.escape(install_hint("alfworld"))):
        env.reset(0)


def test_parse_task():
    intro = "-= Welcome =-\n\nYou are...\n\nYour task is to: put a hot egg in countertop."
    assert parse_task(intro) == "put a hot egg in countertop"
    assert parse_task("no task here") == ""


def test_importing_the_adapter_loads_no_engine():
    code = (
        "import sys, siri.envs.household.alfworld_adapter, siri.envs.household.pddl_export;"
        "bad = [m for m in ('alfworld', 'textworld', 'fast_downward', 'torch') if m in sys.modules];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_exported_problem_needs_no_engine():
    scene, _ = planner_walk(HouseholdEnv(size="tiny"), 3)
    assert scene_to_pddl_problem(scene).startswith("(define (problem siri)")
