"""Property tests: any text as an action never raises and keeps the world consistent; random
admissible walks never crash (docs/environments.md, "Common contract")."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siri.envs.household import HouseholdEnv

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
COMMANDS = st.sampled_from(
    ["look", "inventory", "help", "go to", "take", "open", "move", "heat", "use desklamp 1", "go to fridge 1"]
)
ACTIONS = st.one_of(st.text(max_size=200), st.text(alphabet=st.characters(max_codepoint=0x7F)), COMMANDS)


def check_invariants(env, names, result):
    scene = env.scene
    assert sorted(o.name for o in scene.objects) == names  # nothing lost or duplicated
    receps = {r.name for r in scene.receptacles}
    held = [o.name for o in scene.objects if o.location is None]
    assert len(held) <= 1 and held == ([scene.holding] if scene.holding else [])
    assert all(o.location in receps for o in scene.objects if o.location is not None)
    assert scene.agent_at is None or scene.agent_at in receps
    acts = result.admissible_actions
    assert list(acts) == sorted(acts) and {"help", "inventory", "look"} <= set(acts)
    assert result.reward in (0.0, 10.0) and (result.reward == 10.0) <= result.won
    assert result.done >= result.won and result.anchor == result.observation


@SETTINGS
@given(seed=st.integers(0, 10**6), actions=st.lists(ACTIONS, max_size=25))
def test_any_text_never_raises(seed, actions):
    env = HouseholdEnv(max_steps=20)
    result = env.reset(seed)
    names = sorted(o.name for o in env.scene.objects)
    for action in actions:
        result = env.step(action)
        assert isinstance(result.observation, str) and result.observation
        check_invariants(env, names, result)


@SETTINGS
@given(
    seed=st.integers(0, 10**6),
    size=st.sampled_from(["tiny", "small", "alfred"]),
    version=st.sampled_from(["0.4", "0.3"]),
    picks=st.lists(st.integers(0, 10**6), min_size=1, max_size=60),
)
def test_random_admissible_walks(seed, size, version, picks):
    env = HouseholdEnv(size=size, command_version=version, max_steps=60)
    result = env.reset(seed)
    names = sorted(o.name for o in env.scene.objects)
    for pick in picks:
        if result.done:
            break
        action = result.admissible_actions[pick % len(result.admissible_actions)]
        result = env.step(action)
        assert result.observation != "Nothing happens."  # admissible commands always do something
        check_invariants(env, names, result)
