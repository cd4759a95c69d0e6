"""Real adapter: the same Env contract on ALFWorld's own game files, played by ALFWorld's own text engine
(textworld's PDDL backend with ALFWorld's name demangler) — docs/environments.md, "Household" — Real adapter.

Nothing is translated: the observation, the admissible commands (sorted, `help` included: the household's
agent text hides it) and `won` are the real engine's. The engine matches a command exactly after stripping
surrounding spaces; unlike our stand-in it does not lower-case or collapse inner whitespace.
reward = 10·won; done when won or after `max_steps` steps; stepping after done returns the final state
again with reward 0 (as `HouseholdEnv` does). `alfworld` is imported only when the first game loads.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from siri.envs.base import EnvError, StepResult, after_done
from siri.envs.household.alfworld_games import (
    default_data_path,
    find_game_files,
    game_file_sources,
    load_game_json,
    our_split,
    task_type_of,
)
from siri.envs.household.layout import check_task_types
from siri.utils.errors import install_hint

WIN_REWARD = 10.0
_TASK = re.compile(r"Your task is to: (.*?)\.?\s*$", re.S)
MISSING = f"the real ALFWorld engine is not installed: {install_hint('alfworld')}"


def _make_textworld_env() -> Any:
    """ALFWorld's text environment: PddlEnv wrapped like `AlfredTWEnv.init_env` does (no shuffling)."""
    argv = list(sys.argv)
    try:
        import textworld
        from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos
        from textworld.envs.pddl import PddlEnv
    except ImportError as exc:
        raise EnvError(MISSING) from exc
    finally:
        sys.argv = argv
    infos = textworld.EnvInfos(won=True, admissible_commands=True, extras=["gamefile"])
    return AlfredInfos(AlfredDemangler(PddlEnv(infos), shuffle=False))


def parse_task(intro: str) -> str:
    """The instruction after "Your task is to: ", without its final period."""
    match = _TASK.search(intro)
    return match.group(1).strip() if match else ""


@dataclass(frozen=True)
class ALFWorldOptions:
    """The adapter's own options (`env.options`); the game files are looked for only when the env is made.

    `split` and `max_steps` are every environment's and set by the caller, so they are not here.
    """

    game_files: str | os.PathLike | Iterable[str | os.PathLike] | None = None
    task_types: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if self.game_files is not None:
            game_file_sources(self.game_files)  # the type only; the files are looked for later
        if self.task_types is not None:
            check_task_types(self.task_types)


class ALFWorldAdapterEnv:
    """Plays ALFWorld game files; `reset(seed)` picks game `seed mod N` of the split's sorted list."""

    name = "alfworld"

    def __init__(
        self,
        game_files: str | os.PathLike | Iterable[str | os.PathLike] | None = None,
        split: str = "train",
        max_steps: int = 50,
        task_types: Sequence[str] | None = None,
    ):
        self.split = our_split(split)
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise EnvError(f"max_steps must be a positive integer, got {max_steps!r}")
        self.max_steps = max_steps
        if game_files is None:
            game_files = default_data_path()
            if game_files is None:
                raise EnvError("alfworld needs game_files=<folder of game.tw-pddl files> or $ALFWORLD_DATA set")
        self.game_files = find_game_files(game_files, self.split)
        self.task_types = None if task_types is None else check_task_types(task_types)
        self._tw: Any = None
        self._last: StepResult | None = None
        self.steps = 0
        self.game_file: Path | None = None
        self.task = ""
        self.task_type = ""

    def reset(self, seed: int) -> StepResult:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise EnvError(f"seed must be a non-negative integer, got {seed!r}")
        path, game = self._pick(seed)
        if self._tw is None:
            self._tw = _make_textworld_env()
        argv = list(sys.argv)
        try:  # fast_downward's translator overwrites sys.argv while it parses the problem
            self._tw.load(str(path))
            state = self._tw.reset()
        except (Exception, SystemExit) as exc:  # its translator exits on bad PDDL
            raise EnvError(f"the ALFWorld engine cannot load {path}: {type(exc).__name__}: {exc}") from exc
        finally:
            sys.argv = argv
        self.game_file, self.steps = path, 0
        self.task = parse_task(state.feedback)
        self.task_type = task_type_of(path, game)
        self._last = self._result(state)
        return self._last

    def _pick(self, seed: int) -> tuple[Path, dict]:
        """Game `seed mod N`, or the next one that is solvable and of an allowed task type."""
        n = len(self.game_files)
        for k in range(n):
            path = self.game_files[(seed + k) % n]
            game = load_game_json(path)
            if game.get("solvable") and (self.task_types is None or task_type_of(path, game) in self.task_types):
                return path, game
        raise EnvError(f"none of the {n} game files is solvable and of task types {self.task_types}")

    def step(self, action: str) -> StepResult:
        if self._last is None:
            raise EnvError("call reset(seed) before step()")
        if self._last.done:
            return after_done(self._last)
        command = action if isinstance(action, str) else str(action)
        state, _, _ = self._tw.step(command)
        self.steps += 1
        self._last = self._result(state)
        return self._last

    def expert_plan(self) -> list[str]:
        """The real engine's planner (fast-downward) plan from the current state; [] when none."""
        if self._tw is None or self._last is None:
            raise EnvError("call reset(seed) before expert_plan()")
        raw = self._tw.unwrapped
        return list(raw._pddl_state.replan(raw._entity_infos))

    def _result(self, state: Any) -> StepResult:
        won = bool(state["won"])
        observation = state.feedback
        return StepResult(
            observation=observation,
            reward=WIN_REWARD if won else 0.0,
            done=won or self.steps >= self.max_steps,
            won=won,
            admissible_actions=tuple(sorted(state["admissible_commands"])),
            anchor=observation,
            task=self.task,
            task_type=self.task_type,
            task_score=None,
            info={"steps": self.steps, "gamefile": str(self.game_file)},
        )


class ALFWorldPlannerOracle:
    """Follows the real engine's own planner, re-planned from the current state at every step."""

    def __init__(self, env: ALFWorldAdapterEnv):
        self.env = env

    def act(self, last: StepResult) -> str:
        plan = self.env.expert_plan()
        return plan[0] if plan else "look"

