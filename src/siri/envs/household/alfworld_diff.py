"""Differential play: walk one generated scene in our engine and in the real ALFWorld engine side by side
and list every difference (docs/environments.md, "Household" — Faithful mode: "a differential test compares
admissible commands and feedback on walks through the same scene").

The scene is exported with `write_game_file` and played by `ALFWorldAdapterEnv` (the real engine, no
translation). Each step compares the observation text byte for byte, the admissible command *sets*
(both engines sort, and both list `help`: no mapping is applied), and `won`. Commands come from a
policy that sees our engine's last result (an oracle, or a random admissible walk).
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from siri.envs.base import StepResult
from siri.envs.household.alfworld_adapter import ALFWorldAdapterEnv
from siri.envs.household.env import HouseholdEnv
from siri.envs.household.pddl_export import write_game_file

Policy = Callable[[StepResult], str]


@dataclass(frozen=True)
class Mismatch:
    """One difference: at `step` (0 = the intro) after `command`, `what` differs."""

    seed: int
    step: int
    command: str
    what: str  # "observation" | "admissible" | "won" | "task"
    ours: str
    real: str

    def __str__(self) -> str:
        head = f"seed {self.seed} step {self.step} `{self.command}` {self.what}"
        return f"{head}:\n  ours: {self.ours!r}\n  real: {self.real!r}"


def compare_results(seed: int, step: int, command: str, ours: StepResult, real: StepResult) -> list[Mismatch]:
    out = []
    if ours.observation != real.observation:
        out.append(Mismatch(seed, step, command, "observation", ours.observation, real.observation))
    mine, theirs = set(ours.admissible_actions), set(real.admissible_actions)
    if mine != theirs:
        only = f"only ours: {sorted(mine - theirs)}"
        out.append(Mismatch(seed, step, command, "admissible", only, f"only real: {sorted(theirs - mine)}"))
    if ours.won != real.won:
        out.append(Mismatch(seed, step, command, "won", str(ours.won), str(real.won)))
    if step == 0 and (ours.task, ours.task_type) != (real.task, real.task_type):
        mine, theirs_task = f"{ours.task} / {ours.task_type}", f"{real.task} / {real.task_type}"
        out.append(Mismatch(seed, step, command, "task", mine, theirs_task))
    return out


def random_policy(rng: random.Random, bad_rate: float = 0.1) -> Policy:
    """A random admissible walk that now and then sends an inadmissible command."""
    bad = ["go to nowhere 1", "take", "open", "examine", "", "jump"]

    def act(last: StepResult) -> str:
        if rng.random() < bad_rate:
            return rng.choice(bad)
        return rng.choice(list(last.admissible_actions))

    return act


@dataclass
class Walk:
    """What one differential walk found; `real` is the adapter, reusable for the next walk."""

    mismatches: list[Mismatch]
    steps: int
    ours: StepResult
    theirs: StepResult
    real: ALFWorldAdapterEnv


def diff_walk(
    env: HouseholdEnv,
    seed: int,
    make_policy: Callable[[HouseholdEnv], Policy],
    steps: int,
    game_dir: str | Path,
    real: ALFWorldAdapterEnv | None = None,
) -> Walk:
    """Play up to `steps` commands of the policy in both engines from seed `seed`; list the differences."""
    ours = env.reset(seed)
    scene = copy.deepcopy(env.scene)
    assert scene is not None
    path = write_game_file(scene, Path(game_dir) / f"{env.split}_{seed}")
    if real is None:
        real = ALFWorldAdapterEnv(path, split=env.split, max_steps=env.max_steps)
    real.game_files = [path]
    theirs = real.reset(0)
    found = compare_results(seed, 0, "", ours, theirs)
    policy = make_policy(env)
    step = 0
    while step < steps and not (ours.done or theirs.done):
        step += 1
        command = policy(ours)
        ours, theirs = env.step(command), real.step(command)
        found += compare_results(seed, step, command, ours, theirs)
    return Walk(found, step, ours, theirs, real)
