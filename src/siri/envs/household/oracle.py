"""Two household oracles (docs/environments.md, "Common contract": every environment has an oracle).

- `PlannerOracle` reads the hidden scene and plays a shortest sensible plan: go to the object, open
  if needed, take, go to the appliance and heat/cool/clean, go to the target, open if needed, move
  (light task: take the object, go to the lamp, use it).
- `SearcherOracle` reads only observation texts, like a person: it visits receptacles in the order
  the priors make likely (`catalog.PRIORS`), opens closed ones, remembers what it saw (`Memory`), and
  then proceeds as the planner does. With `noise > 0` it takes a random admissible action at that
  rate (imperfect demonstrations for SFT).
- `BlindSearcherOracle` searches the same way but without the priors: it scans the receptacles it has
  not seen into in the order of the admissible list (alphabetical), cyclically, from a place drawn at
  random per episode (seeded by the episode's first observation, so a replay replays it) or from the
  first place of the type a location hint names. A policy can learn that scan from its current
  observation alone (go to the next receptacle after the one it is at), which it could not learn of a
  whole order drawn at random per episode with a two-step history (measured: 13% success against that
  oracle's 75%). The random start keeps its successes unbiased: within any step limit, an object is
  found as often in one place as in another, so the places its successes show are where objects
  usually are. It is competent and knows nothing of where things usually are: the warm start of
  docs/environments.md "Knowledge that pays".

Both re-decide from the current state at every step, so they recover from any detour.
"""

from __future__ import annotations

import math
import random
import zlib

from siri.envs.base import StepResult
from siri.envs.household.catalog import APPLIANCE, LAMP_HOSTS, LAMPS, can_contain, prior
from siri.envs.household.engine import is_visible
from siri.envs.household.goals import REQUIRED_STATE, has_state
from siri.envs.household.memory import Memory, base_task_type, kind, parse_task
from siri.envs.household.scene import Scene

_VERB_OF_STATE = {"hot": "heat", "cool": "cool", "clean": "clean"}


def _put(obj: str, recep: str, admissible: tuple[str, ...]) -> str:
    """The placing command in whichever grammar version the env speaks."""
    old = f"put {obj} in/on {recep}"
    return old if old in admissible else f"move {obj} to {recep}"


def _at(here: str | None, recep: str, closed: bool, then: str) -> str:
    """Walk to `recep`, open it if closed, then do `then`."""
    if here != recep:
        return f"go to {recep}"
    if closed:
        return f"open {recep}"
    return then


class PlannerOracle:
    """Knows the scene (`env.scene`); `act` returns the next step of a shortest sensible plan."""

    def __init__(self, env):
        self.env = env

    def act(self, last: StepResult) -> str:
        scene: Scene = self.env.scene
        admissible = last.admissible_actions
        task = scene.task
        held = scene.obj(scene.holding) if scene.holding else None
        closed = {r.name for r in scene.receptacles if not is_visible(scene, r)}
        here = scene.agent_at
        if held is not None and held.otype != task.obj_type:
            return self._drop(scene, held.name, admissible, closed)
        if task.task_type == "look_at_obj_in_light":
            if held is None:
                return self._fetch(scene, [o.name for o in scene.objects if o.otype == task.obj_type], closed)
            lamps = [o for o in scene.objects if o.otype == task.lamp_type and o.location]
            lamp = next((o for o in lamps if o.is_on), lamps[0])
            return _at(here, lamp.location, False, f"use {lamp.name}")
        targets = [r.name for r in scene.receptacles if r.rtype == task.recep_type]
        state = REQUIRED_STATE[task.task_type]
        counted = {
            r: [o.name for o in scene.objects_in(r) if o.otype == task.obj_type and has_state(o, state)]
            for r in targets
        }
        target = sorted(targets, key=lambda r: (-len(counted[r]), r in closed))[0]
        if held is None:
            wanted = [o.name for o in scene.objects if o.otype == task.obj_type and o.name not in counted[target]]
            return self._fetch(scene, wanted, closed)
        if not has_state(held, state):
            app = next(r.name for r in scene.receptacles if r.rtype == APPLIANCE[_VERB_OF_STATE[state]])
            return _at(here, app, False, f"{_VERB_OF_STATE[state]} {held.name} with {app}")
        return _at(here, target, target in closed, _put(held.name, target, admissible))

    def _fetch(self, scene: Scene, wanted: list[str], closed: set[str]) -> str:
        objs = [scene.obj(n) for n in wanted]
        located = [o for o in objs if o is not None and o.location]
        best = sorted(located, key=lambda o: (o.location != scene.agent_at, o.location in closed))[0]
        return _at(scene.agent_at, best.location, best.location in closed, f"take {best.name} from {best.location}")

    def _drop(self, scene: Scene, held: str, admissible: tuple[str, ...], closed: set[str]) -> str:
        return _drop_anywhere(held, scene.agent_at, [r.name for r in scene.receptacles], closed, admissible)


def _drop_anywhere(
    held: str, here: str | None, receps: list[str], closed: set[str], admissible: tuple[str, ...]
) -> str:
    """Put down an object the task does not need: here if possible, else at the first place that takes it."""
    for command in admissible:
        if command.startswith((f"move {held} to ", f"put {held} in/on ")):
            return command
    able = [r for r in receps if can_contain(kind(r), kind(held))]
    spot = sorted(able, key=lambda r: r in closed)[0]
    return _at(here, spot, spot in closed, _put(held, spot, admissible))


class SearcherOracle:
    """Plays from the observation texts only; see the module docstring."""

    def __init__(self, env, noise: float = 0.0, seed: int = 0):
        if not 0.0 <= noise <= 1.0:
            raise ValueError(f"noise must be in [0, 1], got {noise}")
        self.noise = noise
        self.rng = random.Random(seed)
        self.memory = Memory()
        self.goal: tuple[str, str | None] | None = None
        self.episode_draw = 0  # a number drawn per episode from its first observation (replays replay it)
        self.hints: dict[str, str] = {}  # thing kind -> place kind searched first (hint-following demos)

    def act(self, last: StepResult) -> str:
        if last.observation.startswith("-= Welcome") or self.goal is None:
            self.memory = Memory()
            self.goal = parse_task(last.task_type, last.task)
            self.episode_draw = zlib.crc32(last.observation.encode("utf-8"))
        self.memory.update(last.observation)
        choices = [a for a in last.admissible_actions if a != "help"]
        if self.noise and self.rng.random() < self.noise:
            return self.rng.choice(choices)
        return self._decide(base_task_type(last.task_type), last.admissible_actions)

    def _decide(self, task_type: str, admissible: tuple[str, ...]) -> str:
        mem = self.memory
        obj_type, target_type = self.goal  # type: ignore[misc]
        held = mem.holding
        if held is not None and kind(held) != obj_type:
            return _drop_anywhere(held, mem.at, mem.receptacles, mem.closed, admissible)
        if task_type == "look_at_obj_in_light":
            return self._light(obj_type, target_type or LAMPS[0], admissible)
        state = REQUIRED_STATE[task_type]
        targets = [r for r in mem.receptacles if kind(r) == target_type]
        counted = {
            r: [o for o in mem.contents.get(r, []) if kind(o) == obj_type and self._has(o, state)] for r in targets
        }
        target = sorted(targets, key=lambda r: (-len(counted[r]), r in mem.closed))[0]
        if held is None:
            found = [(o, r) for o, r in mem.known(obj_type) if o not in counted[target]]
            return self._fetch_or_search(found, [obj_type])
        if not self._has(held, state):
            verb = _VERB_OF_STATE[state]
            app = next(r for r in mem.receptacles if kind(r) == APPLIANCE[verb])
            return _at(mem.at, app, False, f"{verb} {held} with {app}")
        return _at(mem.at, target, target in mem.closed, _put(held, target, admissible))

    def _has(self, obj: str, state: str) -> bool:
        return state == "" or state in self.memory.states.get(obj, set())

    def _light(self, obj_type: str, lamp_type: str, admissible: tuple[str, ...]) -> str:
        mem = self.memory
        if mem.holding is None:
            return self._fetch_or_search(mem.known(obj_type), [obj_type, lamp_type])
        lamps = mem.known(lamp_type)
        if not lamps:
            return self._search([lamp_type])
        lamp, where = next(((o, r) for o, r in lamps if o in mem.lamps_on), lamps[0])
        return _at(mem.at, where, False, f"use {lamp}")

    def _fetch_or_search(self, found: list[tuple[str, str]], looking_for: list[str]) -> str:
        mem = self.memory
        if not found:
            return self._search(looking_for)
        obj, where = sorted(found, key=lambda f: (f[1] != mem.at, f[1] in mem.closed))[0]
        return _at(mem.at, where, where in mem.closed, f"take {obj} from {where}")

    def _search(self, kinds: list[str]) -> str:
        """Go to (and open) the most promising receptacle not yet seen into."""
        mem = self.memory
        left = mem.unexplored()
        if not left:
            return "look"  # nothing left to search: the object is nowhere we could see

        ranked = sorted(left, key=lambda r: (r != mem.at, -self._score(r, kinds)))
        best = ranked[0]
        return _at(mem.at, best, True, f"open {best}")

    def _hinted(self, recep: str, kinds: list[str]) -> bool:
        """A location hint names `recep`'s type for one of `kinds`."""
        return any(self.hints.get(k) == kind(recep) for k in kinds)

    def _score(self, recep: str, kinds: list[str]) -> float:
        """How promising `recep` is for finding one of `kinds`: a hinted place first, then by the priors."""
        if self._hinted(recep, kinds):
            return math.inf  # a hint's place is searched first, right or wrong
        host = 2 if any(k in LAMPS for k in kinds) and kind(recep) in LAMP_HOSTS else 0
        return max([prior(k, kind(recep)) for k in kinds] + [host])


class BlindSearcherOracle(SearcherOracle):
    """The searcher without the placement priors: a cyclic scan in admissible order from a random start
    (see the module docstring)."""

    def _score(self, recep: str, kinds: list[str]) -> float:
        order = sorted(self.memory.receptacles)
        hinted = [i for i, r in enumerate(order) if self._hinted(r, kinds)]
        start = hinted[0] if hinted else self.episode_draw % len(order)
        return -((order.index(recep) - start) % len(order))
