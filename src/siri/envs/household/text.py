"""The household's agent text (docs/environments.md, "Agent interface"); the real-engine adapter
`alfworld` speaks it too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from siri.envs.text import AgentText

HIDDEN_ACTIONS = frozenset({"help"})  # in the engine's list, as in ALFWorld's; GiGPO hides it from the prompt


@dataclass(frozen=True)
class HouseholdText(AgentText):
    """Lists every admissible action except `help`."""

    def visible_actions(self, admissible: Sequence[str]) -> list[str]:
        return [a for a in super().visible_actions(admissible) if a not in HIDDEN_ACTIONS]


TEXT = HouseholdText(role="You are an expert agent operating in the ALFRED Embodied Environment.")
