"""Both oracles solve every generated task (docs/environments.md, "Common contract": every environment has
an oracle and every generated task is solvable); the searcher plays from texts alone."""

from types import SimpleNamespace

import pytest

from siri.envs.household import HouseholdEnv, PlannerOracle, SearcherOracle
from siri.envs.household.engine import admissible_commands, execute
from siri.envs.household.goals import goal_satisfied
from siri.envs.household.memory import Memory, parse_items, parse_task
from siri.envs.household.scene import TASK_TYPES


def play(env, make_oracle, seed):
    result = env.reset(seed)
    oracle = make_oracle(env, seed)
    while not result.done:
        result = env.step(oracle.act(result))
    return result.won, env.steps


def planner(env, seed):
    return PlannerOracle(env)


def searcher(env, seed):
    return SearcherOracle(SimpleNamespace(), seed=seed)  # no access to the env, hence none to the scene


def noisy_searcher(env, seed):
    return SearcherOracle(SimpleNamespace(), noise=0.2, seed=seed)


@pytest.mark.parametrize("task_type", TASK_TYPES)
@pytest.mark.parametrize("make_oracle", [planner, searcher], ids=["planner", "searcher"])
def test_oracles_solve_200_seeds_per_task_type(task_type, make_oracle):
    env = HouseholdEnv(task_types=[task_type])
    results = [play(env, make_oracle, seed) for seed in range(200)]
    assert all(won for won, _ in results)


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_noisy_searcher_still_mostly_solves(task_type):
    env = HouseholdEnv(task_types=[task_type], size="small")
    wins = sum(play(env, noisy_searcher, seed)[0] for seed in range(50))
    assert wins >= 45


@pytest.mark.slow
@pytest.mark.parametrize("size", ["tiny", "small", "alfred"])
@pytest.mark.parametrize("split", ["train", "eval", "unseen"])
def test_oracles_solve_1000_seeds(size, split):
    env = HouseholdEnv(split=split, size=size)
    for make_oracle in (planner, searcher):
        assert all(play(env, make_oracle, seed)[0] for seed in range(1000))


def test_planner_plays_the_hand_worked_shortest_plan(scene):
    """Heat the egg of the hand-built kitchen and put it on the countertop: 7 commands."""
    env = SimpleNamespace(scene=scene)
    oracle, actions = PlannerOracle(env), []
    while not goal_satisfied(scene):
        cmds = tuple(admissible_commands(scene))
        action = oracle.act(SimpleNamespace(admissible_actions=cmds))
        assert action in cmds
        execute(scene, action)
        actions.append(action)
    assert actions == [
        "go to fridge 1",
        "open fridge 1",
        "take egg 1 from fridge 1",
        "go to microwave 1",
        "heat egg 1 with microwave 1",
        "go to countertop 1",
        "move egg 1 to countertop 1",
    ]


def test_searcher_looks_in_likely_places_first():
    """Egg prior: fridge 4 > countertop 2 > ...; the searcher must open the fridge first."""
    env = HouseholdEnv(task_types=["pick_heat_then_place_in_recep"])
    checked = 0
    for seed in range(60):
        first = env.reset(seed)
        if env.scene.task.obj_type != "egg":
            continue
        oracle = SearcherOracle(SimpleNamespace())
        assert oracle.act(first) == "go to fridge 1"
        checked += 1
    assert checked >= 3


def test_memory_reads_observations():
    mem = Memory()
    mem.update(
        "-= Welcome to TextWorld, ALFRED! =-\n\nYou are in the middle of a room. Looking quickly around you, "
        "you see a cabinet 1, a fridge 1, and a sinkbasin 1.\n\nYour task is to: put a cool egg in cabinet."
    )
    assert mem.receptacles == ["cabinet 1", "fridge 1", "sinkbasin 1"] and mem.unexplored() == mem.receptacles
    mem.update("You arrive at fridge 1. The fridge 1 is closed.")
    assert mem.at == "fridge 1" and "fridge 1" in mem.closed and "fridge 1" not in mem.contents
    mem.update("You open the fridge 1. The fridge 1 is open. In it, you see a egg 1, and a apple 2.")
    assert mem.contents["fridge 1"] == ["egg 1", "apple 2"] and "fridge 1" not in mem.closed
    mem.update("You pick up the egg 1 from the fridge 1.")
    assert mem.holding == "egg 1" and mem.contents["fridge 1"] == ["apple 2"]
    mem.update("You cool the egg 1 using the fridge 1.")
    mem.update("You heat the egg 1 using the microwave 1.")
    assert mem.states["egg 1"] == {"hot"}
    mem.update("You arrive at sinkbasin 1. On the sinkbasin 1, you see nothing.")
    mem.update("You move the egg 1 to the sinkbasin 1.")
    assert mem.holding is None and mem.contents["sinkbasin 1"] == ["egg 1"] and mem.known("egg") == [("egg 1", "sinkbasin 1")]
    assert mem.unexplored() == ["cabinet 1"]


def test_parse_helpers():
    assert parse_items("a apple 1, a mug 2, and a knife 1") == ["apple 1", "mug 2", "knife 1"]
    assert parse_items("nothing") == []
    assert parse_task("pick_two_obj_and_place", "find two mug and put them in cabinet") == ("mug", "cabinet")
    assert parse_task("look_at_obj_in_light", "look at book under the desklamp") == ("book", "desklamp")
    assert parse_task("pick_clean_then_place_in_recep", "put a clean apple in fridge") == ("apple", "fridge")
    with pytest.raises(ValueError):
        parse_task("pick_and_place_simple", "dance")


def _search_walk(env, oracle, seed):
    """The places the oracle goes to before it takes anything, and every place in admissible order."""
    result = env.reset(seed)
    places = sorted(a[len("go to "):] for a in result.admissible_actions if a.startswith("go to "))
    walk = []
    while not result.done:
        action = oracle.act(result)
        if action.startswith("take "):
            return walk, places
        if action.startswith("go to "):
            walk.append(action[len("go to "):])
        result = env.step(action)
    raise AssertionError(f"seed {seed}: the oracle never took anything")


def test_blind_searcher_solves_every_task_by_a_cyclic_scan_in_admissible_order():
    """Nothing is seen into before the first arrival and each arrival reveals only its own place, so the
    scan goes to consecutive places of the alphabetical admissible list, wrapping around, from a start
    drawn per episode: the starts vary over seeds and a replay replays its start."""
    from siri.envs.household.oracle import BlindSearcherOracle

    env = HouseholdEnv(size="small", priors=3.0, max_steps=100, task_types=["pick_and_place_simple"])
    starts = set()
    for seed in range(60):
        walk, places = _search_walk(env, BlindSearcherOracle(SimpleNamespace()), seed)
        start = places.index(walk[0])
        assert walk == (places[start:] + places[:start])[: len(walk)], seed
        assert _search_walk(env, BlindSearcherOracle(SimpleNamespace()), seed)[0] == walk
        starts.add(start)
    assert len(starts) >= 5
    full = HouseholdEnv(size="small", priors=3.0, max_steps=100)
    assert all(play(full, lambda e, s: BlindSearcherOracle(SimpleNamespace()), seed)[0] for seed in range(100))


def test_hinted_blind_scan_starts_at_the_hinted_type_and_wraps_around():
    from siri.envs.household.oracle import BlindSearcherOracle

    env = HouseholdEnv(size="small", priors=3.0, max_steps=100, task_types=["pick_and_place_simple"])
    wrapped = 0
    for seed in range(60):
        env.reset(seed)
        thing = env.scene.task.obj_type
        oracle = BlindSearcherOracle(SimpleNamespace())
        oracle.hints = {thing: "toaster"}  # last in the alphabet of the kitchen's places: the scan wraps
        walk, places = _search_walk(env, oracle, seed)
        if "toaster 1" not in places:
            continue
        start = places.index("toaster 1")
        rotated = places[start:] + places[:start]
        assert walk == rotated[: len(walk)], seed
        wrapped += len(walk) > len(places) - start
    assert wrapped > 0


def test_the_priors_are_worth_steps_in_a_small_room():
    """The knowledge the testbed is built on: searching by the priors beats searching blind, and the
    more so the stronger the priors (docs/environments.md "Knowledge that pays")."""
    from siri.envs.household.oracle import BlindSearcherOracle

    def mean_steps(oracle, priors):
        env = HouseholdEnv(size="small", priors=priors, max_steps=100, split="eval",
                           task_types=["pick_and_place_simple"])
        return sum(play(env, lambda e, s: oracle(SimpleNamespace()), seed)[1] for seed in range(150)) / 150

    gap_1 = mean_steps(BlindSearcherOracle, 1.0) - mean_steps(SearcherOracle, 1.0)
    gap_3 = mean_steps(BlindSearcherOracle, 3.0) - mean_steps(SearcherOracle, 3.0)
    assert gap_3 > 3.0 and gap_3 > gap_1


def test_hinted_searcher_goes_to_the_hinted_place_first():
    from siri.envs.household.oracle import BlindSearcherOracle

    env = HouseholdEnv(size="small", task_types=["pick_and_place_simple"])
    env.reset(3)
    thing = env.scene.task.obj_type
    places = sorted({r.rtype for r in env.scene.receptacles if r.rtype != env.scene.task.recep_type})
    for place in places[:3]:
        oracle = BlindSearcherOracle(SimpleNamespace())
        oracle.hints = {thing: place}
        assert oracle.act(env.reset(3)).startswith(f"go to {place} ")
