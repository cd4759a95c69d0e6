"""The four ALFRED room kinds, what furniture and objects each has, and the size presets
(docs/environments.md, "Household" — Generator).

A room kind lists `core` receptacle types (always present, one each) and `extra` ones with a sampling
weight and a maximum count, so that an ALFRED-sized room (20–30 receptacles) can be filled with
realistic repeats (cabinet 1 … cabinet 12) while a tiny one keeps only a handful.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoomKind:
    name: str
    core: tuple[str, ...]  # receptacle types always present
    extra: tuple[tuple[str, int, int], ...]  # (receptacle type, weight, max count incl. core)
    objects: tuple[str, ...]  # pickupable object types found in this room
    has_lamp: bool = False  # a desk lamp stands on a desk / side table / dresser

    def max_count(self, rtype: str) -> int:
        for name, _, most in self.extra:
            if name == rtype:
                return most
        return 1 if rtype in self.core else 0

    @property
    def receptacle_types(self) -> tuple[str, ...]:
        return self.core + tuple(r for r, _, _ in self.extra if r not in self.core)


ROOMS: dict[str, RoomKind] = {
    "kitchen": RoomKind(
        name="kitchen",
        core=("countertop", "cabinet", "fridge", "sinkbasin"),
        extra=(
            ("cabinet", 4, 12),
            ("drawer", 3, 8),
            ("countertop", 2, 3),
            ("microwave", 3, 1),
            ("stoveburner", 2, 4),
            ("garbagecan", 2, 1),
            ("coffeemachine", 2, 1),
            ("diningtable", 2, 1),
            ("sinkbasin", 1, 2),
            ("toaster", 1, 1),
            ("shelf", 1, 3),
        ),
        objects=tuple(
            (
                "apple bread egg lettuce potato tomato bowl cup mug plate kettle pan pot butterknife fork "
                "knife ladle spatula spoon peppershaker saltshaker dishsponge glassbottle winebottle "
                "soapbottle"
            ).split()
        ),
    ),
    "livingroom": RoomKind(
        name="livingroom",
        core=("sofa", "coffeetable", "sidetable"),
        extra=(
            ("sidetable", 3, 3),
            ("armchair", 2, 2),
            ("shelf", 2, 8),
            ("drawer", 2, 6),
            ("cabinet", 2, 4),
            ("garbagecan", 2, 1),
            ("tvstand", 1, 1),
            ("diningtable", 1, 1),
            ("ottoman", 1, 1),
            ("dresser", 1, 1),
            ("safe", 1, 1),
        ),
        objects=tuple(
            (
                "book box cellphone creditcard keychain laptop newspaper pillow remotecontrol statue vase "
                "watch tissuebox candle bowl plate"
            ).split()
        ),
        has_lamp=True,
    ),
    "bedroom": RoomKind(
        name="bedroom",
        core=("bed", "desk", "dresser", "drawer"),
        extra=(
            ("drawer", 4, 12),
            ("sidetable", 3, 2),
            ("shelf", 2, 8),
            ("garbagecan", 2, 1),
            ("safe", 1, 1),
            ("armchair", 1, 1),
            ("laundryhamper", 1, 1),
            ("cabinet", 1, 2),
        ),
        objects=tuple(
            (
                "alarmclock book box cd cellphone creditcard keychain laptop pen pencil pillow mug bowl "
                "watch baseballbat basketball tennisracket"
            ).split()
        ),
        has_lamp=True,
    ),
    "bathroom": RoomKind(
        name="bathroom",
        core=("countertop", "sinkbasin", "toilet", "cabinet"),
        extra=(
            ("cabinet", 3, 8),
            ("drawer", 2, 8),
            ("sinkbasin", 1, 2),
            ("bathtubbasin", 2, 1),
            ("handtowelholder", 2, 2),
            ("toiletpaperhanger", 2, 1),
            ("garbagecan", 2, 1),
            ("shelf", 1, 4),
            ("cart", 1, 1),
        ),
        objects=tuple(
            "candle cloth dishsponge handtowel plunger soapbar soapbottle spraybottle tissuebox toiletpaper".split()
        ),
    ),
}

# Which room kinds each task type is set in (as in ALFRED's goal/scene validity table).
TASK_ROOMS: dict[str, tuple[str, ...]] = {
    "pick_and_place_simple": ("kitchen", "livingroom", "bedroom", "bathroom"),
    "look_at_obj_in_light": ("livingroom", "bedroom"),
    "pick_clean_then_place_in_recep": ("kitchen", "bathroom"),
    "pick_heat_then_place_in_recep": ("kitchen",),
    "pick_cool_then_place_in_recep": ("kitchen",),
    "pick_two_obj_and_place": ("kitchen", "livingroom", "bedroom", "bathroom"),
}


@dataclass(frozen=True)
class SizePreset:
    receptacles: tuple[int, int]  # inclusive range of the number of receptacles
    objects: tuple[int, int]  # inclusive range of the number of objects (lamp included)
    max_copies: int  # most instances of one object type


SIZES: dict[str, SizePreset] = {
    "tiny": SizePreset(receptacles=(5, 8), objects=(6, 10), max_copies=2),
    "small": SizePreset(receptacles=(10, 15), objects=(12, 20), max_copies=3),
    "alfred": SizePreset(receptacles=(20, 30), objects=(30, 50), max_copies=4),
}
