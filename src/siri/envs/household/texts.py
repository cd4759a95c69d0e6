"""The exact strings the ALFWorld text engine prints (docs/environments.md, "Household" — Text).

Pure functions of names and flags; the engine decides which one applies. Details that matter for the
differential test against the real engine: the article is always "a" ("a apple 1"), lists join with
", " and ", and " before the last item even for two items ("a X, and a Y"), an empty list reads
"nothing", and a cool object is examined as "cold".
"""

from __future__ import annotations

from typing import Sequence

NOTHING_HAPPENS = "Nothing happens."
WELCOME = "-= Welcome to TextWorld, ALFRED! =-"

# `help` output: one line per command, in the real engine's layout (it also lists `slice`, which the
# ALFRED domain has although no ALFWorld task type needs it; we print it so `help` reads the same).
HELP = (
    "Available commands:\n"
    "  look:                             look around your current location\n"
    "  inventory:                        check your current inventory\n"
    "  go to (receptacle):               move to a receptacle\n"
    "  open (receptacle):                open a receptacle\n"
    "  close (receptacle):               close a receptacle\n"
    "  take (object) from (receptacle):  take an object from a receptacle\n"
    "  move (object) to (receptacle):  place an object in or on a receptacle\n"
    "  examine (something):              examine a receptacle or an object\n"
    "  use (object):                     use an object\n"
    "  heat (object) with (receptacle):  heat an object using a receptacle\n"
    "  clean (object) with (receptacle): clean an object using a receptacle\n"
    "  cool (object) with (receptacle):  cool an object using a receptacle\n"
    "  slice (object) with (object):     slice an object using a sharp object\n"
)


def join_names(names: Sequence[str]) -> str:
    """`a X`, `a X, and a Y`, `a X, a Y, and a Z`; `nothing` for an empty list."""
    items = [f"a {name}" for name in names]
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + ", and " + items[-1]


def look_middle(receptacles: Sequence[str]) -> str:
    return f"You are in the middle of a room. Looking quickly around you, you see {join_names(receptacles)}."


def look_at(recep: str) -> str:
    """`look` while standing at a receptacle: nothing ever lies on the floor next to it."""
    return f"You are facing the {recep}. Next to it, you see nothing."


def intro(receptacles: Sequence[str], task: str) -> str:
    return f"{WELCOME}\n\n{look_middle(receptacles)}\n\nYour task is to: {task}."


def describe_receptacle(recep: str, openable: bool, is_open: bool, contents: Sequence[str]) -> str:
    """What `examine R` prints, and the tail of `go to R` / `open R`."""
    if openable and is_open:
        return f"The {recep} is open. In it, you see {join_names(contents)}."
    if openable:
        return f"The {recep} is closed."
    return f"On the {recep}, you see {join_names(contents)}."


def arrive(recep: str, description: str) -> str:
    return f"You arrive at {recep}. {description}"


def opened(recep: str, description: str) -> str:
    return f"You open the {recep}. {description}"


def closed(recep: str) -> str:
    return f"You close the {recep}."


def take(obj: str, recep: str) -> str:
    return f"You pick up the {obj} from the {recep}."


def move(obj: str, recep: str) -> str:
    return f"You move the {obj} to the {recep}."


def put_old(obj: str, recep: str) -> str:
    """Feedback of the pre-0.4 command `put o in/on R` (the version setting of the command grammar)."""
    return f"You put the {obj} in/on the {recep}."


def apply_appliance(verb: str, obj: str, recep: str) -> str:
    """`heat` / `cool` / `clean`: "You heat the egg 1 using the microwave 1."."""
    return f"You {verb} the {obj} using the {recep}."


def turn_on(lamp: str) -> str:
    return f"You turn on the {lamp}."


def inventory(held: str | None) -> str:
    return f"You are carrying: a {held}." if held else "You are not carrying anything."


def examine_object(
    obj: str, hot: bool = False, cool: bool = False, clean: bool = False, lamp_on: bool | None = None
) -> str:
    """`examine o`, by the real grammar's order of cases; `lamp_on` is None for non-lamps."""
    if clean and hot:
        return f"This is a hot and clean {obj}."
    if clean and cool:
        return f"This is a cool and clean {obj}."
    if hot:
        return f"This is a hot {obj}."
    if clean:
        return f"This is a clean {obj}."
    if cool:
        return f"This is a cold {obj}."
    if lamp_on is not None:
        return f"This {obj} is {'on' if lamp_on else 'off'}."
    return f"There's nothing special about {obj}."
