"""The Sokoban text environment (docs/environments.md, "Common contract", "Agent interface" and "Sokoban").

- Observation and anchor: the text grid (`#` wall, `_` floor, `O` target, `X` box, `√` box on target,
  `P` player, `S` player on target), nothing else; the agent layer adds the prompt template.
- Actions: "up", "down", "left", "right" (case and surrounding whitespace ignored) are gym-sokoban's push
  actions 1-4. Any other string is gym-sokoban's action 0, "no operation": the step still counts and
  still costs -0.1, nothing moves. (verl-agent does not count its invalid steps; its agent loop caps
  the episode instead. Here the environment counts them, as gym-sokoban does.)
- Rewards: gym-sokoban's dense rewards (see `room.step_reward`). One deliberate difference: the box-on-
  target count starts from the starting state, where gym-sokoban's reset sets it to 0; its generator
  never starts a box on a target, so they agree on every generated room, and a hand-made level with a
  box already on a target does not hand out a free +1.
- done when every box is on a target or after `max_steps` steps (`>=`, where gym-sokoban tests `==`);
  won = every box on a target. Stepping a finished episode is not an error: like every environment
  (`base.after_done`) it returns the final state again with reward 0 and done True, and the step does not
  count. (gym-sokoban would keep moving and pay a solved room +10 again; the rollout never steps a
  finished episode, see vector.py.)
- task_type is "sokoban" for every level: one task family, so per-type metrics stay one series.

Splits: each split draws from its own seed space (`random.Random("sokoban/<split>/<seed>")`), so a seed
never means the same draw in two splits. The "unseen" split holds out whole wall layouts: a layout whose
stable hash (`levels.layout_key`) is 0 modulo 5 is only ever used by "unseen", every other one only by
"train" and "eval" (in-distribution, like ALFWorld's valid_seen). Room size and box count are the same.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from siri.envs.base import EnvError, StepResult, after_done, check_split
from siri.envs.sokoban.levels import LevelConfig, check_config, generate
from siri.envs.sokoban.room import (
    ACTIONS,
    Level,
    Room,
    State,
    apply_action,
    boxes_on_target,
    is_solved,
    render,
    step_reward,
    validate_level,
)
from siri.envs.sokoban.xsb import parse_xsb

TASK = "push every box onto a target"
TASK_TYPE = "sokoban"
UNSEEN_LAYOUT_MODULUS = 5


def _unseen_layout(key: int) -> bool:
    return key % UNSEEN_LAYOUT_MODULUS == 0


def _dims(dim: Any) -> tuple[int, int]:
    if isinstance(dim, bool):
        raise EnvError(f"dim must be an int or a (height, width) pair, got {dim!r}")
    if isinstance(dim, int):
        return dim, dim
    if isinstance(dim, (tuple, list)) and len(dim) == 2 and all(
        isinstance(d, int) and not isinstance(d, bool) for d in dim
    ):
        return int(dim[0]), int(dim[1])
    raise EnvError(f"dim must be an int or a (height, width) pair, got {dim!r}")


def _fixed(level: Level | str | None) -> Level | None:
    if level is None:
        return None
    if isinstance(level, str):
        return parse_xsb(level)
    if isinstance(level, Level):
        return validate_level(level)
    raise EnvError(f"level must be a Level, an XSB string or None, got {type(level).__name__}")


@dataclass(frozen=True)
class SokobanOptions:
    """Sokoban's own options (`env.options`), checked on construction with one-line EnvErrors.

    `split` and `max_steps` are every environment's and set by the caller, so they are not here.
    `level` fixes one level (a `Level` or an XSB string) for every reset.
    """

    dim: int | tuple[int, int] = 6
    num_boxes: int = 1
    search_depth: int = 30
    level: Level | str | None = None
    p_change_directions: float = 0.35
    num_gen_steps: int | None = None

    def __post_init__(self) -> None:
        self.level_config()
        self.fixed_level()

    def level_config(self) -> LevelConfig:
        height, width = _dims(self.dim)
        return check_config(
            LevelConfig(height, width, self.num_boxes, self.search_depth, self.p_change_directions, self.num_gen_steps)
        )

    def fixed_level(self) -> Level | None:
        return _fixed(self.level)


class SokobanEnv:
    """gym-sokoban's rules behind the project's text contract; see the module docstring."""

    name = "sokoban"

    def __init__(
        self,
        split: str = "train",
        dim: int | tuple[int, int] = 6,
        num_boxes: int = 1,
        max_steps: int = 15,
        search_depth: int = 30,
        level: Level | str | None = None,
        p_change_directions: float = 0.35,
        num_gen_steps: int | None = None,
    ):
        self.split = check_split(split)
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise EnvError(f"max_steps must be a positive int, got {max_steps!r}")
        self.max_steps = max_steps
        options = SokobanOptions(dim, num_boxes, search_depth, level, p_change_directions, num_gen_steps)
        self.config = options.level_config()
        self.fixed_level = options.fixed_level()
        self.level: Level | None = None
        self.state: State | None = None
        self.steps = 0
        self._on_target = 0
        self._last: StepResult | None = None

    @classmethod
    def from_xsb(cls, text: str, split: str = "train", max_steps: int = 15) -> "SokobanEnv":
        """An environment that plays one fixed XSB level on every reset."""
        return cls(split=split, max_steps=max_steps, level=text)

    @property
    def room(self) -> Room:
        if self.level is None:
            raise EnvError("call reset(seed) first")
        return self.level.room

    def generate(self, seed: int) -> Level:
        """The level `reset(seed)` plays in this env's split (a pure function of split, seed, config)."""
        if self.fixed_level is not None:
            return self.fixed_level
        rng = random.Random(f"sokoban/{self.split}/{seed}")
        if self.split == "unseen":
            return generate(rng, self.config, _unseen_layout)
        return generate(rng, self.config, lambda key: not _unseen_layout(key))

    def reset(self, seed: int) -> StepResult:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise EnvError(f"seed must be an int, got {seed!r}")
        self.level = self.generate(seed)
        self.state = self.level.state
        self.steps = 0
        self._on_target = boxes_on_target(self.level.room, self.state)
        self._last = self._result(0.0, {"moved_player": False, "moved_box": False, "valid_action": True})
        return self._last

    def step(self, action: str) -> StepResult:
        if self.level is None or self.state is None or self._last is None:
            raise EnvError("call reset(seed) before step")
        if self._last.done:
            return after_done(self._last, moved_player=False, moved_box=False, valid_action=False)
        room = self.level.room
        command = action.strip().lower() if isinstance(action, str) else ""
        self.steps += 1
        if command in ACTIONS:
            move = apply_action(room, self.state, command)
            self.state, moved_player, moved_box = move.state, move.moved_player, move.moved_box
        else:
            moved_player = moved_box = False  # gym-sokoban's action 0, "no operation"
        reward = step_reward(room, self._on_target, self.state)
        self._on_target = boxes_on_target(room, self.state)
        info = {"moved_player": moved_player, "moved_box": moved_box, "valid_action": command in ACTIONS}
        self._last = self._result(reward, info)
        return self._last

    def _result(self, reward: float, info: dict[str, Any]) -> StepResult:
        assert self.level is not None and self.state is not None
        room, state = self.level.room, self.state
        won = is_solved(room, state)
        text = render(room, state)
        info.update(
            steps=self.steps,
            boxes_on_target=self._on_target,
            num_boxes=len(state.boxes),
            max_steps_used=self.steps >= self.max_steps,
        )
        return StepResult(
            observation=text,
            reward=reward,
            done=won or self.steps >= self.max_steps,
            won=won,
            admissible_actions=ACTIONS,
            anchor=text,
            task=TASK,
            task_type=TASK_TYPE,
            task_score=None,
            info=info,
        )
