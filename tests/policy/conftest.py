"""The policy tests' hand-written text list, for tests that train a tokenizer of their own."""

from __future__ import annotations

import pytest

TEXTS = [
    "You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a cabinet 2, "
    "a countertop 1, a fridge 1, a sinkbasin 1 and a microwave 1.",
    "Your task is to: put a clean apple in fridge.",
    "<think>The apple is probably on the countertop.</think><action>go to countertop 1</action>",
    "On the countertop 1, you see an apple 1, a knife 2, and a mug 3.",
    "<action>take apple 1 from countertop 1</action>",
    "You pick up the apple 1 from the countertop 1.",
    "<action>clean apple 1 with sinkbasin 1</action>",
    "Nothing happens.",
    "Search results: [B07XYZ] red cotton shirt, $12.99 [Next >]",
    "#### ## @ $ ## . #### push box left right up down",
]


@pytest.fixture(scope="session")
def texts() -> list[str]:
    return TEXTS * 20
