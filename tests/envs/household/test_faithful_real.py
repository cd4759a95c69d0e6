"""Exported scenes played by the real ALFWorld engine give the texts docs/environments.md quotes (Household —
Text), with our names: the exporter's ids demangle back to "fridge 1", "egg 1", ... Expected strings
are written by hand from the spec (and, where the spec is silent, from the real grammar `alfred.twl2`:
list order, `help`, examining an object not in hand)."""

from __future__ import annotations

import json

import pytest

from siri.utils.errors import install_hint

pytest.importorskip("alfworld", reason=f"the real ALFWorld engine is an optional extra: {install_hint('alfworld')}")

from siri.envs.household.alfworld_adapter import ALFWorldAdapterEnv  # noqa: E402
from siri.envs.household.pddl_export import write_game_file  # noqa: E402
from siri.envs.household.scene import Obj, Receptacle, Scene, Task  # noqa: E402

pytestmark = pytest.mark.alfworld


def kitchen(task: Task) -> Scene:
    receptacles = [
        Receptacle("cabinet", 1, openable=True),
        Receptacle("cabinet", 2, openable=True),
        Receptacle("countertop", 1),
        Receptacle("fridge", 1, openable=True),
        Receptacle("microwave", 1, openable=True),
        Receptacle("sidetable", 1),
        Receptacle("sinkbasin", 1),
    ]
    objects = [
        Obj("egg", 1, "fridge 1"),
        Obj("mug", 1, "countertop 1"),
        Obj("apple", 1, "countertop 1"),
        Obj("mug", 2, "countertop 1"),
        Obj("desklamp", 1, "sidetable 1"),
        Obj("tomato", 1, "cabinet 2"),
    ]
    return Scene("kitchen", receptacles, objects, task)


def play(tmp_path, task: Task) -> ALFWorldAdapterEnv:
    path = write_game_file(kitchen(task), tmp_path / "game")
    env = ALFWorldAdapterEnv(path, max_steps=100)
    return env


HEAT_WALK = [
    ("look", "You are in the middle of a room. Looking quickly around you, you see nothing."),
    ("go to fridge 1", "You arrive at fridge 1. The fridge 1 is closed."),
    ("go to fridge 1", "Nothing happens."),
    ("look", "You are facing the fridge 1. Next to it, you see nothing."),
    ("open fridge 1", "You open the fridge 1. The fridge 1 is open. In it, you see a egg 1."),
    ("take egg 1 from fridge 1", "You pick up the egg 1 from the fridge 1."),
    ("inventory", "You are carrying: a egg 1."),
    ("examine egg 1", "There's nothing special about egg 1."),
    ("cool egg 1 with fridge 1", "You cool the egg 1 using the fridge 1."),
    ("examine egg 1", "This is a cold egg 1."),
    ("close fridge 1", "You close the fridge 1."),
    ("go to microwave 1", "You arrive at microwave 1. The microwave 1 is closed."),
    ("heat egg 1 with microwave 1", "You heat the egg 1 using the microwave 1."),  # closed is fine
    ("examine egg 1", "This is a hot egg 1."),  # heating cleared "cool"
    ("go to sinkbasin 1", "You arrive at sinkbasin 1. On the sinkbasin 1, you see nothing."),
    ("clean egg 1 with sinkbasin 1", "You clean the egg 1 using the sinkbasin 1."),
    ("examine egg 1", "This is a hot and clean egg 1."),
    # lists: by type, then decreasing number (the demangler counts down in id order)
    ("go to countertop 1", "You arrive at countertop 1. On the countertop 1, you see a apple 1, a mug 2, and a mug 1."),
    ("examine apple 1", "Nothing happens."),  # only the object in hand can be examined
    ("Go to fridge 1", "Nothing happens."),  # exact match, no lower-casing
    ("move egg 1 to countertop 1", "You move the egg 1 to the countertop 1."),
]


def test_real_engine_texts_on_an_exported_scene(tmp_path):
    env = play(tmp_path, Task("pick_heat_then_place_in_recep", "egg", "countertop"))
    first = env.reset(0)
    assert first.observation == (
        "-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room. Looking quickly around you, "
        "you see a cabinet 2, a cabinet 1, a countertop 1, a fridge 1, a microwave 1, a sidetable 1, "
        "and a sinkbasin 1.\n\nYour task is to: put a hot egg in countertop."
    )
    assert first.task == "put a hot egg in countertop"
    assert first.task_type == "pick_heat_then_place_in_recep"
    assert first.admissible_actions == (
        "go to cabinet 1", "go to cabinet 2", "go to countertop 1", "go to fridge 1", "go to microwave 1",
        "go to sidetable 1", "go to sinkbasin 1", "help", "inventory", "look",
    )
    for command, expected in HEAT_WALK:
        result = env.step(command)
        assert result.observation == expected, command
    assert result.won and result.done and result.reward == 10.0


def test_admissible_at_an_open_fridge_holding_the_egg(tmp_path):
    env = play(tmp_path, Task("pick_heat_then_place_in_recep", "egg", "countertop"))
    env.reset(0)
    for command in ("go to fridge 1", "open fridge 1", "take egg 1 from fridge 1"):
        last = env.step(command)
    assert last.admissible_actions == (
        "close fridge 1", "cool egg 1 with fridge 1", "examine egg 1", "examine fridge 1", "go to cabinet 1",
        "go to cabinet 2", "go to countertop 1", "go to microwave 1", "go to sidetable 1", "go to sinkbasin 1",
        "help", "inventory", "look", "move egg 1 to fridge 1",
    )


def test_light_task_is_won_by_turning_the_lamp_on_while_holding_the_object(tmp_path):
    env = play(tmp_path, Task("look_at_obj_in_light", "apple", None, "desklamp", phrasing=1))
    first = env.reset(0)
    assert first.task == "examine the apple with the desklamp"
    assert first.task_type == "look_at_obj_in_light"
    walk = ["go to countertop 1", "take apple 1 from countertop 1", "go to sidetable 1"]
    for command in walk:
        assert not env.step(command).won
    last = env.step("use desklamp 1")
    assert last.observation == "You turn on the desklamp 1."
    assert last.won and last.reward == 10.0


def test_help_text(tmp_path):
    env = play(tmp_path, Task("pick_and_place_simple", "apple", "sidetable"))
    env.reset(0)
    text = env.step("help").observation
    assert text.startswith("Available commands:\n  look:")
    assert text.endswith("  slice (object) with (object):     slice an object using a sharp object\n")


def test_game_directory_is_what_alfworld_loader_collects(tmp_path):
    from alfworld.agents.environment.alfred_tw_env import AlfredTWEnv

    scene = kitchen(Task("pick_two_obj_and_place", "mug", "cabinet"))
    write_game_file(scene, tmp_path / "train" / "pick_two_obj_and_place-Mug-None-Cabinet-1" / "trial_1")
    config = {
        "env": {"goal_desc_human_anns_prob": 0, "task_types": [1, 2, 3, 4, 5, 6]},
        "dataset": {"data_path": str(tmp_path / "train"), "num_train_games": -1},
    }
    loader = AlfredTWEnv(config, train_eval="train")
    assert [p.split("/")[-3:] for p in loader.game_files] == [
        ["pick_two_obj_and_place-Mug-None-Cabinet-1", "trial_1", "game.tw-pddl"]
    ]
    game_file = tmp_path / "train" / "pick_two_obj_and_place-Mug-None-Cabinet-1" / "trial_1" / "game.tw-pddl"
    game = json.loads(game_file.read_text())
    assert "Your task is to: put two mug in cabinet." in game["grammar"]
    assert game["solvable"] is True
