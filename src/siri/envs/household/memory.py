"""What an agent can know from the household's observation texts alone (used by `SearcherOracle`).

`Memory.update(text)` reads one observation (intro, feedback of any command) and records where the
agent stands, what it holds, which receptacles it has seen into and what they held, which are closed,
object states it was told about, and lamps turned on. It never looks at the hidden scene: the texts
it parses are the ones in `texts.py` (docs/environments.md, "Household" — Text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from siri.envs.household.goals import TEMPLATES

_NAME = r"[a-z]+ \d+"
_ITEM = re.compile(rf"\ba ({_NAME})")
_ROOM = re.compile(r"You are in the middle of a room\. Looking quickly around you, you see (.*?)\.(?:\n|$)")
_ARRIVE = re.compile(rf"You arrive at ({_NAME})\. ")
_OPEN = re.compile(rf"The ({_NAME}) is open\. In it, you see (.*)\.")
_CLOSED = re.compile(rf"The ({_NAME}) is closed\.")
_ON = re.compile(rf"On the ({_NAME}), you see (.*)\.")
_CLOSE = re.compile(rf"You close the ({_NAME})\.")
_TAKE = re.compile(rf"You pick up the ({_NAME}) from the ({_NAME})\.")
_PUT = re.compile(rf"You (?:move|put) the ({_NAME}) (?:to|in/on) the ({_NAME})\.")
_STATE = re.compile(rf"You (heat|cool|clean) the ({_NAME}) using the ({_NAME})\.")
_LAMP = re.compile(rf"You turn on the ({_NAME})\.")
_CARRY = re.compile(rf"You are carrying: a ({_NAME})\.")
_STATE_WORD = {"heat": "hot", "cool": "cool", "clean": "clean"}


def kind(name: str) -> str:
    """The type of a named thing: "cabinet 2" -> "cabinet"."""
    return name.rsplit(" ", 1)[0]


def parse_items(text: str) -> list[str]:
    """`a apple 1, a mug 2, and a knife 1` -> ["apple 1", "mug 2", "knife 1"]; `nothing` -> []."""
    return _ITEM.findall(text)


def base_task_type(task_type: str) -> str:
    """The task type without the object a `task_type_by_object` env appends (`pick_and_place_simple/egg`
    -> `pick_and_place_simple`)."""
    return task_type.split("/", 1)[0]


def parse_task(task_type: str, sentence: str) -> tuple[str, str | None]:
    """(object type, target type) from an instruction of `task_type` (target = lamp type for light)."""
    for template in TEMPLATES.get(base_task_type(task_type), ()):
        pattern = re.escape(template)
        for slot in ("obj", "recep", "lamp"):
            pattern = pattern.replace(re.escape("{" + slot + "}"), f"(?P<{slot}>[a-z]+)")
        match = re.fullmatch(pattern, sentence.strip().rstrip("."))
        if match:
            groups = match.groupdict()
            return groups["obj"], groups.get("recep") or groups.get("lamp")
    raise ValueError(f"cannot read the household task {sentence!r} as {task_type}")


@dataclass
class Memory:
    receptacles: list[str] = field(default_factory=list)  # in the order the room listed them
    at: str | None = None
    holding: str | None = None
    contents: dict[str, list[str]] = field(default_factory=dict)  # only receptacles seen into
    closed: set[str] = field(default_factory=set)  # openables known to be closed now
    states: dict[str, set[str]] = field(default_factory=dict)  # object -> {"hot", "cool", "clean"}
    lamps_on: set[str] = field(default_factory=set)

    def update(self, text: str) -> None:
        room = _ROOM.search(text)
        if room and not self.receptacles:
            self.receptacles = parse_items(room.group(1))
        arrive = _ARRIVE.match(text)
        if arrive:
            self.at = arrive.group(1)
        self._receptacle_view(text)
        self._events(text)

    def _receptacle_view(self, text: str) -> None:
        for pattern in (_OPEN, _ON):
            match = pattern.search(text)
            if match:
                self.contents[match.group(1)] = parse_items(match.group(2))
                self.closed.discard(match.group(1))
                return
        match = _CLOSED.search(text)
        if match:
            self.closed.add(match.group(1))

    def _events(self, text: str) -> None:
        if m := _CLOSE.match(text):
            self.closed.add(m.group(1))
        elif m := _TAKE.match(text):
            obj, recep = m.groups()
            self.holding = obj
            if obj in self.contents.get(recep, []):
                self.contents[recep].remove(obj)
        elif m := _PUT.match(text):
            obj, recep = m.groups()
            self.holding = None
            self.contents.setdefault(recep, []).append(obj)
        elif m := _STATE.match(text):
            verb, obj, _ = m.groups()
            states = self.states.setdefault(obj, set())
            states.add(_STATE_WORD[verb])
            if verb == "heat":
                states.discard("cool")
            elif verb == "cool":
                states.discard("hot")
        elif m := _LAMP.match(text):
            self.lamps_on.add(m.group(1))
        elif m := _CARRY.match(text):
            self.holding = m.group(1)
        elif text.startswith("You are not carrying anything."):
            self.holding = None

    def known(self, otype: str) -> list[tuple[str, str]]:
        """(object, receptacle) pairs of type `otype` seen and not since taken, in room order."""
        return [(o, r) for r in self.receptacles for o in self.contents.get(r, []) if kind(o) == otype]

    def unexplored(self) -> list[str]:
        return [r for r in self.receptacles if r not in self.contents]
