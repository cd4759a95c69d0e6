"""Sokoban's agent text (docs/environments.md, "Agent interface"): a grid, a legend, four words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from siri.envs.sokoban.room import BOX, BOX_ON_TARGET, FLOOR, PLAYER, PLAYER_ON_TARGET, TARGET, WALL
from siri.envs.text import AgentText

# Every symbol the grid uses (`room.render`), with its meaning: the prompt's legend and `siri play`'s.
SYMBOLS = ((WALL, "wall"), (FLOOR, "floor"), (TARGET, "target"), (BOX, "box"), (BOX_ON_TARGET, "box on target"),
           (PLAYER, "you"), (PLAYER_ON_TARGET, "you on a target"))
SOKOBAN_LEGEND = (
    "Symbols: " + ", ".join(f"{symbol} {meaning}" for symbol, meaning in SYMBOLS) + ".\n"
    "Push every box onto a target. Boxes can be pushed but not pulled, so never push one into a corner."
)
# What the agent layer sends for an unusable response. The env treats any string that is not a
# direction as a no-op (gym-sokoban's action 0: the step costs -0.1, nothing moves).
SOKOBAN_NOOP = "noop"
SOKOBAN_DIRECTIONS = ("up", "down", "left", "right")
REASON_NOT_DIRECTION = "not_a_direction"

_WORD = re.compile(r"[a-z]+")


def direction(action: str) -> str | None:
    """The one direction word `action` names (`up`, `Up.`, `move up` -> `up`), else None
    (`up or left`, `upward`, `still`). GiGPO also accepts `still` (its no-op) and substrings."""
    words = {w for w in _WORD.findall(action) if w in SOKOBAN_DIRECTIONS}
    return words.pop() if len(words) == 1 else None


@dataclass(frozen=True)
class SokobanText(AgentText):
    """Sends exactly one direction word or the no-op; summaries show the start grid."""

    def fallback_action(self, raw: str) -> str:
        return SOKOBAN_NOOP

    def check_action(self, action: str) -> tuple[str, str | None]:
        found = direction(action)
        return (SOKOBAN_NOOP, REASON_NOT_DIRECTION) if found is None else (found, None)


TEXT = SokobanText(
    role="You are an expert agent playing Sokoban.\n" + SOKOBAN_LEGEND,
    obs_sep="\n",  # keeps the grid's rows aligned
    show_first_observation=True,  # the actions mean nothing without the grid
    legend=SOKOBAN_LEGEND,
)
