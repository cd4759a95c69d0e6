"""Summarization prompts for skill mining (docs/algorithms.md §4, SIRI; §5, Skill-SD).

SIRI gives a frozen snapshot of the policy up to k successful trajectories of one task type and
asks for compact condition -> strategy skills, one per line, `When <condition>: <strategy>` (ours).
Skill-SD gives successes and failures and asks for three sections: success patterns, mistakes to
avoid, golden workflow. The trajectories are shown compactly (task, outcome, action list; the first
observation where the env's text asks for it, Sokoban's start grid) because tiny models read these
prompts too.
"""

from __future__ import annotations

from typing import Sequence, Union

from siri.agent.templates import text_for
from siri.agent.types import EpisodeRecord, Pair
from siri.envs.text import AgentText
from siri.utils.errors import UserError

Trajectory = Union[EpisodeRecord, Sequence[Pair]]
Trajectories = Union[Sequence[Trajectory], str]

SKILL_FORMAT = "When <condition>: <strategy>"


def _check_count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def _as_record(trajectory: Trajectory) -> EpisodeRecord:
    """A record from a record, or from bare (observation, action) pairs: a success with no task."""
    if isinstance(trajectory, EpisodeRecord):
        return trajectory
    return EpisodeRecord.from_steps(task="", steps=list(trajectory), won=True)


def _render_one(text: AgentText, index: int, record: EpisodeRecord) -> list[str]:
    outcome = "success" if record.won else "failure"
    head = f"Trajectory {index} ({outcome})"
    lines = [f"{head}: {record.task}" if record.task else head]
    if text.show_first_observation and record.first_observation:
        lines.append("Start:\n" + record.first_observation)
    lines.append("Actions: " + (" -> ".join(record.actions) if record.actions else "(none)"))
    return lines


def render_trajectories(env_name: str, trajectories: Trajectories) -> str:
    """The compact text of a list of trajectories (a `str` is taken as already rendered).

    Each trajectory: `Trajectory i (success|failure): <task>`, then `Start:` and the first
    observation where the env's text shows it (Sokoban), then `Actions: a -> b -> c`. Bare lists of
    (observation, action) pairs count as successes without a task line.
    """
    text = text_for(env_name)
    if isinstance(trajectories, str):
        return trajectories.strip()
    if not trajectories:
        raise ValueError("no trajectories to summarize")
    lines: list[str] = []
    for i, trajectory in enumerate(trajectories, start=1):
        lines += _render_one(text, i, _as_record(trajectory))
    return "\n".join(lines)


def _role(env_name: str) -> str:
    return text_for(env_name).role


def build_summary_prompt(
    env_name: str, task_type: str, trajectories: Trajectories, max_skills: int = 3
) -> str:
    """SIRI's skill-mining prompt (docs/algorithms.md §4): successes in, `When ...: ...` lines out."""
    _check_count("max_skills", max_skills)
    if not isinstance(trajectories, str):
        records = [_as_record(t) for t in trajectories]
        if any(not r.won for r in records):
            raise ValueError("build_summary_prompt takes successful trajectories only")
        trajectories = records
    body = render_trajectories(env_name, trajectories)
    return "\n".join([
        _role(env_name),
        f"Below are successful attempts at tasks of type {task_type}.",
        body,
        f"Write at most {max_skills} skills that would help with new tasks of this type, "
        "one per line, in the form:",
        SKILL_FORMAT,
        "Keep each skill to one or two short sentences. Write nothing else.",
    ])


def build_structured_summary_prompt(
    env_name: str, task_type: str, trajectories: Sequence[EpisodeRecord] | str, max_items: int = 3
) -> str:
    """Skill-SD's summary prompt (docs/algorithms.md §5): successes and failures in, three sections out.

    Outcomes matter here, so trajectories must be `EpisodeRecord`s (or already rendered text).
    """
    _check_count("max_items", max_items)
    if not isinstance(trajectories, str) and not all(isinstance(t, EpisodeRecord) for t in trajectories):
        raise ValueError("build_structured_summary_prompt needs EpisodeRecord trajectories (with outcomes)")
    body = render_trajectories(env_name, trajectories)
    return "\n".join([
        _role(env_name),
        f"Below are attempts at tasks of type {task_type}, with their outcomes.",
        body,
        "Summarize them in exactly three sections, in this format:",
        "Success patterns:",
        "- <what the successful attempts did right>",
        "Mistakes to avoid:",
        "- <what the failed attempts did wrong>",
        "Golden workflow:",
        "1. <first key action>",
        "2. <next key action>",
        f"Write at most {max_items} lines in each of the first two sections. Write nothing else.",
    ])
