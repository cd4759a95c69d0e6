"""PDDL goals of the six ALFWorld task types, written for the ALFRED domain that the real engine plays
(docs/environments.md, "Household" — Faithful mode).

They state what ALFWorld's own problems state (its goal library): some object of the goal type, in the
required state, lies in some receptacle of the goal type (two distinct ones in the same receptacle for
`pick_two_obj_and_place`); for the light task the agent holds an object of the goal type while a lamp of
the goal lamp type, toggled at least once (`isToggled`, never cleared), stands in a receptacle at the
agent's location. `{obj}`, `{recep}` and `{lamp}` are PDDL type constants such as `appletype`.
"""

from __future__ import annotations

from siri.envs.base import EnvError

_STATE_PREDICATES = {
    "pick_clean_then_place_in_recep": ("cleanable", "isClean"),
    "pick_heat_then_place_in_recep": ("heatable", "isHot"),
    "pick_cool_then_place_in_recep": ("coolable", "isCool"),
}


def _placed(obj: str, recep: str, extra: str = "") -> str:
    return (
        "(:goal (exists (?r - receptacle) (exists (?o - object) (and "
        f"(objectType ?o {obj}) (receptacleType ?r {recep}) (inReceptacle ?o ?r){extra}))))"
    )


def _two_placed(obj: str, recep: str) -> str:
    return (
        "(:goal (exists (?r - receptacle) (exists (?o1 - object) (and "
        f"(objectType ?o1 {obj}) (receptacleType ?r {recep}) (inReceptacle ?o1 ?r) "
        "(exists (?o2 - object) (and (not (= ?o1 ?o2)) "
        f"(objectType ?o2 {obj}) (inReceptacle ?o2 ?r)))))))"
    )


def _in_light(obj: str, lamp: str) -> str:
    return (
        "(:goal (and "
        "(exists (?t - object ?r - receptacle ?a - agent ?l - location) (and "
        f"(objectType ?t {lamp}) (toggleable ?t) (isToggled ?t) "
        "(receptacleAtLocation ?r ?l) (atLocation ?a ?l) (inReceptacle ?t ?r))) "
        f"(exists (?o - object ?a - agent) (and (objectType ?o {obj}) (holds ?a ?o)))))"
    )


def goal_pddl(task_type: str, obj: str, recep: str | None, lamp: str | None) -> str:
    """The `(:goal ...)` block for a task; arguments are PDDL type constants (`appletype`)."""
    if task_type == "look_at_obj_in_light":
        if lamp is None:
            raise EnvError("look_at_obj_in_light needs a lamp type; allowed: desklamp, floorlamp")
        return _in_light(obj, lamp)
    if recep is None:
        raise EnvError(f"{task_type} needs a target receptacle type")
    if task_type == "pick_and_place_simple":
        return _placed(obj, recep)
    if task_type == "pick_two_obj_and_place":
        return _two_placed(obj, recep)
    if task_type in _STATE_PREDICATES:
        able, state = _STATE_PREDICATES[task_type]
        return _placed(obj, recep, f" ({able} ?o) ({state} ?o)")
    raise EnvError(f"unknown task type {task_type!r}")


def task_type_from_goal(problem: str) -> str:
    """Guess the task type of an ALFWorld problem from its goal (for game files without traj data)."""
    goal = problem.lower().split("(:goal", 1)[-1]
    if "istoggled" in goal:
        return "look_at_obj_in_light"
    for task_type, (_, state) in _STATE_PREDICATES.items():
        if state.lower() in goal:
            return task_type
    if "?o2" in goal:
        return "pick_two_obj_and_place"
    return "pick_and_place_simple"
