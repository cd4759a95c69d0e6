"""The agent interface: prompt templates, history window, response and skill parsing (no torch).

docs/environments.md, "Agent interface"; docs/algorithms.md §0 (prompt rebuilt each step from the
task, the last h pairs and the current observation), §4 (SIRI skills and mining prompt), §5 (Skill-SD
skills). Inputs are plain strings and `(observation, action)` tuples; env names are those of the
registry with a text of their own (`siri.envs.registry.agent_env_names`), whose `AgentText` says what
differs per environment.
"""

from siri.agent.cjk import has_cjk
from siri.agent.history import DEFAULT_HISTORY_LEN, history_window
from siri.agent.parsing import (
    fallback_action,
    normalize_skill,
    parse_response,
    parse_skill_line,
    parse_skills,
    parse_structured_skill,
)
from siri.agent.prompts import (
    build_plain_and_skill_prompts,
    build_prompt,
    build_structured_summary_prompt,
    build_summary_prompt,
    render_skills_block,
    render_trajectories,
)
from siri.agent.types import EpisodeRecord, Pair, ParsedAction, StructuredSkill, check_env_name
from siri.envs.text import AgentText

__all__ = [
    "DEFAULT_HISTORY_LEN",
    "AgentText",
    "EpisodeRecord",
    "Pair",
    "ParsedAction",
    "StructuredSkill",
    "build_plain_and_skill_prompts",
    "build_prompt",
    "build_structured_summary_prompt",
    "build_summary_prompt",
    "check_env_name",
    "fallback_action",
    "has_cjk",
    "history_window",
    "normalize_skill",
    "parse_response",
    "parse_skill_line",
    "parse_skills",
    "parse_structured_skill",
    "render_skills_block",
    "render_trajectories",
]
