"""What an environment says to the agent, beyond its observations (docs/environments.md, "Agent interface").

The agent layer (`siri.agent`) builds every prompt and parses every response the same way for all
environments; the few things that differ live in one `AgentText` per environment, in the env's own
folder (`envs/<name>/text.py`), named by its registry entry. So a new environment overrides only what
differs from the defaults here and no code elsewhere tests an environment's name.

The contract lives in `siri.envs` rather than `siri.agent` because the env folders implement it and
must not import the agent layer (the agent layer imports the registry, not the other way round).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

_PLACEHOLDER = re.compile(r"<[^<>]*>")  # the free-text slot of a placeholder action: `search[<your query>]`


@dataclass(frozen=True)
class AgentText:
    """The environment-specific text of the agent interface; the defaults suit a one-line text world.

    - `role`: the prompt's first line(s), and the summarization prompts' too.
    - `actions_label`: the words before the admissible-actions list.
    - `obs_sep`: what goes between a label and an observation: a space for one-line texts, a newline
      for a grid whose rows must stay aligned.
    - `fallback_chars`: how much of the tail of an unparseable response is sent (GiGPO's projections).
    - `show_first_observation`: summaries show a trajectory's first observation, for environments
      where the actions mean nothing without it.
    - `placeholder_actions`: listed entries that are prompt markers, not actions to send.
    - `legend`: what a person needs to read the observations (a grid's symbols); `siri play` shows it
      before the first step. Empty: nothing to explain.
    - `found_in` / `location_skill`: where an action shows an object was found, and the skill that says
      where to look first for several things (docs/environments.md "Knowledge that pays"); by default
      actions show none.
    """

    role: str
    actions_label: str = "Your admissible actions are:"
    obs_sep: str = " "
    fallback_chars: int = 30
    show_first_observation: bool = False
    placeholder_actions: frozenset[str] = frozenset()
    legend: str = ""

    def visible_actions(self, admissible: Sequence[str]) -> list[str]:
        """The actions the prompt lists, in the env's order (default: all of them)."""
        return [str(a) for a in admissible]

    def admits(self, action: str, admissible: Sequence[str]) -> bool:
        """Whether `action` is one of `admissible`, compared as the environments compare commands (case
        and runs of whitespace ignored); a placeholder admits its form with any text in its slot
        (`search[<your query>]` admits `search[red shirt]`). `siri play` marks the other actions invalid."""
        said = _normal(action)
        return any(said == _normal(listed) or (listed in self.placeholder_actions and _fills(said, listed))
                   for listed in admissible)

    def clean_observation(self, observation: str, task: str) -> str:
        """The observation as the prompt shows it (default: unchanged)."""
        return observation

    def fallback_action(self, raw: str) -> str:
        """What an unparseable response sends (default: the tail of the lower-cased raw output)."""
        return raw.lower()[-self.fallback_chars :]

    def found_in(self, action: str) -> tuple[str, str] | None:
        """(kind of thing, kind of place) when `action` shows where a thing was found (default: never)."""
        return None

    def location_skill(self, facts: Sequence[tuple[str, str]]) -> str:
        """The skill that says where to look first for each (thing, place) of `facts`, in that order:
        one sentence of words the prompts use ("When looking for an object: egg in fridge, pen in desk.")."""
        return "When looking for an object: " + ", ".join(f"{thing} in {place}" for thing, place in facts) + "."

    def check_action(self, action: str) -> tuple[str, str | None]:
        """The env's own check of an extracted (stripped, lower-cased, non-empty) action.

        Returns `(action to send, None)` when it passes, else `(action to send, reason)`; the reason
        becomes `ParsedAction.reason`. Default: every action passes unchanged.
        """
        return action, None


def _normal(command: str) -> str:
    return " ".join(str(command).lower().split())


def _fills(said: str, placeholder: str) -> bool:
    """`said` is `placeholder` with non-empty text in its `<...>` slot."""
    parts = _PLACEHOLDER.split(_normal(placeholder), maxsplit=1)
    if len(parts) != 2:
        return False
    head, tail = parts
    return said.startswith(head) and said.endswith(tail) and len(said) > len(head) + len(tail)
