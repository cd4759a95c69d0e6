"""Location hints for skill-following demonstrations (docs/environments.md "Knowledge that pays").

A hint is a location skill (`AgentText.location_skill`: "When looking for an apple: check the fridge
first.") naming a place drawn uniformly among the kinds of receptacle in the room that can hold the
task's object, never by the placement priors, so that a policy trained on these demonstrations learns
to follow a hint, not the priors. Many hints are wrong; the demonstrating oracle (the blind searcher)
searches the hinted places first, right or wrong, and then goes on searching.
"""

from __future__ import annotations

import random

from siri.envs.household.catalog import can_contain
from siri.envs.household.oracle import BlindSearcherOracle
from siri.envs.household.text import TEXT


def hinted_demo(env, rng: random.Random) -> tuple[str, BlindSearcherOracle]:
    """(the hint's skill text, an oracle that follows it) for the episode `env` was just reset to."""
    scene = env.scene
    thing = scene.task.obj_type
    places = sorted({r.rtype for r in scene.receptacles
                     if r.rtype != scene.task.recep_type and can_contain(r.rtype, thing)})
    place = rng.choice(places)
    oracle = BlindSearcherOracle(env)
    oracle.hints = {thing: place}
    return TEXT.location_skill(thing, place), oracle
