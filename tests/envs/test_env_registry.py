"""The registry is the one list of environments: a new one plugs in from outside, every name list
and option check comes from it, and option errors are one line."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
from dataclasses import dataclass

import pytest

from siri.agent import build_prompt, check_env_name, fallback_action, parse_response, render_trajectories
from siri.config import EnvConfig, load_config
from siri.envs import (
    AgentText,
    EnvError,
    StepResult,
    VectorEnv,
    agent_env_name,
    agent_env_names,
    builtin_env_names,
    check_env_options,
    env_names,
    env_text,
    make_env,
    make_oracle,
    register_env,
)
from siri.envs import registry
from siri.utils.errors import UserError

# ------------------------------------------------------------------ a toy environment, outside the package


@dataclass(frozen=True)
class CounterOptions:
    target: int = 3

    def __post_init__(self) -> None:
        if isinstance(self.target, bool) or not isinstance(self.target, int) or self.target < 1:
            raise EnvError(f"counter option target={self.target!r} must be an integer >= 1")


class CounterEnv:
    """Count from 0 up to `target` with `inc`; `dec` goes back; anything else does nothing."""

    name = "counter"

    def __init__(self, split: str = "train", max_steps: int = 10, target: int = 3):
        self.split, self.max_steps = split, max_steps
        self.target = CounterOptions(target).target
        self.value = self.steps = 0

    def reset(self, seed: int) -> StepResult:
        self.value = self.steps = 0
        return self._result(0.0)

    def step(self, action: str) -> StepResult:
        self.steps += 1
        self.value += {"inc": 1, "dec": -1}.get(action, 0)
        return self._result(1.0 if self.value == self.target else 0.0)

    def _result(self, reward: float) -> StepResult:
        won = self.value == self.target
        obs = f"The counter shows {self.value}."
        return StepResult(obs, reward, won or self.steps >= self.max_steps, won, ("inc", "dec", "wait"), obs,
                          f"make the counter show {self.target}", "count")


class CounterOracle:
    def __init__(self, env: CounterEnv):
        self.env = env

    def act(self, last: StepResult) -> str:
        return "inc"


@dataclass(frozen=True)
class CounterText(AgentText):
    """Hides `wait`; only `inc` and `dec` are actions."""

    def visible_actions(self, admissible):
        return [a for a in super().visible_actions(admissible) if a != "wait"]

    def check_action(self, action):
        return (action, None) if action in ("inc", "dec") else ("wait", "not_a_count")


COUNTER_TEXT = CounterText(role="You are counting.", fallback_chars=5)


@pytest.fixture
def counter():
    """Registers `counter` (and `counter_real`, which speaks its text) on a copy of the registry."""
    saved = dict(registry._ENVS)
    register_env("counter", CounterEnv, oracles={"planner": CounterOracle}, text=COUNTER_TEXT, options=CounterOptions)
    register_env("counter_real", CounterEnv, oracles={"planner": CounterOracle}, speaks="counter", builtin=False)
    yield
    registry._ENVS.clear()
    registry._ENVS.update(saved)


def _eval_env_choices() -> list[str]:
    from siri.commands import eval as eval_command

    sub = argparse.ArgumentParser().add_subparsers()
    eval_command.add_parser(sub)
    parser = sub.choices["eval"]
    return list(next(a for a in parser._actions if a.dest == "env").choices)


def test_a_new_environment_plugs_in_with_no_other_edit(counter):
    assert "counter" in env_names() and "counter" in agent_env_names() and "counter" in builtin_env_names()
    assert check_env_name("counter") == "counter"
    prompt = build_prompt("counter", task="make the counter show 3", observation="The counter shows 1.",
                          admissible=("inc", "dec", "wait"), history=[("The counter shows 0.", "inc")])
    assert prompt == (
        "You are counting.\n"
        "Your task is to: make the counter show 3\n"
        "You have taken 1 step(s). Your last 1 step(s):\n"
        "Observation 1: The counter shows 0.\n"
        "Action 1: inc\n"
        "You are now at step 2. Your current observation is: The counter shows 1.\n"
        "Your admissible actions are: ['inc', 'dec']\n"
        "Reply with exactly one admissible action inside <action></action>."
    )
    assert parse_response("<action>INC</action>", "counter").action == "inc"
    jump = parse_response("<action>jump</action>", "counter")
    assert (jump.action, jump.valid, jump.reason) == ("wait", False, "not_a_count")
    assert fallback_action("counter", "I Do Not Know") == " know"
    assert render_trajectories("counter", [[("The counter shows 0.", "inc")]]) == "Trajectory 1 (success)\nActions: inc"

    cfg = load_config(None, ["env.name=counter", "env.options.target=5", "env.max_steps=9"])
    assert cfg.env.options == {"target": 5}
    env = make_env(cfg.env.name, split="train", max_steps=cfg.env.max_steps, **cfg.env.options)
    vec = VectorEnv([env])
    result = vec.reset([0])[0]
    oracle = make_oracle(env)
    while not result.done:
        result = vec.step({0: oracle.act(result)})[0]
    assert result.won and env.steps == 5
    assert "counter" in _eval_env_choices()


def test_an_environment_that_speaks_another_ones_text(counter):
    assert agent_env_name("counter_real") == "counter" and env_text("counter_real") is COUNTER_TEXT
    assert "counter_real" in env_names() and "counter_real" not in builtin_env_names()
    with pytest.raises(UserError, match="for the agent interface; allowed: .*counter"):
        check_env_name("counter_real")  # the agent layer takes the name of the text it speaks
    assert load_config(None, ["env.name=counter_real"]).env.name == "counter_real"
    with pytest.raises(UserError, match=r"^config error: env.options: unknown counter_real option 'target'; "
                                        r"allowed: \(none\) \(got \{'target': 1\}\)$"):
        load_config(None, ["env.name=counter_real", "env.options.target=1"])


def test_register_env_refuses_bad_entries(counter):
    with pytest.raises(EnvError, match="already taken"):
        register_env("counter", CounterEnv, oracles={"planner": CounterOracle}, text=COUNTER_TEXT)
    with pytest.raises(EnvError, match="exactly one of text= and speaks="):
        register_env("abacus", CounterEnv, oracles={"planner": CounterOracle})
    with pytest.raises(EnvError, match="no text of its own"):
        register_env("abacus", CounterEnv, oracles={"planner": CounterOracle}, speaks="counter_real")


# ------------------------------------------------------------------ one list of names


def test_every_name_list_comes_from_the_registry():
    assert _eval_env_choices() == env_names()
    from siri.commands import play

    sub = argparse.ArgumentParser().add_subparsers()
    play.add_parser(sub)
    assert list(next(a for a in sub.choices["play"]._actions if a.dest == "env").choices) == env_names()
    for name in env_names():
        assert EnvConfig(name=name).name == name
    with pytest.raises(UserError, match=f"^config error: env.name: unknown environment 'chess'; allowed: "
                                        f"{', '.join(env_names())} \\(got 'chess'\\)$"):
        load_config(None, ["env.name=chess"])
    assert set(builtin_env_names()) <= set(env_names())
    assert set(agent_env_names()) == {n for n in env_names() if agent_env_name(n) == n}
    for name in env_names():
        assert check_env_name(agent_env_name(name)) == agent_env_name(name)
        assert env_text(name) is env_text(agent_env_name(name))


def test_unknown_names_are_one_line_errors():
    allowed = ", ".join(env_names())
    for call in (lambda: env_text("chess"), lambda: check_env_options("chess", {}), lambda: make_env("chess")):
        with pytest.raises(EnvError, match=f"^unknown environment 'chess'; allowed: {allowed}$"):
            call()


# ------------------------------------------------------------------ typed options


@pytest.mark.parametrize("name", sorted(registry._ENVS))
def test_option_errors_name_the_bad_key_and_the_allowed_ones(name):
    allowed = ", ".join(registry.option_names(name))
    expected = f"unknown {name} option 'colour'; allowed: {allowed}"
    with pytest.raises(EnvError) as err:
        check_env_options(name, {"colour": "red"})
    assert str(err.value) == expected
    with pytest.raises(UserError) as err:
        load_config(None, [f"env.name={name}", "env.options.colour=red"])
    assert str(err.value) == f"config error: env.options: {expected} (got {{'colour': 'red'}})"
    assert "\n" not in str(err.value)
    with pytest.raises(EnvError, match="^unknown .* option 'colour'; allowed: .*max_steps"):
        make_env(name, colour="red")
    with pytest.raises(EnvError, match="option 'max_steps'"):
        check_env_options(name, {"max_steps": 3})  # set by env.max_steps, not env.options


@pytest.mark.parametrize(
    "name, options, message",
    [
        ("household", {"size": "huge"}, "unknown household size 'huge'; allowed: tiny, small, alfred"),
        ("household", {"task_types": ["juggle"]}, "unknown household task type 'juggle'; allowed: "),
        ("household", {"command_version": "9"}, "unknown household command_version '9'; allowed: 0.4, 0.3"),
        ("shop", {"num_products": 5}, "shop option num_products=5 must be an integer >= 100"),
        ("sokoban", {"dim": "big"}, "dim must be an int or a (height, width) pair, got 'big'"),
        ("sokoban", {"num_boxes": 0}, "num_boxes must be between 1 and 10 for a 6x6 room, got 0"),
        ("alfworld", {"task_types": []}, "task_types must be a non-empty list of: "),
        # values of types the checks must not trip over (they raised TypeError)
        ("household", {"size": {"a": 1}}, "unknown household size {'a': 1}; allowed: "),
        ("household", {"task_types": 3}, "task_types must be a non-empty list of: "),
        ("sokoban", {"num_boxes": "x"}, "num_boxes must be an int, got 'x'"),
        ("sokoban", {"num_gen_steps": 1.5}, "num_gen_steps must be an int or null, got 1.5"),
        ("sokoban", {"p_change_directions": [1]}, "p_change_directions must be a number in [0, 1], got [1]"),
        ("shop", {"num_products": 10**10}, "shop option num_products=10000000000 must be an integer >= 100 and <= "),
        ("alfworld", {"game_files": 3}, "game_files must be a path or a list of paths, got 3"),
    ],
)
def test_option_values_are_checked_before_any_work(name, options, message):
    with pytest.raises(EnvError) as err:
        check_env_options(name, options)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
    assert check_env_options(name, {}) == {}


def test_make_env_checks_option_values_too():
    with pytest.raises(EnvError, match="^num_boxes must be an int, got 'x'$"):
        make_env("sokoban", num_boxes="x")


@dataclass(frozen=True)
class LooseOptions:
    target: int = 3

    def __post_init__(self) -> None:
        if self.target < 1:  # no type check: a list raises TypeError
            raise EnvError(f"target={self.target!r} must be >= 1")


def test_a_type_error_in_an_options_class_is_a_one_line_env_error(counter):
    register_env("loose", CounterEnv, oracles={"planner": CounterOracle}, text=COUNTER_TEXT, options=LooseOptions)
    message = r"^bad loose option value in \{'target': \[1\]\}: '<' not supported between"
    with pytest.raises(EnvError, match=message):
        check_env_options("loose", {"target": [1]})
    with pytest.raises(EnvError, match=message):
        make_env("loose", target=[1])
    with pytest.raises(UserError, match="^config error: env.options: bad loose option value"):
        load_config(None, ["env.name=loose", "env.options.target=[1]"])


def test_good_options_pass_unchanged():
    options = {"size": "small", "task_types": ["pick_and_place_simple"], "command_version": "0.3"}
    assert check_env_options("household", options) == options
    assert check_env_options("sokoban", {"dim": [7, 8], "num_boxes": 2}) == {"dim": [7, 8], "num_boxes": 2}


@pytest.mark.parametrize("name", sorted(registry._ENVS))
def test_options_classes_match_their_factories(name):
    """The options class is the factory's keyword options (less split and max_steps), same defaults."""
    entry = registry.env_entry(name)
    params = inspect.signature(registry._load(entry.factory)).parameters
    declared = {p.name: p.default for p in params.values() if p.name not in ("split", "max_steps")}
    fields = {f.name: f.default for f in dataclasses.fields(registry._load(entry.options))}
    assert fields == declared
