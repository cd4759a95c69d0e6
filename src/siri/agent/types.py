"""Plain, typed inputs and outputs of the agent layer (docs/environments.md, "Agent interface").

The agent layer works on strings and tuples only: an observation is a `str`, an action is a `str`,
a history is a sequence of `(observation, action)` pairs. It never imports the env classes (only the
registry, for each environment's text), so the rollout can feed it from a real environment, a replay
file or a test literal alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from siri.envs.registry import agent_env_names
from siri.utils.errors import UserError

# One step of history: the observation the agent saw and the action it sent back.
Pair = tuple[str, str]


def check_env_name(env_name: str) -> str:
    """Return `env_name` if it has a text of its own in the registry, else raise a one-line `UserError`.

    An environment that speaks another's text (alfworld) is named by that one (`agent_env_name`).
    """
    allowed = agent_env_names()
    if env_name not in allowed:
        raise UserError(f"unknown environment {env_name!r} for the agent interface; allowed: {', '.join(allowed)}")
    return env_name


@dataclass(frozen=True)
class ParsedAction:
    """What `parse_response` makes of one model response.

    `action` is the text to send to the environment (the fallback text when nothing could be
    extracted), `valid` is the format check the invalid-action penalty reads (docs/algorithms.md §2),
    `reason` says why it failed (None when valid), and `span` is the `(start, end)` character range
    of the raw text between `<action>` and `</action>` (None when no pair was found), so the rollout
    can locate the action tokens (docs/algorithms.md §0, `action_span`).
    """

    action: str
    valid: bool
    reason: str | None = None
    span: tuple[int, int] | None = None


@dataclass(frozen=True)
class StructuredSkill:
    """A Skill-SD skill (docs/algorithms.md §5): success patterns, mistakes to avoid, golden workflow.

    `to_text` renders the same sectioned form that `parse_structured_skill` reads, so a rendered
    skill parses back to itself.
    """

    success_patterns: tuple[str, ...]
    mistakes: tuple[str, ...]
    workflow: tuple[str, ...]

    def to_text(self) -> str:
        lines = ["Success patterns:"]
        lines += [f"- {item}" for item in self.success_patterns]
        lines.append("Mistakes to avoid:")
        lines += [f"- {item}" for item in self.mistakes]
        lines.append("Golden workflow:")
        lines += [f"{i}. {step}" for i, step in enumerate(self.workflow, start=1)]
        return "\n".join(lines)


@dataclass(frozen=True)
class EpisodeRecord:
    """A finished trajectory in the compact form the summarization prompts show (docs/algorithms.md §4, §5).

    Only the task, the actions and the outcome are kept (tiny models read these prompts);
    `first_observation` is shown only where the env's text asks for it (Sokoban's grid).
    """

    task: str
    actions: tuple[str, ...]
    won: bool
    first_observation: str = ""

    @classmethod
    def from_steps(cls, task: str, steps: Sequence[Pair], won: bool) -> "EpisodeRecord":
        """Build a record from the `(observation, action)` pairs of a trajectory."""
        first = steps[0][0] if steps else ""
        return cls(task=task, actions=tuple(a for _, a in steps), won=won, first_observation=first)
