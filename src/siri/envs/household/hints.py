"""Location hints for skill-following demonstrations (docs/environments.md "Knowledge that pays").

A hint is a location skill (`AgentText.location_skill`: "When looking for an object: egg in fridge, pen
in desk.") about the task's object and up to `OTHERS` other object types (of the env's `objects`
option, or of the catalog), in a random order (only the task's object when the env reports task types
by object: a skill filed under one object's task type speaks of that object only), each with a place
drawn uniformly among the receptacle types that can hold it (for the task's object: among those in the
room), never by the placement priors; so a policy trained on these demonstrations learns to find its
object in a hint and follow it, not the priors. Many hints are wrong; the demonstrating oracle (the blind searcher) searches the
hinted place first, right or wrong, and then goes on searching.
"""

from __future__ import annotations

import random

from siri.envs.household.catalog import CAN_CONTAIN, PRIORS, can_contain
from siri.envs.household.oracle import BlindSearcherOracle
from siri.envs.household.text import TEXT

OTHERS = 3  # other object types a hint mentions besides the task's


def hinted_demo(env, rng: random.Random) -> tuple[str, BlindSearcherOracle]:
    """(the hint's skill text, an oracle that follows it) for the episode `env` was just reset to."""
    scene = env.scene
    thing = scene.task.obj_type
    places = sorted({r.rtype for r in scene.receptacles
                     if r.rtype != scene.task.recep_type and can_contain(r.rtype, thing)})
    place = rng.choice(places)
    facts = [(thing, place)]
    pool = sorted(set(getattr(env, "objects", None) or PRIORS) - {thing})
    others = 0 if getattr(env, "task_type_by_object", False) else OTHERS
    for other in rng.sample(pool, min(others, len(pool))):
        holders = sorted(r for r in CAN_CONTAIN if can_contain(r, other))
        if holders:
            facts.append((other, rng.choice(holders)))
    rng.shuffle(facts)
    oracle = BlindSearcherOracle(env)
    oracle.hints = {thing: place}
    return TEXT.location_skill(facts), oracle
