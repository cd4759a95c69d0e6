"""Procedural household scenes: a task and a room laid out so it can be done (docs/environments.md,
"Household" — Generator; "Common contract" for determinism and splits).

Order of decisions, all from one local `random.Random`: task type -> room kind -> goal pair (object
type, target type) allowed in the split -> phrasing -> receptacles (core furniture, what the task needs,
then weighted extras up to the size preset) -> objects (the task's objects away from any receptacle of
the target type, a lamp where the room has one, then distractors placed by the priors).
Solvability holds by construction and is checked by `check_solvable` before a scene is returned.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Sequence

from siri.envs.base import EnvError
from siri.envs.household.catalog import (
    APPLIANCE,
    CLEANABLE,
    COOLABLE,
    HEATABLE,
    LAMP_HOSTS,
    LAMPS,
    OPENABLE,
    can_contain,
    prior,
)
from siri.envs.household.goals import goal_satisfied
from siri.envs.household.rooms import ROOMS, SIZES, TASK_ROOMS, RoomKind
from siri.envs.household.scene import TASK_TYPES, Obj, Receptacle, Scene, Task
from siri.envs.household.splits import internal_seed, pair_allowed

# task type -> the appliance verb it needs (none for the others)
_VERB = {
    "pick_clean_then_place_in_recep": "clean",
    "pick_heat_then_place_in_recep": "heat",
    "pick_cool_then_place_in_recep": "cool",
}
_NEEDS_PROPERTY = {"clean": CLEANABLE, "heat": HEATABLE, "cool": COOLABLE}


def check_options(size: str, task_types: Sequence[str] | None, priors: float = 1.0,
                  objects: Sequence[str] | None = None) -> tuple[str, ...]:
    """Validate the size preset, task types, prior strength and task objects; returns the task types to
    draw from."""
    if not isinstance(size, str) or size not in SIZES:
        raise EnvError(f"unknown household size {size!r}; allowed: {', '.join(SIZES)}")
    if isinstance(priors, bool) or not isinstance(priors, (int, float)) or not 0 <= priors <= 10:
        raise EnvError(f"household priors must be a number from 0 to 10 (1: the catalog's weights), got {priors!r}")
    types = TASK_TYPES if task_types is None else check_task_types(task_types)
    if objects is not None:
        known = sorted({o for room in ROOMS.values() for o in room.objects})
        if not isinstance(objects, (list, tuple)) or not objects or any(o not in known for o in objects):
            raise EnvError(f"household objects must be a non-empty list of object types; allowed: {', '.join(known)}")
        for t in types:
            if not any(o in objects for r in TASK_ROOMS[t] for o, _ in goal_pairs(t, ROOMS[r], "train")):
                raise EnvError(f"no {t} task uses any of the household objects {list(objects)}")
    return types


def placement_weights(otype: str, rtypes: Sequence[str], priors: float) -> list[float]:
    """How likely an `otype` starts in each of `rtypes`: the catalog's prior weights raised to the power
    `priors` (0: uniform among the receptacles that can hold it; 1: the catalog's weights; larger: ever
    more concentrated on the most likely types, so knowing where things usually are pays more)."""
    weights = [prior(otype, r) for r in rtypes]
    return weights if priors == 1 else [float(w) ** priors if w > 0 else 0.0 for w in weights]


def check_task_types(task_types: Sequence[str]) -> tuple[str, ...]:
    """A non-empty list of known task types, de-duplicated in order (one-line EnvError otherwise)."""
    if not isinstance(task_types, (list, tuple)) or not task_types:
        raise EnvError(f"task_types must be a non-empty list of: {', '.join(TASK_TYPES)}")
    for t in task_types:
        if t not in TASK_TYPES:
            raise EnvError(f"unknown household task type {t!r}; allowed: {', '.join(TASK_TYPES)}")
    return tuple(dict.fromkeys(task_types))


def goal_pairs(task_type: str, room: RoomKind, split: str) -> list[tuple[str, str]]:
    """(object type, target type) goals this room can host for `task_type` in `split`, sorted."""
    return list(_goal_pairs(task_type, room.name, split))


@lru_cache(maxsize=None)
def _goal_pairs(task_type: str, room_name: str, split: str) -> tuple[tuple[str, str], ...]:
    room = ROOMS[room_name]
    verb = _VERB.get(task_type)
    pairs = []
    for obj in room.objects:
        if verb and obj not in _NEEDS_PROPERTY[verb]:
            continue
        if task_type == "look_at_obj_in_light":
            targets: tuple[str, ...] = LAMPS
        else:
            targets = tuple(r for r in room.receptacle_types if can_contain(r, obj))
            targets = tuple(r for r in targets if r != (APPLIANCE[verb] if verb else None))
        for target in targets:
            if _source_types(room, obj, target) and pair_allowed(obj, target, split):
                pairs.append((obj, target))
    return tuple(sorted(pairs))


def _source_types(room: RoomKind, obj: str, target: str) -> list[str]:
    """Receptacle types (other than the target) where the task object can start."""
    return [r for r in room.receptacle_types if r != target and can_contain(r, obj)]


def generate(seed: int, split: str = "train", size: str = "tiny", task_types: Sequence[str] | None = None,
             priors: float = 1.0, objects: Sequence[str] | None = None) -> Scene:
    """The scene for `seed` in `split`: same arguments, same scene, on any machine. `objects`, when
    given, are the only object types a task may be about."""
    types = check_options(size, task_types, priors, objects)
    rng = random.Random(internal_seed(seed, split))
    task_type = rng.choice(types)

    def pairs(room: RoomKind) -> list[tuple[str, str]]:
        return [p for p in goal_pairs(task_type, room, split) if objects is None or p[0] in objects]

    rooms = [ROOMS[r] for r in TASK_ROOMS[task_type] if pairs(ROOMS[r])]
    if not rooms:
        raise EnvError(f"no {task_type} task of the {split} split uses the household objects {list(objects or [])}")
    room = rng.choice(rooms)
    obj_type, target = rng.choice(pairs(room))
    is_light = task_type == "look_at_obj_in_light"
    task = Task(
        task_type=task_type,
        obj_type=obj_type,
        recep_type=None if is_light else target,
        lamp_type=target if is_light else None,
        phrasing=rng.randint(0, 1),
    )
    receptacles = _receptacles(rng, room, task, size, priors)
    objects = _objects(rng, room, task, receptacles, size, priors)
    meta = {"seed": seed, "split": split, "size": size, "internal_seed": internal_seed(seed, split)}
    scene = Scene(room_type=room.name, receptacles=receptacles, objects=objects, task=task, meta=meta)
    check_solvable(scene)
    return scene


def _weighted(rng: random.Random, items: Sequence[str], weights: Sequence[float]) -> str:
    if sum(weights) <= 0:
        return rng.choice(list(items))
    return rng.choices(list(items), weights=list(weights))[0]


def _receptacles(rng: random.Random, room: RoomKind, task: Task, size: str, priors: float) -> list[Receptacle]:
    counts: dict[str, int] = {r: 1 for r in room.core}
    required = []
    if task.recep_type:
        required.append(task.recep_type)
    verb = _VERB.get(task.task_type)
    if verb:
        required.append(APPLIANCE[verb])
    if task.task_type == "look_at_obj_in_light":
        required.append(rng.choice([h for h in LAMP_HOSTS if h in room.receptacle_types]))
    sources = _source_types(room, task.obj_type, task.recep_type or "")
    if not any(r in counts or r in required for r in sources):
        required.append(_weighted(rng, sources, placement_weights(task.obj_type, sources, priors)))
    for r in required:
        counts.setdefault(r, 1)
    lo, hi = SIZES[size].receptacles
    wanted = rng.randint(lo, hi)
    while sum(counts.values()) < wanted:
        room_left = [(r, w) for r, w, most in room.extra if counts.get(r, 0) < most]
        if not room_left:
            break
        r = _weighted(rng, [r for r, _ in room_left], [w for _, w in room_left])
        counts[r] = counts.get(r, 0) + 1
    return [Receptacle(r, n, openable=r in OPENABLE) for r in sorted(counts) for n in range(1, counts[r] + 1)]


def _place(rng: random.Random, otype: str, receptacles: list[Receptacle], forbidden: str | None,
           priors: float) -> str | None:
    """A receptacle name for a new `otype`, drawn by the priors among those that can hold it."""
    able = [r for r in receptacles if r.rtype != forbidden and can_contain(r.rtype, otype)]
    if not able:
        return None
    return _weighted(rng, [r.name for r in able], placement_weights(otype, [r.rtype for r in able], priors))


def _objects(rng: random.Random, room: RoomKind, task: Task, receptacles: list[Receptacle], size: str,
             priors: float) -> list[Obj]:
    preset = SIZES[size]
    wanted = rng.randint(*preset.objects)
    placed: list[tuple[str, str]] = []  # (type, receptacle name)
    n_task = 2 if task.task_type == "pick_two_obj_and_place" else 1
    n_task = min(preset.max_copies, n_task + (rng.random() < 0.3))
    for _ in range(n_task):
        where = _place(rng, task.obj_type, receptacles, task.recep_type, priors)
        assert where is not None
        placed.append((task.obj_type, where))
    if room.has_lamp:
        hosts = [r.name for r in receptacles if r.rtype in LAMP_HOSTS]
        if hosts:
            placed.append((task.lamp_type or LAMPS[0], rng.choice(hosts)))
    counts = {t: sum(1 for p, _ in placed if p == t) for t in room.objects}
    while len(placed) < wanted:
        types = [t for t in room.objects if counts[t] < preset.max_copies]
        if not types:
            break
        otype = rng.choice(types)
        counts[otype] += 1  # also when it fits nowhere, so the loop always ends
        forbidden = task.recep_type if otype == task.obj_type else None
        where = _place(rng, otype, receptacles, forbidden, priors)
        if where is not None:
            placed.append((otype, where))
    return _numbered(rng, placed)


def _numbered(rng: random.Random, placed: list[tuple[str, str]]) -> list[Obj]:
    """Number instances per type from 1 in a random order, and list them in a random order."""
    by_type: dict[str, list[int]] = {}
    for otype, _ in placed:
        by_type.setdefault(otype, [])
    for otype in by_type:
        nums = list(range(1, sum(1 for t, _ in placed if t == otype) + 1))
        rng.shuffle(nums)
        by_type[otype] = nums
    objects = [Obj(otype, by_type[otype].pop(), where) for otype, where in placed]
    rng.shuffle(objects)
    return objects


def check_solvable(scene: Scene) -> None:
    """Raise RuntimeError unless the task can be done from here and is not already done."""
    task = scene.task
    kinds = {r.rtype for r in scene.receptacles}
    mine = [o for o in scene.objects if o.otype == task.obj_type and o.location is not None]
    need = 2 if task.task_type == "pick_two_obj_and_place" else 1
    problems = []
    if len(mine) < need:
        problems.append("too few task objects")
    if task.recep_type and task.recep_type not in kinds:
        problems.append("no target receptacle")
    if task.recep_type and not can_contain(task.recep_type, task.obj_type):
        problems.append("target cannot hold the object")
    verb = _VERB.get(task.task_type)
    if verb and (APPLIANCE[verb] not in kinds or task.obj_type not in _NEEDS_PROPERTY[verb]):
        problems.append(f"cannot {verb} the object here")
    if task.task_type == "look_at_obj_in_light" and not any(o.otype == task.lamp_type for o in scene.objects):
        problems.append("no lamp")
    if goal_satisfied(scene):
        problems.append("goal already holds")
    if problems:
        raise RuntimeError(f"generated an unsolvable household scene {scene.meta}: {', '.join(problems)}")
