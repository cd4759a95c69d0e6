"""The rules of the household world: which commands are admissible in a scene and what each one does
(docs/environments.md, "Household" — Rules, which follow the ALFRED PDDL domain that ALFWorld plays).

`admissible_commands` lists every command whose PDDL preconditions hold, sorted alphabetically;
`execute` applies one of them to the scene (in place) and returns the engine's feedback text. A
command that is not admissible changes nothing and answers "Nothing happens.".

ALFWorld details kept on purpose (checked against the real engine on exported scenes):
- `use` sets the lamp's `is_on` and never clears it (the real domain's `isToggled`, which the goal
  tests, only ever becomes true, and the feedback always says "You turn on");
- heat / cool / clean work on a closed appliance;
- `examine` an object is admissible only for the object in hand (the real engine grounds the PDDL
  precondition's "held" case only), `examine` a receptacle only for the one the agent stands at;
- `look` in the middle of the room sees nothing (the intro alone lists the receptacles);
- lists are ordered by type, then by decreasing number (`listing_order`).
"""

from __future__ import annotations

import re
from typing import Iterable

from siri.envs.household import texts
from siri.envs.household.catalog import APPLIANCE, CLEANABLE, COOLABLE, HEATABLE, TOGGLEABLE, can_contain
from siri.envs.household.scene import Obj, Receptacle, Scene

COMMAND_VERSIONS = ("0.4", "0.3")  # 0.4: `move o to R`; 0.3 (older prompts): `put o in/on R`
_STATE_OK = {"heat": HEATABLE, "cool": COOLABLE, "clean": CLEANABLE}


def is_visible(scene: Scene, recep: Receptacle) -> bool:
    """Contents of a receptacle can be seen and reached when it is not openable or is open."""
    return not recep.openable or recep.is_open


def describe(scene: Scene, recep: Receptacle) -> str:
    names = listing_order(o.name for o in scene.objects_in(recep.name))
    return texts.describe_receptacle(recep.name, recep.openable, recep.is_open, names)


def listing_order(names: Iterable[str]) -> list[str]:
    """The real engine lists things by type, then by *decreasing* number ("a cabinet 2, a cabinet 1")."""
    return sorted(names, key=lambda n: (n.rsplit(" ", 1)[0], -int(n.rsplit(" ", 1)[1])))


def intro_text(scene: Scene, task_sentence: str) -> str:
    return texts.intro(listing_order(r.name for r in scene.receptacles), task_sentence)


def _here(scene: Scene) -> Receptacle | None:
    return scene.receptacle(scene.agent_at) if scene.agent_at else None


def _put_command(obj: str, recep: str, version: str) -> str:
    return f"put {obj} in/on {recep}" if version == "0.3" else f"move {obj} to {recep}"


def _commands_at(scene: Scene, here: Receptacle, version: str) -> list[str]:
    """Commands that need the agent to stand at `here`."""
    out = [f"examine {here.name}"]
    if here.openable:
        out.append(f"{'close' if here.is_open else 'open'} {here.name}")
    inside = scene.objects_in(here.name)
    reachable = is_visible(scene, here)
    for o in inside:
        if reachable and scene.holding is None and o.otype not in TOGGLEABLE:
            out.append(f"take {o.name} from {here.name}")
        if o.otype in TOGGLEABLE:
            out.append(f"use {o.name}")
    held = scene.obj(scene.holding) if scene.holding else None
    if held is not None:
        if reachable and can_contain(here.rtype, held.otype):
            out.append(_put_command(held.name, here.name, version))
        for verb, appliance in APPLIANCE.items():
            if here.rtype == appliance and held.otype in _STATE_OK[verb]:
                out.append(f"{verb} {held.name} with {here.name}")
    return out


def admissible_commands(scene: Scene, version: str = "0.4") -> list[str]:
    """Every command whose preconditions hold now, sorted alphabetically (help/inventory/look always)."""
    out = ["help", "inventory", "look"]
    out += [f"go to {r.name}" for r in scene.receptacles if r.name != scene.agent_at]
    here = _here(scene)
    if here is not None:
        out += _commands_at(scene, here, version)
    if scene.holding is not None:
        out.append(f"examine {scene.holding}")
    return sorted(out)


_NAME = r"([a-z]+ \d+)"
_PATTERNS = [
    (re.compile(rf"go to {_NAME}"), "goto"),
    (re.compile(rf"open {_NAME}"), "open"),
    (re.compile(rf"close {_NAME}"), "close"),
    (re.compile(rf"take {_NAME} from {_NAME}"), "take"),
    (re.compile(rf"move {_NAME} to {_NAME}"), "move"),
    (re.compile(rf"put {_NAME} in/on {_NAME}"), "put_old"),
    (re.compile(rf"(heat|cool|clean) {_NAME} with {_NAME}"), "appliance"),
    (re.compile(rf"use {_NAME}"), "use"),
    (re.compile(rf"examine {_NAME}"), "examine"),
]


def execute(scene: Scene, command: str, version: str = "0.4", admissible: list[str] | None = None) -> str:
    """Apply `command` to `scene` in place and return the feedback; "Nothing happens." if inadmissible.

    `admissible` may pass the list already computed for this state, to avoid computing it twice.
    """
    allowed = admissible if admissible is not None else admissible_commands(scene, version)
    if command not in allowed:
        return texts.NOTHING_HAPPENS
    if command == "help":
        return texts.HELP
    if command == "inventory":
        return texts.inventory(scene.holding)
    if command == "look":
        here = _here(scene)
        return texts.look_at(here.name) if here else texts.look_middle([])
    for pattern, kind in _PATTERNS:
        match = pattern.fullmatch(command)
        if match:
            return _APPLY[kind](scene, *match.groups())
    return texts.NOTHING_HAPPENS  # unreachable for commands produced by admissible_commands


def _goto(scene: Scene, name: str) -> str:
    scene.agent_at = name
    recep = scene.receptacle(name)
    assert recep is not None
    return texts.arrive(name, describe(scene, recep))


def _open(scene: Scene, name: str) -> str:
    recep = scene.receptacle(name)
    assert recep is not None
    recep.is_open = True
    return texts.opened(name, describe(scene, recep))


def _close(scene: Scene, name: str) -> str:
    recep = scene.receptacle(name)
    assert recep is not None
    recep.is_open = False
    return texts.closed(name)


def _take(scene: Scene, obj_name: str, recep_name: str) -> str:
    obj = _obj(scene, obj_name)
    obj.location = None
    scene.holding = obj_name
    return texts.take(obj_name, recep_name)


def _place(scene: Scene, obj_name: str, recep_name: str) -> None:
    _obj(scene, obj_name).location = recep_name
    scene.holding = None


def _move(scene: Scene, obj_name: str, recep_name: str) -> str:
    _place(scene, obj_name, recep_name)
    return texts.move(obj_name, recep_name)


def _put_old(scene: Scene, obj_name: str, recep_name: str) -> str:
    _place(scene, obj_name, recep_name)
    return texts.put_old(obj_name, recep_name)


def _appliance(scene: Scene, verb: str, obj_name: str, recep_name: str) -> str:
    obj = _obj(scene, obj_name)
    if verb == "heat":
        obj.hot, obj.cool = True, False
    elif verb == "cool":
        obj.cool, obj.hot = True, False
    else:
        obj.clean = True
    return texts.apply_appliance(verb, obj_name, recep_name)


def _use(scene: Scene, lamp_name: str) -> str:
    _obj(scene, lamp_name).is_on = True
    return texts.turn_on(lamp_name)


def _examine(scene: Scene, name: str) -> str:
    recep = scene.receptacle(name)
    if recep is not None:
        return describe(scene, recep)
    obj = _obj(scene, name)
    lamp_on = obj.is_on if obj.otype in TOGGLEABLE else None
    return texts.examine_object(obj.name, obj.hot, obj.cool, obj.clean, lamp_on)


def _obj(scene: Scene, name: str) -> Obj:
    obj = scene.obj(name)
    assert obj is not None, name
    return obj


_APPLY = {
    "goto": _goto,
    "open": _open,
    "close": _close,
    "take": _take,
    "move": _move,
    "put_old": _put_old,
    "appliance": _appliance,
    "use": _use,
    "examine": _examine,
}
