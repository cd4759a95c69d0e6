"""Faithful mode: export a household scene as an ALFRED PDDL problem and an ALFWorld game directory that
the real `alfworld` text engine plays (docs/environments.md, "Household" — Faithful mode).

Names. The real engine never prints PDDL ids: ALFWorld's demangler names every id `type_bar_...` as
"type N", counting per type in *descending* id order (the first id in sorted order gets the highest
number), and a receptacle whose id contains "basin" gets "basin" appended to its type ("sink_bar_..." ->
"sinkbasin"). So "apple k" of n apples gets the id `apple_bar_{n-k:04d}`, which the demangler turns back
into "apple k". A consequence the engine must copy: the real engine lists things in sorted-id order, i.e.
by type, then by *decreasing* number ("a cabinet 2, a cabinet 1, a countertop 1").

Facts. One location per receptacle plus `loc_bar_0`, the middle of the room. Object properties follow
the catalog the engine uses (ALFRED's heatable / coolable / cleanable / toggleable sets and its
`canContain` table); lamps are not pickupable. A lamp our engine has turned on is `isOn` and
`isToggled` (the goal tests `isToggled`, which `use` only ever sets). With `alfred_extras=True` the
problem also carries two facts real ALFWorld problems have and our engine does not model:
`isReceptacleObject` for movable receptacles (bowl, box, cup, mug, pan, plate, pot: `examine` then
answers "This is a normal mug 1. In it, you see nothing.") and `sliceable` (a held knife makes
`slice X with knife N` admissible).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from siri.envs.base import EnvError
from siri.envs.household.catalog import CLEANABLE, COOLABLE, HEATABLE, TOGGLEABLE, can_contain
from siri.envs.household.goals import task_sentence
from siri.envs.household.pddl_goals import goal_pddl
from siri.envs.household.scene import Scene
from siri.utils.errors import install_hint

AGENT = "agent1"
MIDDLE = "loc_bar_0"
# Types the ALFRED domain names in its actions; declared so every problem grounds them.
DOMAIN_RTYPES = ("fridge", "microwave", "sinkbasin")
DOMAIN_OTYPES = ("butterknife", "knife")
# ALFRED facts our engine does not model (exported only with alfred_extras=True).
MOVABLE_RECEPTACLES = frozenset("bowl box cup mug pan plate pot".split())
SLICEABLE = frozenset("apple bread egg lettuce potato tomato".split())
_TYPE_WORD = re.compile(r"[a-z]+")


def type_const(type_name: str) -> str:
    """The PDDL constant of an object or receptacle type: "apple" -> "appletype"."""
    return f"{type_name}type"


def _entity_id(type_name: str, num: int, count: int) -> str:
    """An id the ALFWorld demangler names "type num" when `count` entities share the type."""
    rank = f"{count - num:04d}"
    if type_name.endswith("basin"):
        return f"{type_name[: -len('basin')]}_bar_{rank}_bar_{type_name}"
    return f"{type_name}_bar_{rank}"


def _check_names(kind: str, items: list[tuple[str, int]]) -> dict[str, int]:
    """Types must be lower-case words, numbered 1..n per type (what the demangler can reproduce)."""
    counts: dict[str, list[int]] = {}
    for type_name, num in items:
        if not _TYPE_WORD.fullmatch(type_name) or ("basin" in type_name and not type_name.endswith("basin")):
            raise EnvError(f"{kind} type {type_name!r} cannot be exported; allowed: lower-case letters only")
        counts.setdefault(type_name, []).append(num)
    for type_name, nums in counts.items():
        if sorted(nums) != list(range(1, len(nums) + 1)):
            raise EnvError(f"{kind} {type_name} numbers {sorted(nums)} must be 1..{len(nums)} for export")
    return {t: len(nums) for t, nums in counts.items()}


def entity_ids(scene: Scene) -> dict[str, str]:
    """Map every receptacle and object name ("fridge 1") to its PDDL id."""
    r_counts = _check_names("receptacle", [(r.rtype, r.num) for r in scene.receptacles])
    o_counts = _check_names("object", [(o.otype, o.num) for o in scene.objects])
    clash = set(r_counts) & set(o_counts)
    if clash:
        raise EnvError(f"types used both as object and receptacle cannot be exported: {sorted(clash)}")
    ids = {r.name: _entity_id(r.rtype, r.num, r_counts[r.rtype]) for r in scene.receptacles}
    ids.update({o.name: _entity_id(o.otype, o.num, o_counts[o.otype]) for o in scene.objects})
    return ids


def location_ids(scene: Scene) -> dict[str, str]:
    """Receptacle name -> its own location id (`loc_bar_1`, ...), in scene order."""
    return {r.name: f"loc_bar_{i}" for i, r in enumerate(scene.receptacles, start=1)}


def _objects_block(scene: Scene, ids: dict[str, str], locs: dict[str, str]) -> list[str]:
    rtypes = sorted({r.rtype for r in scene.receptacles} | set(DOMAIN_RTYPES))
    otypes = sorted({o.otype for o in scene.objects} | set(DOMAIN_OTYPES))
    task = scene.task
    rtypes += [t for t in [task.recep_type] if t and t not in rtypes]
    otypes += [t for t in [task.obj_type, task.lamp_type] if t and t not in otypes]
    lines = [f"{AGENT} - agent", f"{MIDDLE} - location"]
    lines += [f"{loc} - location" for loc in locs.values()]
    lines += [f"{ids[r.name]} - receptacle" for r in scene.receptacles]
    lines += [f"{ids[o.name]} - object" for o in scene.objects]
    lines += [f"{type_const(t)} - rtype" for t in rtypes]
    lines += [f"{type_const(t)} - otype" for t in otypes]
    return lines


def _receptacle_facts(scene: Scene, ids: dict[str, str], locs: dict[str, str]) -> list[str]:
    facts = []
    for r in scene.receptacles:
        rid = ids[r.name]
        facts += [f"(receptacleType {rid} {type_const(r.rtype)})", f"(receptacleAtLocation {rid} {locs[r.name]})"]
        if r.openable:
            facts.append(f"(openable {rid})")
            if r.is_open:
                facts.append(f"(opened {rid})")
    rtypes = sorted({r.rtype for r in scene.receptacles})
    otypes = sorted({o.otype for o in scene.objects})
    facts += [
        f"(canContain {type_const(rt)} {type_const(ot)})" for rt in rtypes for ot in otypes if can_contain(rt, ot)
    ]
    return facts


def _object_facts(scene: Scene, ids: dict[str, str], locs: dict[str, str], alfred_extras: bool) -> list[str]:
    facts = []
    for o in scene.objects:
        oid = ids[o.name]
        facts.append(f"(objectType {oid} {type_const(o.otype)})")
        flags = {
            "pickupable": o.otype not in TOGGLEABLE,
            "heatable": o.otype in HEATABLE,
            "coolable": o.otype in COOLABLE,
            "cleanable": o.otype in CLEANABLE,
            "toggleable": o.otype in TOGGLEABLE,
            "isHot": o.hot,
            "isCool": o.cool,
            "isClean": o.clean,
            "isOn": o.is_on,
            "isToggled": o.is_on,
            "isReceptacleObject": alfred_extras and o.otype in MOVABLE_RECEPTACLES,
            "sliceable": alfred_extras and o.otype in SLICEABLE,
        }
        facts += [f"({pred} {oid})" for pred, on in flags.items() if on]
        if o.location is not None:
            if o.location not in ids or scene.receptacle(o.location) is None:
                raise EnvError(f"object {o.name} is in unknown receptacle {o.location!r}")
            facts += [f"(inReceptacle {oid} {ids[o.location]})", f"(objectAtLocation {oid} {locs[o.location]})"]
    return facts


def _agent_facts(scene: Scene, ids: dict[str, str], locs: dict[str, str]) -> list[str]:
    if scene.agent_at is not None and scene.agent_at not in locs:
        raise EnvError(f"agent stands at unknown receptacle {scene.agent_at!r}")
    facts = [f"(atLocation {AGENT} {locs[scene.agent_at] if scene.agent_at else MIDDLE})"]
    if scene.holding is not None:
        if scene.holding not in ids or scene.obj(scene.holding) is None:
            raise EnvError(f"agent holds unknown object {scene.holding!r}")
        facts += [f"(holds {AGENT} {ids[scene.holding]})", f"(holdsAny {AGENT})"]
    return facts


def scene_to_pddl_problem(scene: Scene, *, alfred_extras: bool = False, name: str = "siri") -> str:
    """The scene as an ALFRED PDDL problem (objects, types, locations, state, goal) for the real engine."""
    ids, locs = entity_ids(scene), location_ids(scene)
    task = scene.task
    goal = goal_pddl(
        task.task_type,
        type_const(task.obj_type),
        type_const(task.recep_type) if task.recep_type else None,
        type_const(task.lamp_type) if task.lamp_type else None,
    )
    init = _agent_facts(scene, ids, locs) + _receptacle_facts(scene, ids, locs)
    init += _object_facts(scene, ids, locs, alfred_extras)
    pad = "\n        "
    return (
        f"(define (problem {name})\n    (:domain alfred)\n    (:objects{pad}"
        + pad.join(_objects_block(scene, ids, locs))
        + f"\n    )\n    (:init{pad}"
        + pad.join(init)
        + f"\n    )\n    {goal}\n)\n"
    )


def alfworld_logic() -> tuple[str, str]:
    """The ALFRED PDDL domain and the text grammar shipped with the `alfworld` package."""
    try:
        import alfworld
    except ImportError as exc:
        raise EnvError(f"faithful mode needs the real ALFWorld engine: {install_hint('alfworld')}") from exc
    data = Path(alfworld.__file__).parent / "data"
    return (data / "alfred.pddl").read_text(), (data / "alfred.twl2").read_text()


def traj_data(scene: Scene, task_text: str, task_id: str) -> dict:
    """The minimal `traj_data.json` ALFWorld's loader reads (task type, goal targets, annotation)."""
    task = scene.task
    return {
        "task_id": task_id,
        "task_type": task.task_type,
        "pddl_params": {
            "object_target": task.obj_type,
            "parent_target": task.recep_type or "",
            "toggle_target": task.lamp_type or "",
            "mrecep_target": "",
            "object_sliced": False,
        },
        "turk_annotations": {"anns": [{"task_desc": task_text, "high_descs": [], "votes": []}]},
        "scene": {"room_type": scene.room_type, "generator": "siri.envs.household"},
    }


def write_game_file(
    scene: Scene,
    out_dir: str | Path,
    *,
    walkthrough: list[str] | None = None,
    alfred_extras: bool = False,
    task_id: str = "siri",
) -> Path:
    """Write an ALFWorld game directory (`game.tw-pddl`, `traj_data.json`, `initial_state.pddl`) for the
    scene into `out_dir` and return the path of `game.tw-pddl`.

    `game.tw-pddl` holds what textworld's PDDL backend loads (domain, grammar with the task sentence in
    place of "UNKNOWN GOAL", problem) plus ALFWorld's `solvable`/`walkthrough` keys; its loader skips
    games without `solvable: true` or without a `traj_data.json` next to them. Our generator only makes
    solvable tasks, so `solvable` is true; `walkthrough` is an optional oracle plan.
    """
    domain, grammar = alfworld_logic()
    text = task_sentence(scene.task)
    problem = scene_to_pddl_problem(scene, alfred_extras=alfred_extras)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    game = {
        "pddl_domain": domain,
        "grammar": grammar.replace("UNKNOWN GOAL", text),
        "pddl_problem": problem,
        "solvable": True,
        "walkthrough": walkthrough,
    }
    (out / "initial_state.pddl").write_text(problem)
    (out / "traj_data.json").write_text(json.dumps(traj_data(scene, text, task_id), indent=1))
    path = out / "game.tw-pddl"
    path.write_text(json.dumps(game))
    return path
