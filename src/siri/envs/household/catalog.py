"""What the household world is made of: object and receptacle types, what can go where, where things
usually are, and which receptacles each ALFRED room kind has (docs/environments.md, "Household").

The facts follow ALFRED (the data behind ALFWorld): which object types are heatable, coolable, cleanable
and toggleable, which receptacle types are openable, and which receptacle types can hold which object
types (the PDDL `canContain` facts). The placement priors are our own guesses of where a person finds
things; the generator samples from them and the searcher oracle uses them to decide where to look first.

Everything here is a tuple or a dict (insertion-ordered), never a set that gets iterated: iteration order
must not depend on the interpreter's hash seed, or `reset(seed)` would differ between machines.
"""

from __future__ import annotations

HEATABLE = frozenset("apple bread cup egg mug plate potato tomato".split())
COOLABLE = frozenset(
    "apple bowl bread cup egg lettuce mug pan plate pot potato tomato winebottle".split()
)
CLEANABLE = frozenset(
    (
        "apple bowl butterknife cloth cup dishsponge egg fork kettle knife ladle lettuce mug pan plate "
        "pot potato soapbar spatula spoon tomato"
    ).split()
)
LAMPS = ("desklamp",)  # toggleable, not pickupable; `use` turns one on
TOGGLEABLE = frozenset(LAMPS)
LAMP_HOSTS = ("desk", "sidetable", "dresser")  # receptacle types a desk lamp stands on
OPENABLE = frozenset("cabinet drawer fridge microwave safe".split())

# Appliance each state-changing task needs (the PDDL domain's HeatObject / CoolObject / CleanObject).
APPLIANCE = {"heat": "microwave", "cool": "fridge", "clean": "sinkbasin"}


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_TABLE_TOP = _words(
    "alarmclock apple baseballbat basketball book bowl box bread butterknife candle cd cellphone cloth "
    "creditcard cup dishsponge egg fork glassbottle handtowel kettle keychain knife ladle laptop lettuce "
    "mug newspaper pan pen pencil peppershaker plate pot potato remotecontrol saltshaker soapbar "
    "soapbottle spatula spoon spraybottle statue tennisracket tissuebox toiletpaper tomato vase watch "
    "winebottle"
)
_SEAT = _words("basketball book box cellphone cloth creditcard keychain laptop newspaper pillow remotecontrol")
_DESK = _words(
    "alarmclock basketball book bowl box candle cd cellphone cloth creditcard cup glassbottle keychain "
    "laptop mug newspaper pen pencil plate remotecontrol soapbottle spraybottle statue tennisracket "
    "tissuebox toiletpaper vase watch winebottle"
)

# receptacle type -> object types it can hold (ALFRED's canContain).
CAN_CONTAIN: dict[str, tuple[str, ...]] = {
    "armchair": _SEAT,
    "bathtubbasin": _words("cloth dishsponge handtowel soapbar"),
    "bed": _words("baseballbat basketball book cellphone laptop newspaper pillow tennisracket"),
    "cabinet": _words(
        "book bowl box candle cd cloth cup dishsponge glassbottle handtowel kettle ladle mug newspaper "
        "pan peppershaker plate plunger pot saltshaker soapbar soapbottle spraybottle tissuebox toiletpaper vase "
        "winebottle"
    ),
    "cart": _words(
        "candle cloth dishsponge handtowel plunger soapbar soapbottle spraybottle statue tissuebox "
        "toiletpaper vase"
    ),
    "coffeemachine": ("mug",),
    "coffeetable": _TABLE_TOP,
    "countertop": _TABLE_TOP,
    "desk": _DESK,
    "diningtable": _TABLE_TOP,
    "drawer": _words(
        "book butterknife candle cd cellphone cloth creditcard dishsponge fork handtowel keychain knife "
        "ladle newspaper pen pencil peppershaker remotecontrol saltshaker soapbar soapbottle spatula "
        "spoon spraybottle tissuebox toiletpaper watch"
    ),
    "dresser": tuple(t for t in _DESK if t != "soapbottle"),
    "fridge": _words("apple bowl bread cup egg glassbottle lettuce mug pan plate pot potato tomato winebottle"),
    "garbagecan": _words(
        "apple bread cd cloth dishsponge egg handtowel lettuce newspaper pen pencil potato soapbar "
        "soapbottle spraybottle tissuebox toiletpaper tomato winebottle"
    ),
    "handtowelholder": ("handtowel",),
    "laundryhamper": ("cloth",),
    "microwave": _words("apple bowl bread cup egg glassbottle mug plate potato tomato"),
    "ottoman": _SEAT,
    "safe": _words("cd cellphone creditcard keychain statue vase watch"),
    "shelf": _words(
        "alarmclock book bowl box candle cd cellphone cloth creditcard cup dishsponge glassbottle "
        "handtowel kettle keychain mug newspaper pen pencil peppershaker plate pot remotecontrol "
        "saltshaker soapbar soapbottle spraybottle statue tissuebox toiletpaper vase watch winebottle"
    ),
    "sidetable": _TABLE_TOP,
    "sinkbasin": _words(
        "apple bowl butterknife cloth cup dishsponge egg fork glassbottle handtowel kettle knife ladle "
        "lettuce mug pan plate pot potato soapbar spatula spoon tomato"
    ),
    "sofa": _SEAT,
    "stoveburner": _words("kettle pan pot"),
    "toaster": (),
    "toilet": _words(
        "candle cloth dishsponge handtowel newspaper soapbar soapbottle spraybottle tissuebox toiletpaper"
    ),
    "toiletpaperhanger": ("toiletpaper",),
    "tvstand": ("tissuebox",),
}
_CAN_CONTAIN_SETS = {r: frozenset(objs) for r, objs in CAN_CONTAIN.items()}


def can_contain(rtype: str, otype: str) -> bool:
    """True when an object of `otype` may be moved into a receptacle of `rtype` (PDDL `canContain`)."""
    return otype in _CAN_CONTAIN_SETS.get(rtype, frozenset())


def _p(text: str) -> dict[str, int]:
    pairs = (item.split(":") for item in text.split())
    return {rtype: int(weight) for rtype, weight in pairs}


# object type -> {receptacle type: weight}: where a person would expect to find it (our own priors).
PRIORS: dict[str, dict[str, int]] = {
    "apple": _p("fridge:3 countertop:3 diningtable:2 garbagecan:1 sinkbasin:1 microwave:1"),
    "bread": _p("countertop:3 diningtable:2 fridge:2 microwave:1 garbagecan:1"),
    "egg": _p("fridge:4 countertop:2 diningtable:1 sinkbasin:1 microwave:1 garbagecan:1"),
    "lettuce": _p("fridge:4 countertop:2 diningtable:2 garbagecan:1 sinkbasin:1"),
    "potato": _p("fridge:2 countertop:3 diningtable:2 sinkbasin:1 microwave:1 garbagecan:1"),
    "tomato": _p("fridge:2 countertop:3 diningtable:2 sinkbasin:1 garbagecan:1 microwave:1"),
    "bowl": _p(
        "cabinet:3 countertop:2 diningtable:2 shelf:2 fridge:1 sinkbasin:1 microwave:1 coffeetable:1 "
        "desk:1 dresser:1 sidetable:1"
    ),
    "cup": _p("cabinet:3 countertop:2 diningtable:2 fridge:1 sinkbasin:1 shelf:1 microwave:1"),
    "mug": _p(
        "cabinet:3 coffeemachine:2 countertop:2 diningtable:2 sinkbasin:1 shelf:1 desk:2 fridge:1 microwave:1"
    ),
    "plate": _p("cabinet:3 countertop:2 diningtable:2 fridge:1 sinkbasin:1 shelf:1 coffeetable:1"),
    "kettle": _p("stoveburner:4 countertop:2 cabinet:2 diningtable:1 sinkbasin:1 shelf:1"),
    "pan": _p("stoveburner:4 cabinet:2 countertop:2 sinkbasin:1 fridge:1 diningtable:1"),
    "pot": _p("stoveburner:4 cabinet:2 countertop:1 sinkbasin:1 fridge:1 diningtable:1 shelf:1"),
    "butterknife": _p("drawer:4 countertop:3 diningtable:2 sinkbasin:1"),
    "fork": _p("drawer:4 countertop:3 diningtable:2 sinkbasin:1"),
    "knife": _p("drawer:4 countertop:3 diningtable:2 sinkbasin:1"),
    "spoon": _p("drawer:4 countertop:3 diningtable:2 sinkbasin:1"),
    "ladle": _p("drawer:3 countertop:3 diningtable:2 sinkbasin:1"),
    "spatula": _p("drawer:3 countertop:3 diningtable:2 sinkbasin:1"),
    "peppershaker": _p("countertop:3 cabinet:2 drawer:2 diningtable:2 shelf:1"),
    "saltshaker": _p("countertop:3 cabinet:2 drawer:2 diningtable:2 shelf:1"),
    "dishsponge": _p("sinkbasin:3 countertop:2 cabinet:1 drawer:1 toilet:1 bathtubbasin:1 cart:1 garbagecan:1"),
    "glassbottle": _p("countertop:2 cabinet:2 fridge:2 diningtable:2 shelf:1 sinkbasin:1"),
    "winebottle": _p("fridge:2 countertop:2 cabinet:2 diningtable:2 shelf:1 garbagecan:1"),
    "soapbottle": _p("countertop:3 cabinet:2 toilet:2 shelf:1 garbagecan:1 drawer:1 cart:1"),
    "spraybottle": _p("cabinet:3 toilet:2 countertop:2 shelf:1 garbagecan:1 cart:1 drawer:1"),
    "soapbar": _p("countertop:2 bathtubbasin:2 toilet:2 sinkbasin:2 cabinet:2 cart:1 garbagecan:1"),
    "cloth": _p("countertop:2 bathtubbasin:2 cabinet:2 drawer:1 toilet:1 sinkbasin:1 laundryhamper:2 cart:1"),
    "handtowel": _p("handtowelholder:4 countertop:1 cabinet:1 bathtubbasin:1"),
    "plunger": _p("cabinet:2 cart:1"),
    "toiletpaper": _p("toiletpaperhanger:3 toilet:2 cabinet:2 countertop:1 shelf:1 garbagecan:1 drawer:1"),
    "tissuebox": _p(
        "sidetable:2 coffeetable:2 shelf:2 dresser:2 desk:1 tvstand:1 toilet:1 countertop:1 cabinet:1"
    ),
    "candle": _p("countertop:2 toilet:2 shelf:2 cabinet:2 sidetable:1 coffeetable:1 cart:1 dresser:1"),
    "book": _p("desk:3 shelf:3 bed:2 sidetable:2 coffeetable:2 sofa:1 dresser:1 drawer:1 armchair:1"),
    "box": _p("shelf:2 coffeetable:2 sidetable:2 sofa:1 armchair:1 desk:1 dresser:1 cabinet:1"),
    "cd": _p("desk:2 shelf:2 drawer:2 sidetable:2 safe:1 dresser:1 garbagecan:1 coffeetable:1"),
    "cellphone": _p(
        "desk:2 bed:2 sidetable:2 dresser:2 sofa:2 drawer:1 coffeetable:1 armchair:1 safe:1"
    ),
    "creditcard": _p(
        "desk:2 sidetable:2 drawer:2 dresser:1 coffeetable:1 sofa:1 armchair:1 shelf:1 safe:1"
    ),
    "keychain": _p(
        "sidetable:2 dresser:2 drawer:2 desk:1 coffeetable:1 sofa:1 armchair:1 shelf:1 safe:1"
    ),
    "pen": _p("desk:3 drawer:2 sidetable:2 dresser:1 shelf:1 garbagecan:1"),
    "pencil": _p("desk:3 drawer:2 sidetable:2 dresser:1 shelf:1 garbagecan:1"),
    "watch": _p("dresser:2 sidetable:2 desk:2 drawer:1 shelf:1 safe:1 coffeetable:1"),
    "remotecontrol": _p("coffeetable:3 sofa:3 armchair:2 sidetable:2 dresser:1 ottoman:1 drawer:1"),
    "alarmclock": _p("desk:3 sidetable:3 dresser:2 shelf:1"),
    "laptop": _p("desk:3 bed:3 sofa:2 coffeetable:2 armchair:1 ottoman:1 dresser:1 sidetable:1"),
    "newspaper": _p("coffeetable:2 sofa:2 sidetable:2 armchair:1 shelf:1 garbagecan:1 ottoman:1 drawer:1"),
    "pillow": _p("sofa:3 bed:3 armchair:2 ottoman:1"),
    "statue": _p("shelf:3 coffeetable:2 sidetable:2 dresser:1 desk:1 safe:1"),
    "vase": _p("shelf:3 coffeetable:2 sidetable:2 dresser:1 desk:1 cabinet:1 safe:1"),
    "baseballbat": _p("bed:2 sidetable:1"),
    "basketball": _p("bed:2 desk:1 dresser:1 sofa:1 armchair:1"),
    "tennisracket": _p("bed:2 desk:1 dresser:1 sidetable:1"),
}


def prior(otype: str, rtype: str) -> int:
    """How likely (relative weight, 0 = never expected) an `otype` is found in an `rtype`."""
    return PRIORS.get(otype, {}).get(rtype, 0)
