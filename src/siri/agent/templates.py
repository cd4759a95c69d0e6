"""The fixed words of a step prompt (docs/environments.md, "Agent interface"): GiGPO's structure, our words.

These are the *user message* contents; the chat template is applied by the policy layer. A prompt is
made of lines, in this order (see `siri.agent.prompts.build_prompt`):

    role (the env's; Sokoban's carries its legend)
    Your task is to: <task>
    [skills block]                                  <- with-skills variant only
    [progress line + last h observation/action pairs]  <- absent on the first step
    current observation
    admissible actions
    answer instruction (<action></action>, and <think></think> first when thinking is required)

What differs per environment (role, labels, which actions are listed, how an observation is shown)
is its `AgentText` (`siri.envs.text`), found through the registry by name: nothing here tests a name.
Kept short on purpose: tiny models read them next to observations of ~100-300 tokens.
"""

from __future__ import annotations

from typing import Sequence

from siri.agent.types import check_env_name
from siri.envs.registry import env_text
from siri.envs.text import AgentText

SKILLS_HEADER = "Useful skills for this kind of task:"
ANSWER_INSTRUCTION = "Reply with exactly one admissible action inside <action></action>."
THINK_INSTRUCTION = (
    "First reason step by step inside <think></think>, "
    "then reply with exactly one admissible action inside <action></action>."
)


def text_for(env_name: str) -> AgentText:
    """The agent text of `env_name`; an unknown name raises `UserError` naming the allowed ones."""
    return env_text(check_env_name(env_name))


def answer_instruction(think: bool) -> str:
    """The last line: answer format, with the `<think>` request when thinking is required."""
    return THINK_INSTRUCTION if think else ANSWER_INSTRUCTION


def visible_actions(env_name: str, admissible: Sequence[str]) -> list[str]:
    """The actions the prompt lists, in the env's order (household hides `help`, shop shows one
    search marker first; see each env's text)."""
    return text_for(env_name).visible_actions(admissible)


def drawable_actions(env_name: str, admissible: Sequence[str]) -> list[str]:
    """The listed actions that can be sent as they are: without placeholders such as shop's
    `search[<your query>]`, which stands for actions that cannot be enumerated."""
    text = text_for(env_name)
    return [a for a in text.visible_actions(admissible) if a not in text.placeholder_actions]


def format_actions(env_name: str, admissible: Sequence[str]) -> str:
    """The admissible-actions line content, e.g. `['go to fridge 1', 'look']`."""
    return "[" + ", ".join(f"'{a}'" for a in visible_actions(env_name, admissible)) + "]"


def clean_observation(env_name: str, observation: str, task: str) -> str:
    """The observation as the prompt shows it (shop drops the instruction its pages repeat)."""
    return text_for(env_name).clean_observation(observation, task)
