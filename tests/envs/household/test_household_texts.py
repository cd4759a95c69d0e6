"""Exact engine strings (docs/environments.md, "Household" — Text), written out by hand."""

from siri.envs.household import texts


def test_join_names_follows_alfworld_list_style():
    assert texts.join_names([]) == "nothing"
    assert texts.join_names(["egg 1"]) == "a egg 1"
    assert texts.join_names(["egg 1", "apple 2"]) == "a egg 1, and a apple 2"
    assert texts.join_names(["apple 1", "mug 2", "knife 1"]) == "a apple 1, a mug 2, and a knife 1"


def test_intro_and_look():
    assert texts.intro(["cabinet 1", "sinkbasin 1"], "put a clean apple in fridge") == (
        "-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room. Looking quickly around "
        "you, you see a cabinet 1, and a sinkbasin 1.\n\nYour task is to: put a clean apple in fridge."
    )
    assert texts.look_middle([]) == "You are in the middle of a room. Looking quickly around you, you see nothing."
    assert texts.look_at("fridge 1") == "You are facing the fridge 1. Next to it, you see nothing."


def test_receptacle_descriptions():
    assert texts.describe_receptacle("fridge 1", True, False, ["egg 1"]) == "The fridge 1 is closed."
    assert texts.describe_receptacle("fridge 1", True, True, ["egg 1"]) == "The fridge 1 is open. In it, you see a egg 1."
    assert texts.describe_receptacle("countertop 1", False, False, ["tomato 2"]) == "On the countertop 1, you see a tomato 2."
    assert texts.describe_receptacle("countertop 1", False, False, []) == "On the countertop 1, you see nothing."
    assert texts.arrive("fridge 1", "The fridge 1 is closed.") == "You arrive at fridge 1. The fridge 1 is closed."


def test_action_feedback():
    assert texts.opened("fridge 1", "The fridge 1 is open. In it, you see a egg 1.") == (
        "You open the fridge 1. The fridge 1 is open. In it, you see a egg 1."
    )
    assert texts.closed("cabinet 1") == "You close the cabinet 1."
    assert texts.take("egg 1", "fridge 1") == "You pick up the egg 1 from the fridge 1."
    assert texts.move("egg 1", "microwave 1") == "You move the egg 1 to the microwave 1."
    assert texts.put_old("egg 1", "microwave 1") == "You put the egg 1 in/on the microwave 1."
    assert texts.apply_appliance("heat", "egg 1", "microwave 1") == "You heat the egg 1 using the microwave 1."
    assert texts.apply_appliance("cool", "egg 1", "fridge 1") == "You cool the egg 1 using the fridge 1."
    assert texts.apply_appliance("clean", "egg 1", "sinkbasin 1") == "You clean the egg 1 using the sinkbasin 1."
    assert texts.turn_on("desklamp 1") == "You turn on the desklamp 1."
    assert texts.inventory("egg 1") == "You are carrying: a egg 1."
    assert texts.inventory(None) == "You are not carrying anything."
    assert texts.NOTHING_HAPPENS == "Nothing happens."


def test_examine_object_cases():
    assert texts.examine_object("egg 1") == "There's nothing special about egg 1."
    assert texts.examine_object("egg 1", hot=True) == "This is a hot egg 1."
    assert texts.examine_object("egg 1", cool=True) == "This is a cold egg 1."
    assert texts.examine_object("egg 1", clean=True) == "This is a clean egg 1."
    assert texts.examine_object("egg 1", hot=True, clean=True) == "This is a hot and clean egg 1."
    assert texts.examine_object("egg 1", cool=True, clean=True) == "This is a cool and clean egg 1."
    assert texts.examine_object("desklamp 1", lamp_on=False) == "This desklamp 1 is off."
    assert texts.examine_object("desklamp 1", lamp_on=True) == "This desklamp 1 is on."


def test_help_lists_one_line_per_command():
    assert texts.HELP.startswith("Available commands:\n") and texts.HELP.endswith("\n")
    lines = texts.HELP.strip("\n").split("\n")
    assert lines[0] == "Available commands:"
    heads = [line.split(":")[0].strip() for line in lines[1:]]
    assert heads[:12] == [
        "look",
        "inventory",
        "go to (receptacle)",
        "open (receptacle)",
        "close (receptacle)",
        "take (object) from (receptacle)",
        "move (object) to (receptacle)",
        "examine (something)",
        "use (object)",
        "heat (object) with (receptacle)",
        "clean (object) with (receptacle)",
        "cool (object) with (receptacle)",
    ]
