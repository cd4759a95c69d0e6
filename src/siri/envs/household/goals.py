"""Task sentences and goal tests for the six ALFWorld task types (docs/environments.md, "Household" — Task
types and Success). The goal tests mirror ALFWorld's PDDL goals: some object of the goal type, with the
required state, lies in some receptacle of the goal type (two distinct ones in the same receptacle for
`pick_two_obj_and_place`); for the light task the agent holds an object of the goal type while a lamp
standing in a receptacle at its location has been turned on.
"""

from __future__ import annotations

from siri.envs.household.catalog import TOGGLEABLE
from siri.envs.household.scene import Obj, Scene, Task

# task type -> (phrasing 0, phrasing 1); {obj}, {recep}, {lamp} are filled in.
TEMPLATES: dict[str, tuple[str, str]] = {
    "pick_and_place_simple": ("put a {obj} in {recep}", "put some {obj} on {recep}"),
    "look_at_obj_in_light": ("look at {obj} under the {lamp}", "examine the {obj} with the {lamp}"),
    "pick_clean_then_place_in_recep": ("put a clean {obj} in {recep}", "clean some {obj} and put it in {recep}"),
    "pick_heat_then_place_in_recep": ("put a hot {obj} in {recep}", "heat some {obj} and put it in {recep}"),
    "pick_cool_then_place_in_recep": ("put a cool {obj} in {recep}", "cool some {obj} and put it in {recep}"),
    "pick_two_obj_and_place": ("put two {obj} in {recep}", "find two {obj} and put them in {recep}"),
}

# task type -> the object state the goal needs ("" = none)
REQUIRED_STATE: dict[str, str] = {
    "pick_and_place_simple": "",
    "look_at_obj_in_light": "",
    "pick_clean_then_place_in_recep": "clean",
    "pick_heat_then_place_in_recep": "hot",
    "pick_cool_then_place_in_recep": "cool",
    "pick_two_obj_and_place": "",
}


def task_sentence(task: Task) -> str:
    """The instruction, e.g. "put a clean apple in fridge" (no final period; the intro adds one)."""
    template = TEMPLATES[task.task_type][task.phrasing]
    return template.format(obj=task.obj_type, recep=task.recep_type or "", lamp=task.lamp_type or "desklamp")


def has_state(obj: Obj, state: str) -> bool:
    return state == "" or bool(getattr(obj, state))


def goal_satisfied(scene: Scene) -> bool:
    """Whether the scene's task is done now."""
    task = scene.task
    if task.task_type == "look_at_obj_in_light":
        return _light_goal(scene)
    need = 2 if task.task_type == "pick_two_obj_and_place" else 1
    state = REQUIRED_STATE[task.task_type]
    for recep in scene.receptacles:
        if recep.rtype != task.recep_type:
            continue
        good = [o for o in scene.objects_in(recep.name) if o.otype == task.obj_type and has_state(o, state)]
        if len(good) >= need:
            return True
    return False


def _light_goal(scene: Scene) -> bool:
    held = scene.obj(scene.holding) if scene.holding else None
    if held is None or held.otype != scene.task.obj_type or scene.agent_at is None:
        return False
    lamp_types = (scene.task.lamp_type,) if scene.task.lamp_type else tuple(TOGGLEABLE)
    return any(o.otype in lamp_types and o.is_on for o in scene.objects_in(scene.agent_at))
