"""The shop's agent text (docs/environments.md, "Agent interface"): WebShop's prompt, as GiGPO shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from siri.envs.shop.env import SEARCH_MARKER
from siri.envs.shop.pages import SEP
from siri.envs.text import AgentText


@dataclass(frozen=True)
class ShopText(AgentText):
    """Search bar first, as one marker; pages shown without their repeated instruction."""

    def visible_actions(self, admissible: Sequence[str]) -> list[str]:
        """Any `search[...]` entry as the single marker `search[<your query>]`, first, then the
        `click[...]` entries as given (WebShop's `has_search_bar` + clickables rendering)."""
        actions = super().visible_actions(admissible)
        has_search = any(a.startswith("search[") for a in actions)
        rest = [a for a in actions if not a.startswith("search[")]
        return ([SEARCH_MARKER] if has_search else []) + rest

    def clean_observation(self, observation: str, task: str) -> str:
        """Pages repeat the instruction (`… Instruction: [SEP] {task} [SEP] …`) and the prompt already
        states the task, so everything up to and including it is dropped, as GiGPO's WebShop manager
        does; a page that does not hold the task as one of its parts is shown unchanged."""
        if not task:
            return observation
        parts = observation.split(SEP)
        if task not in parts:
            return observation
        return SEP.join(parts[parts.index(task) + 1 :])


TEXT = ShopText(
    role="You are an expert autonomous agent operating in the WebShop e-commerce environment.",
    actions_label="Your available actions are:",
    fallback_chars=20,
    placeholder_actions=frozenset({SEARCH_MARKER}),  # queries cannot be enumerated
)
