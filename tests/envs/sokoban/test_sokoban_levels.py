"""Reverse-play generator: solvable levels, byte-for-byte determinism, split layouts, bad settings."""

import os
import subprocess
import sys

import pytest

from siri.envs.base import EnvError
from siri.envs.sokoban import SokobanEnv, solve
from siri.envs.sokoban.levels import LevelConfig, layout_key, reverse_play
from siri.envs.sokoban.room import Level, Room, boxes_on_target, make_level, render


def floor_of(room):
    return frozenset(room.floor_cells())


def test_every_generated_level_is_solvable_fast():
    for split in ("train", "eval", "unseen"):
        env = SokobanEnv(split=split)
        for seed in range(70):
            env.reset(seed)
            level = Level(env.room, env.state)
            assert boxes_on_target(env.room, env.state) == 0  # reverse play leaves every target empty
            assert env.state.player not in env.room.targets
            plan = solve(level)
            assert plan is not None and len(plan) >= 1


@pytest.mark.slow
@pytest.mark.parametrize("dim, boxes, seeds", [(6, 1, 2000), (7, 2, 300), ((6, 8), 2, 300)])
def test_every_generated_level_is_solvable_slow(dim, boxes, seeds):
    env = SokobanEnv(dim=dim, num_boxes=boxes)
    for seed in range(seeds):
        env.reset(seed)
        assert solve(Level(env.room, env.state)) is not None


def test_same_seed_same_level_in_a_fresh_env():
    a, b = SokobanEnv(), SokobanEnv()
    for seed in (0, 1, 17, 10**12, -5):
        assert a.reset(seed).observation == b.reset(seed).observation
    # different splits draw from different seed spaces
    obs = {split: [SokobanEnv(split=split).reset(s).observation for s in range(30)] for split in ("train", "eval")}
    assert obs["train"] != obs["eval"]


_DUMP = (
    "from siri.envs.sokoban import SokobanEnv\n"
    "for split in ('train', 'unseen'):\n"
    "    env = SokobanEnv(split=split, dim=7, num_boxes=2)\n"
    "    for s in range(25):\n"
    "        print(repr(env.reset(s).observation))\n"
)


def test_levels_do_not_depend_on_hash_seed_or_process():
    outs = []
    for hash_seed in ("0", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        outs.append(subprocess.run([sys.executable, "-c", _DUMP], env=env, capture_output=True, text=True, check=True).stdout)
    assert outs[0] == outs[1] and outs[0].count("\n") == 50


def test_unseen_split_holds_out_whole_layouts():
    keys = {}
    for split in ("train", "eval", "unseen"):
        env = SokobanEnv(split=split)
        keys[split] = set()
        for seed in range(60):
            env.reset(seed)
            keys[split].add(layout_key(floor_of(env.room), LevelConfig()))
    assert all(k % 5 == 0 for k in keys["unseen"])
    assert all(k % 5 != 0 for k in keys["train"] | keys["eval"])
    assert not keys["unseen"] & (keys["train"] | keys["eval"])


def test_reverse_play_on_a_corridor_pulls_the_box_as_far_as_it_can():
    # "#_O_P_#": pulls drag the box from its target (1,2) away from the player; the only way to pull it
    # is with the player on (1,3) walking right: box to (1,3), then (1,4); player ends on (1,5).
    walls = {(r, c) for r in range(3) for c in range(7) if r != 1 or c in (0, 6)}
    room = Room(3, 7, frozenset(walls), frozenset({(1, 2)}))
    state, score = reverse_play(room, (1, 4), search_depth=30)
    assert state.boxes == {(1, 4)} and state.player == (1, 5)
    assert score == 2 * 2  # two pulls times a displacement of two
    # and the level it makes is solved by pushing back twice
    level = make_level(room.walls, room.targets, state.player, state.boxes, 3, 7)
    assert solve(level) == ["left", "left"]
    assert render(room, state) == "#######\n#_O_XP#\n#######"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(dim=4), "room size"),
        (dict(dim=(6, 40)), "room size"),
        (dict(dim="6"), "dim must be"),
        (dict(num_boxes=0), "num_boxes"),
        (dict(num_boxes=15), "num_boxes"),
        (dict(search_depth=1), "search_depth"),
        (dict(max_steps=0), "max_steps"),
        (dict(split="test"), "unknown split"),
        (dict(level=42), "level must be"),
    ],
)
def test_bad_options_name_what_is_allowed(kwargs, message):
    with pytest.raises(EnvError, match=message):
        SokobanEnv(**kwargs)
