"""The household's agent text (docs/environments.md, "Agent interface"); the real-engine adapter
`alfworld` speaks it too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from siri.envs.text import AgentText

HIDDEN_ACTIONS = frozenset({"help"})  # in the engine's list, as in ALFWorld's; GiGPO hides it from the prompt
_TAKE = re.compile(r"^take (?P<thing>[a-z]+) \d+ from (?P<place>[a-z]+) \d+$")


@dataclass(frozen=True)
class HouseholdText(AgentText):
    """Lists every admissible action except `help`."""

    def visible_actions(self, admissible: Sequence[str]) -> list[str]:
        return [a for a in super().visible_actions(admissible) if a not in HIDDEN_ACTIONS]

    def found_in(self, action: str) -> tuple[str, str] | None:
        """`take apple 1 from fridge 1` -> ("apple", "fridge"): the apple was found in a fridge."""
        match = _TAKE.match(" ".join(action.lower().split()))
        return (match["thing"], match["place"]) if match else None


TEXT = HouseholdText(role="You are an expert agent operating in the ALFRED Embodied Environment.")
