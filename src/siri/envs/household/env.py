"""`HouseholdEnv`: the ALFWorld-faithful stand-in behind the Env contract (docs/environments.md,
"Common contract", "Agent interface" and "Household").

- `reset(seed)` generates the scene for (seed, split, size, task types); the observation is the intro.
- `step(text)` never raises: the text is normalized (strip, lower-case, runs of whitespace -> one
  space) and must then equal an admissible command; anything else answers "Nothing happens." and
  still counts as a step.
- reward = 10·won; done when won or after `max_steps` steps.
- Stepping after done is allowed: it changes nothing and returns the final state again with reward 0
  (`base.after_done`, as every environment does).
- `admissible_actions` includes `help`, as the real engine's list does; the agent text hides it.
- info: steps taken, room type, user seed, split, size.
- `task_type_by_object`: the reported task type names the task's object too
  (`pick_and_place_simple/egg`), so what is filed by task type (skills, per-type metrics) is filed per
  object (docs/environments.md "Knowledge that pays").
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Sequence

from siri.envs.base import EnvError, StepResult, after_done, check_split
from siri.envs.household import engine
from siri.envs.household.goals import goal_satisfied, task_sentence
from siri.envs.household.layout import check_options, generate
from siri.envs.household.scene import Scene

WIN_REWARD = 10.0


def normalize(action: Any) -> str:
    """Strip, lower-case and collapse whitespace; never raises (non-strings are str()-ed)."""
    text = action if isinstance(action, str) else str(action)
    return " ".join(text.lower().split())


@dataclasses.dataclass(frozen=True)
class HouseholdOptions:
    """The household's own options (`env.options`), checked on construction with one-line EnvErrors.

    `split` and `max_steps` are every environment's and set by the caller, so they are not here.
    """

    size: str = "tiny"
    task_types: Sequence[str] | None = None
    command_version: str = "0.4"
    priors: float = 1.0  # strength of the placement priors (layout.placement_weights)
    objects: Sequence[str] | None = None  # the only object types tasks may be about (None: all)
    task_type_by_object: bool = False  # report `<task type>/<object type>` as the task type

    def __post_init__(self) -> None:
        check_options(self.size, self.task_types, self.priors, self.objects)
        if not isinstance(self.task_type_by_object, bool):
            raise EnvError(f"household task_type_by_object must be true or false, got {self.task_type_by_object!r}")
        if self.command_version not in engine.COMMAND_VERSIONS:
            allowed = ", ".join(engine.COMMAND_VERSIONS)
            raise EnvError(f"unknown household command_version {self.command_version!r}; allowed: {allowed}")


class HouseholdEnv:
    """One household episode at a time; see the module docstring for the step semantics."""

    name = "household"

    def __init__(
        self,
        split: str = "train",
        size: str = "tiny",
        max_steps: int = 50,
        task_types: Sequence[str] | None = None,
        command_version: str = "0.4",
        priors: float = 1.0,
        objects: Sequence[str] | None = None,
        task_type_by_object: bool = False,
    ):
        self.split = check_split(split)
        HouseholdOptions(size, task_types, command_version, priors, objects, task_type_by_object)
        self.task_type_by_object = task_type_by_object
        self.task_types = check_options(size, task_types, priors, objects)
        self.size = size
        self.priors = priors
        self.objects = objects
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise EnvError(f"max_steps must be a positive integer, got {max_steps!r}")
        self.max_steps = max_steps
        self.command_version = command_version
        self.scene: Scene | None = None
        self.initial_scene: Scene | None = None  # the scene as generated, for exporters and adapters
        self.task = ""
        self.steps = 0
        self._last: StepResult | None = None
        self._admissible: list[str] = []

    def reset(self, seed: int) -> StepResult:
        self.scene = generate(seed, self.split, self.size, self.task_types, self.priors, self.objects)
        self.initial_scene = copy.deepcopy(self.scene)
        self.steps = 0
        self.task = task_sentence(self.scene.task)
        self._last = self._result(engine.intro_text(self.scene, self.task), 0.0, False)
        return self._last

    def step(self, action: str) -> StepResult:
        if self.scene is None or self._last is None:
            raise EnvError("call reset(seed) before step()")
        if self._last.done:
            return after_done(self._last)
        command = normalize(action)
        if self.command_version == "0.3":
            command = _old_put_alias(command)
        feedback = engine.execute(self.scene, command, self.command_version, self._admissible)
        self.steps += 1
        won = goal_satisfied(self.scene)
        self._last = self._result(feedback, WIN_REWARD if won else 0.0, won)
        return self._last

    def _result(self, observation: str, reward: float, won: bool) -> StepResult:
        assert self.scene is not None
        done = won or self.steps >= self.max_steps
        self._admissible = engine.admissible_commands(self.scene, self.command_version)
        return StepResult(
            observation=observation,
            reward=reward,
            done=done,
            won=won,
            admissible_actions=tuple(self._admissible),
            anchor=observation,
            task=self.task,
            task_type=reported_task_type(self.scene.task.task_type, self.scene.task.obj_type,
                                         self.task_type_by_object),
            task_score=None,
            info={
                "steps": self.steps,
                "room_type": self.scene.room_type,
                "seed": self.scene.meta["seed"],
                "split": self.split,
                "size": self.size,
            },
        )


def reported_task_type(task_type: str, obj_type: str, by_object: bool) -> str:
    """The task type a StepResult reports: `task_type`, or `<task_type>/<obj_type>` when `by_object`."""
    return f"{task_type}/{obj_type}" if by_object else task_type


def _old_put_alias(command: str) -> str:
    """In the 0.3 grammar, accept `put o in R` / `put o on R` for the canonical `put o in/on R`."""
    parts = command.split(" ")
    if len(parts) == 6 and parts[0] == "put" and parts[3] in ("in", "on"):
        parts[3] = "in/on"
        return " ".join(parts)
    return command

