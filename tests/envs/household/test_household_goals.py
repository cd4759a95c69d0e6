"""Goal checks per task type and the task sentences (docs/environments.md, "Household" — Task types)."""

import pytest

from siri.envs.household.goals import goal_satisfied, task_sentence
from siri.envs.household.scene import Task


@pytest.mark.parametrize(
    "task, text",
    [
        (Task("pick_and_place_simple", "apple", "fridge", phrasing=0), "put a apple in fridge"),
        (Task("pick_and_place_simple", "apple", "fridge", phrasing=1), "put some apple on fridge"),
        (Task("look_at_obj_in_light", "book", None, "desklamp", 0), "look at book under the desklamp"),
        (Task("look_at_obj_in_light", "book", None, "desklamp", 1), "examine the book with the desklamp"),
        (Task("pick_clean_then_place_in_recep", "apple", "fridge", phrasing=0), "put a clean apple in fridge"),
        (Task("pick_clean_then_place_in_recep", "apple", "fridge", phrasing=1), "clean some apple and put it in fridge"),
        (Task("pick_heat_then_place_in_recep", "egg", "countertop", phrasing=0), "put a hot egg in countertop"),
        (Task("pick_heat_then_place_in_recep", "egg", "countertop", phrasing=1), "heat some egg and put it in countertop"),
        (Task("pick_cool_then_place_in_recep", "egg", "cabinet", phrasing=0), "put a cool egg in cabinet"),
        (Task("pick_cool_then_place_in_recep", "egg", "cabinet", phrasing=1), "cool some egg and put it in cabinet"),
        (Task("pick_two_obj_and_place", "mug", "cabinet", phrasing=0), "put two mug in cabinet"),
        (Task("pick_two_obj_and_place", "mug", "cabinet", phrasing=1), "find two mug and put them in cabinet"),
    ],
)
def test_task_sentences(task, text):
    assert task_sentence(task) == text


def test_simple_place(make_scene):
    scene = make_scene(Task("pick_and_place_simple", "apple", "sinkbasin"))
    assert not goal_satisfied(scene)
    scene.obj("apple 1").location = "sinkbasin 1"
    assert goal_satisfied(scene)
    scene.obj("apple 1").location = "fridge 1"  # another receptacle type does not count
    assert not goal_satisfied(scene)


@pytest.mark.parametrize(
    "task_type, state",
    [
        ("pick_heat_then_place_in_recep", "hot"),
        ("pick_cool_then_place_in_recep", "cool"),
        ("pick_clean_then_place_in_recep", "clean"),
    ],
)
def test_state_goals_need_the_state_on_the_placed_object(make_scene, task_type, state):
    scene = make_scene(Task(task_type, "apple", "sinkbasin"))
    scene.obj("apple 1").location = "sinkbasin 1"
    assert not goal_satisfied(scene)  # placed but without the state
    scene.obj("mug 2").location = "sinkbasin 1"
    setattr(scene.obj("mug 2"), state, True)  # the state on another type does not count
    assert not goal_satisfied(scene)
    setattr(scene.obj("apple 1"), state, True)
    assert goal_satisfied(scene)
    scene.obj("apple 1").location, scene.holding = None, "apple 1"  # having it in hand is not placing it
    assert not goal_satisfied(scene)


def test_pick_two_needs_two_distinct_objects_in_one_receptacle(make_scene):
    scene = make_scene(Task("pick_two_obj_and_place", "apple", "cabinet"))
    scene.receptacles.append(type(scene.receptacles[0])("cabinet", 2, openable=True))
    scene.objects.append(type(scene.objects[0])("apple", 2, "countertop 1"))
    scene.obj("apple 1").location = "cabinet 1"
    assert not goal_satisfied(scene)
    scene.obj("apple 2").location = "cabinet 2"  # two cabinets, one each: not yet
    assert not goal_satisfied(scene)
    scene.obj("apple 2").location = "cabinet 1"
    assert goal_satisfied(scene)


def test_light_goal_holds_object_next_to_a_lit_lamp(make_scene):
    scene = make_scene(Task("look_at_obj_in_light", "book", None, "desklamp"))
    scene.agent_at = "sidetable 1"
    scene.obj("book 1").location, scene.holding = None, "book 1"
    assert not goal_satisfied(scene)  # lamp still off
    scene.obj("desklamp 1").is_on = True
    assert goal_satisfied(scene)
    scene.agent_at = "countertop 1"  # lamp on, but not here
    assert not goal_satisfied(scene)
    scene.agent_at = "sidetable 1"
    scene.obj("book 1").location, scene.holding = "sidetable 1", None  # lamp on, book not in hand
    assert not goal_satisfied(scene)
    scene.obj("apple 1").location, scene.holding = None, "apple 1"  # holding the wrong type
    assert not goal_satisfied(scene)
