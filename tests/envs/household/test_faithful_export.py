"""The PDDL exporter (docs/environments.md, "Household" — Faithful mode), checked without the real engine:
ids the ALFWorld demangler maps back to our names (worked out by hand from its rule: ids of one type
sorted ascending get numbers n, n-1, ..., 1; an id containing "basin" gets "basin" appended to the part
before the first `_bar_`), the facts of a hand-built scene, the goals, and the one-line errors."""

from __future__ import annotations

import re

import pytest

from siri.envs.base import EnvError
from siri.envs.household.pddl_export import entity_ids, scene_to_pddl_problem
from siri.envs.household.pddl_goals import goal_pddl, task_type_from_goal
from siri.envs.household.scene import TASK_TYPES, Obj, Receptacle, Scene, Task


def kitchen(task: Task | None = None) -> Scene:
    """cabinet 1 (open), cabinet 2 (closed), countertop 1 (apple 1, apple 3, knife 1), fridge 1 (closed,
    apple 2), sinkbasin 1, sidetable 1 (desklamp 1, on); the agent at countertop 1 holding mug 1."""
    receptacles = [
        Receptacle("cabinet", 1, openable=True, is_open=True),
        Receptacle("cabinet", 2, openable=True),
        Receptacle("countertop", 1),
        Receptacle("fridge", 1, openable=True),
        Receptacle("sinkbasin", 1),
        Receptacle("sidetable", 1),
    ]
    objects = [
        Obj("apple", 1, "countertop 1"),
        Obj("apple", 3, "countertop 1", hot=True),
        Obj("apple", 2, "fridge 1", cool=True),
        Obj("knife", 1, "countertop 1", clean=True),
        Obj("mug", 1, None),
        Obj("desklamp", 1, "sidetable 1", is_on=True),
    ]
    task = task or Task("pick_cool_then_place_in_recep", "apple", "countertop")
    return Scene("kitchen", receptacles, objects, task, agent_at="countertop 1", holding="mug 1")


def test_ids_count_down_per_type_so_the_demangler_restores_our_numbers():
    ids = entity_ids(kitchen())
    # three apples: sorted ids 0000 < 0001 < 0002 get numbers 3, 2, 1
    assert ids["apple 3"] == "apple_bar_0000"
    assert ids["apple 2"] == "apple_bar_0001"
    assert ids["apple 1"] == "apple_bar_0002"
    assert ids["cabinet 2"] == "cabinet_bar_0000" and ids["cabinet 1"] == "cabinet_bar_0001"
    # "sink" + "basin" = "sinkbasin", as for ALFRED's `Sink|...|SinkBasin`
    assert ids["sinkbasin 1"] == "sink_bar_0000_bar_sinkbasin"


def test_problem_holds_the_scene_state():
    problem = scene_to_pddl_problem(kitchen())
    facts = set(re.findall(r"\([^()]*\)", problem.split("(:init", 1)[1].split("(:goal", 1)[0]))
    expected = {
        "(atLocation agent1 loc_bar_3)",  # countertop 1 is the third receptacle -> loc_bar_3
        "(holds agent1 mug_bar_0000)",
        "(holdsAny agent1)",
        "(openable cabinet_bar_0001)",
        "(opened cabinet_bar_0001)",
        "(openable cabinet_bar_0000)",
        "(openable fridge_bar_0000)",
        "(inReceptacle apple_bar_0001 fridge_bar_0000)",
        "(objectAtLocation apple_bar_0001 loc_bar_4)",
        "(isHot apple_bar_0000)",
        "(isCool apple_bar_0001)",
        "(isClean knife_bar_0000)",
        "(toggleable desklamp_bar_0000)",
        "(isOn desklamp_bar_0000)",
        "(isToggled desklamp_bar_0000)",
        "(receptacleType sink_bar_0000_bar_sinkbasin sinkbasintype)",
        "(heatable apple_bar_0002)",
        "(cleanable knife_bar_0000)",
        "(pickupable mug_bar_0000)",
        "(canContain fridgetype appletype)",
        "(canContain countertoptype knifetype)",
    }
    assert expected <= facts
    forbidden = {
        "(opened cabinet_bar_0000)",  # cabinet 2 is closed
        "(pickupable desklamp_bar_0000)",  # lamps stay where they are
        "(heatable knife_bar_0000)",
        "(canContain sinkbasintype desklamptype)",
        "(canContain fridgetype knifetype)",
    }
    assert not forbidden & facts
    assert not any(f.startswith("(inReceptacle mug_bar_0000") for f in facts)  # held, not in a receptacle
    assert not any(f.startswith(("(isReceptacleObject", "(sliceable")) for f in facts)
    assert problem.count("(") == problem.count(")")


def test_alfred_extras_add_the_facts_real_alfworld_problems_have():
    problem = scene_to_pddl_problem(kitchen(), alfred_extras=True)
    assert "(isReceptacleObject mug_bar_0000)" in problem
    assert "(sliceable apple_bar_0000)" in problem
    assert "(sliceable knife_bar_0000)" not in problem


def test_agent_in_the_middle_of_the_room_stands_at_its_own_location():
    scene = kitchen()
    scene.agent_at, scene.holding = None, None
    scene.objects = [o for o in scene.objects if o.otype != "mug"]
    problem = scene_to_pddl_problem(scene)
    assert "(atLocation agent1 loc_bar_0)" in problem
    assert "holds" not in problem.split("(:init", 1)[1].split("(:goal", 1)[0]


@pytest.mark.parametrize(
    "task, needles",
    [
        (
            Task("pick_and_place_simple", "apple", "countertop"),
            ["(objectType ?o appletype)", "(receptacleType ?r countertoptype)"],
        ),
        (Task("pick_clean_then_place_in_recep", "apple", "fridge"), ["(cleanable ?o)", "(isClean ?o)"]),
        (Task("pick_heat_then_place_in_recep", "apple", "fridge"), ["(heatable ?o)", "(isHot ?o)"]),
        (Task("pick_cool_then_place_in_recep", "apple", "countertop"), ["(coolable ?o)", "(isCool ?o)"]),
        (Task("pick_two_obj_and_place", "apple", "cabinet"), ["(not (= ?o1 ?o2))", "(inReceptacle ?o2 ?r)"]),
        (
            Task("look_at_obj_in_light", "apple", None, "desklamp"),
            ["(objectType ?t desklamptype)", "(isToggled ?t)", "(holds ?a ?o)"],
        ),
    ],
)
def test_goal_per_task_type(task, needles):
    problem = scene_to_pddl_problem(kitchen(task))
    goal = problem.split("(:goal", 1)[1]
    for needle in needles:
        assert needle in goal
    assert task_type_from_goal(problem) == task.task_type


def test_every_task_type_has_a_goal():
    for task_type in TASK_TYPES:
        assert goal_pddl(task_type, "appletype", "fridgetype", "desklamptype").startswith("(:goal")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.objects.append(Obj("apple", 5, "fridge 1")), "numbers"),
        (lambda s: s.objects.append(Obj("egg", 1, "oven 1")), "unknown receptacle"),
        (lambda s: setattr(s, "agent_at", "oven 1"), "unknown receptacle"),
        (lambda s: setattr(s, "holding", "pear 1"), "unknown object"),
        (lambda s: s.objects.append(Obj("cabinet", 1, "fridge 1")), "both as object and receptacle"),
        (lambda s: s.receptacles.append(Receptacle("Shelf", 1)), "lower-case"),
    ],
)
def test_scenes_the_demangler_cannot_name_are_refused(change, message):
    scene = kitchen()
    change(scene)
    with pytest.raises(EnvError, match=message):
        scene_to_pddl_problem(scene)


def test_light_goal_needs_a_lamp_type():
    with pytest.raises(EnvError, match="lamp"):
        goal_pddl("look_at_obj_in_light", "appletype", None, None)
