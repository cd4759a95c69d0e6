"""Every built-in environment under random actions keeps the common contract (docs/environments.md,
"Common contract"; `siri.envs.fuzz`): no exception, typed results, nothing moves after done, and the
same seed and actions give the same results. Broken toy environments check that the fuzzer notices.

The default suite fuzzes 2 000 steps per environment (a few seconds); `-m slow` runs 10^5 each
(benchmarks/fuzz_envs.py prints the same as a table).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import pytest

from siri.envs import AgentText, StepResult, builtin_env_names, register_env
from siri.envs import registry
from siri.envs.fuzz import KINDS, check_after_done, check_result, fuzz_env


def _assert_clean(report) -> None:
    assert report.ok, f"{report.env}: {report.exceptions} exceptions, {report.breaks} breaks:\n" + "\n".join(
        report.problems)


@pytest.mark.parametrize("name", builtin_env_names())
def test_random_actions_keep_the_contract(name):
    report = fuzz_env(name, steps=2000, seed=0)
    _assert_clean(report)
    # the run reached what it is meant to test
    assert set(KINDS) | {"oracle"} <= set(report.kinds), report.kinds
    assert report.after_done_steps >= 100 and report.wins >= 10 and report.replays >= 20


@pytest.mark.parametrize(("name", "options"), [
    ("household", {"command_version": "0.3", "size": "small"}),
    ("shop", {"num_products": 100, "catalog_seed": 3}),
    ("sokoban", {"dim": 7, "num_boxes": 2}),
])
def test_random_actions_with_other_options(name, options):
    _assert_clean(fuzz_env(name, steps=500, seed=1, env_options=options))


@pytest.mark.slow
@pytest.mark.parametrize("name", builtin_env_names())
def test_random_actions_keep_the_contract_for_100k_steps(name):
    _assert_clean(fuzz_env(name, steps=100_000, seed=0))


def test_the_fuzz_run_is_itself_reproducible():
    a, b = (fuzz_env("sokoban", steps=300, seed=4).row() for _ in range(2))
    a.pop("seconds"), b.pop("seconds")
    assert a == b


# ------------------------------------------------------------------ the checks on hand-made results

GOOD = StepResult("obs", 0.0, False, False, ("a", "b"), "obs", "task", "type", None, {"steps": 0})


def test_check_result_accepts_a_good_result_and_names_each_broken_field():
    assert check_result(GOOD, fresh=True) == []
    cases = {
        "reward 0 is not a finite float": replace(GOOD, reward=0),
        "reward nan is not a finite float": replace(GOOD, reward=float("nan")),
        "done 0 is not a bool": replace(GOOD, done=0),
        "admissible_actions is not a tuple of non-empty str": replace(GOOD, admissible_actions=["a"]),
        "admissible_actions repeat ['a']": replace(GOOD, admissible_actions=("a", "a")),
        "no admissible action while the episode runs": replace(GOOD, admissible_actions=()),
        "observation is bytes, not str": replace(GOOD, observation=b"obs"),
        "observation is not encodable as UTF-8": replace(GOOD, observation="\ud800"),
        "task_score '1' is neither None nor a finite float": replace(GOOD, task_score="1"),
        "won but not done": replace(GOOD, won=True),
        "info is not a dict with str keys": replace(GOOD, info={1: 2}),
    }
    for message, result in cases.items():
        assert any(p.startswith(message) for p in check_result(result)), (message, check_result(result))
    assert check_result(replace(GOOD, reward=1.0), fresh=True) == ["reset returned done=False won=False reward=1.0"]
    assert check_result(GOOD, steps=3, max_steps=3) == ["not done after 3 steps with max_steps=3"]
    assert check_result(GOOD, task=("other", "type"))[0].startswith("task changed within the episode")


def test_check_after_done():
    final = replace(GOOD, done=True, won=True, reward=10.0)
    assert check_after_done(replace(final, reward=0.0, info={"after_done": True}), final) == []
    assert check_after_done(replace(final, done=False, observation="moved"), final) == [
        "after done: reward 10.0", "after done: done flipped back to False", "after done: observation changed"]


# ------------------------------------------------------------------ broken environments are caught


@dataclass
class Flaws:
    pays_after_done: bool = False
    raises_on_nul: bool = False
    global_state: bool = False
    list_actions: bool = False


_calls = itertools.count()


class ToyEnv:
    """Walk from 0 to 3 with `inc`; `flaws` breaks one rule of the contract at a time."""

    name = "toy"
    flaws = Flaws()

    def __init__(self, split: str = "train", max_steps: int = 10):
        self.split, self.max_steps = split, max_steps
        self.value = self.steps = 0
        self.done = False

    def reset(self, seed: int) -> StepResult:
        self.value = next(_calls) % 2 if self.flaws.global_state else 0
        self.steps, self.done = 0, False
        return self._result(0.0)

    def step(self, action: str) -> StepResult:
        if self.flaws.raises_on_nul and "\x00" in action:
            raise ValueError("NUL")
        if self.done and not self.flaws.pays_after_done:
            return replace(self._result(0.0), info={"after_done": True})
        self.steps += 1
        self.value += action.strip() == "inc"
        return self._result(1.0 if self.value >= 3 else 0.0)

    def _result(self, reward: float) -> StepResult:
        won = self.value >= 3
        self.done = won or self.steps >= self.max_steps
        acts = ["dec", "inc"] if self.flaws.list_actions else ("dec", "inc")
        obs = f"value {self.value}"
        return StepResult(obs, reward if not (self.done and self.flaws.pays_after_done) else 1.0, self.done, won,
                          acts, obs, "reach 3", "toy")


class ToyOracle:
    def __init__(self, env):
        self.env = env

    def act(self, last: StepResult) -> str:
        return "inc"


@pytest.fixture
def toy(monkeypatch):
    saved = dict(registry._ENVS)
    register_env("toy", ToyEnv, oracles={"planner": ToyOracle}, text=AgentText(role="Count."))
    yield lambda **flaws: monkeypatch.setattr(ToyEnv, "flaws", Flaws(**flaws))
    registry._ENVS.clear()
    registry._ENVS.update(saved)


def test_a_sound_toy_passes(toy):
    toy()
    _assert_clean(fuzz_env("toy", steps=500))


@pytest.mark.parametrize(("flaw", "expected"), [
    ("pays_after_done", "after done: reward 1.0"),
    ("raises_on_nul", "ValueError: NUL"),
    ("global_state", "not deterministic"),
    ("list_actions", "admissible_actions is not a tuple of non-empty str"),
])
def test_each_broken_rule_is_caught(toy, flaw, expected):
    toy(**{flaw: True})
    report = fuzz_env("toy", steps=500)
    assert not report.ok and any(expected in p for p in report.problems), report.problems
