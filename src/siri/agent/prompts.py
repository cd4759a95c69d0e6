"""Step prompts: the one entry point the rollout calls each step (docs/algorithms.md §0).

The prompt is rebuilt every step from the task, the last `h` (observation, action) pairs and the
current observation; the full history is never concatenated. The with-skills variant (SIRI's skill
arm, docs/algorithms.md §4; Skill-SD's teacher context, §5) inserts a skills block before the progress
line, and is otherwise identical to the plain prompt of the same step: SIRI scores its student under
the plain prompt, Skill-SD its teacher under the skill prompt, so both must come from one call.

The summarization prompts live in `siri.agent.summary` and are re-exported here.
"""

from __future__ import annotations

import re
from typing import Sequence, Union

from siri.agent.history import DEFAULT_HISTORY_LEN, first_step_number, history_window
from siri.agent.summary import build_structured_summary_prompt, build_summary_prompt, render_trajectories
from siri.agent.templates import SKILLS_HEADER, answer_instruction, format_actions, text_for
from siri.agent.types import Pair, StructuredSkill
from siri.envs.text import AgentText

Skills = Union[Sequence[str], StructuredSkill, str]

__all__ = [
    "build_prompt",
    "build_plain_and_skill_prompts",
    "render_skills_block",
    "build_summary_prompt",
    "build_structured_summary_prompt",
    "render_trajectories",
]

_SPACES = re.compile(r"\s+")


def render_skills_block(skills: Skills) -> str:
    """`Useful skills for this kind of task:` then one `- <skill>` line each (or a structured skill).

    Each text skill is put on one line (inner whitespace collapsed); an empty list gives "".
    """
    if isinstance(skills, StructuredSkill):
        return SKILLS_HEADER + "\n" + skills.to_text()
    items = [skills] if isinstance(skills, str) else list(skills)
    lines = [_SPACES.sub(" ", str(s)).strip() for s in items]
    lines = [s[2:] if s.startswith("- ") else s for s in lines if s]
    if not lines:
        return ""
    return "\n".join([SKILLS_HEADER] + [f"- {s}" for s in lines])


def _history_lines(text: AgentText, task: str, window: Sequence[Pair], step: int) -> list[str]:
    sep = text.obs_sep
    first = first_step_number(step, len(window))
    lines = [f"You have taken {step} step(s). Your last {len(window)} step(s):"]
    for k, (obs, action) in enumerate(window, start=first):
        lines.append(f"Observation {k}:{sep}{text.clean_observation(obs, task)}")
        lines.append(f"Action {k}: {action}")
    return lines


def build_prompt(
    env_name: str,
    *,
    task: str,
    observation: str,
    admissible: Sequence[str],
    history: Sequence[Pair] = (),
    step: int | None = None,
    think: bool = False,
    skills: Skills | None = None,
    history_len: int = DEFAULT_HISTORY_LEN,
) -> str:
    """The user-message text of one step.

    `history` is the list of (observation, action) pairs so far (the whole list or its tail);
    `step` is how many steps were taken (default `len(history)`); the prompt shows the last
    `history_len` pairs, numbered from 1 over the whole episode. With no pair to show (first step,
    or `history_len=0`) the first-step variant is used: no progress line, as in GiGPO.
    `skills` (a list of `When ...: ...` texts, or a `StructuredSkill`) gives the with-skills variant;
    None or an empty list gives the plain prompt.
    """
    text = text_for(env_name)
    step = len(history) if step is None else step
    if step < len(history):
        raise ValueError(f"step={step} but history already holds {len(history)} pairs")
    window = history_window(history, history_len)
    lines = [text.role]
    if task:
        lines.append(f"Your task is to: {task}")
    block = render_skills_block(skills) if skills is not None else ""
    if block:
        lines.append(block)
    current = text.clean_observation(observation, task)
    if window:
        lines += _history_lines(text, task, window, step)
        lines.append(f"You are now at step {step + 1}. Your current observation is:{text.obs_sep}{current}")
    else:
        lines.append(f"Your current observation is:{text.obs_sep}{current}")
    lines.append(f"{text.actions_label} {format_actions(env_name, admissible)}")
    lines.append(answer_instruction(think))
    return "\n".join(lines)


def build_plain_and_skill_prompts(
    env_name: str,
    *,
    task: str,
    observation: str,
    admissible: Sequence[str],
    skills: Skills,
    history: Sequence[Pair] = (),
    step: int | None = None,
    think: bool = False,
    history_len: int = DEFAULT_HISTORY_LEN,
) -> tuple[str, str]:
    """`(plain, with_skills)` prompts of the same step: same task, history and observation.

    SIRI trains the student on the plain one (docs/algorithms.md §4, phase 2); Skill-SD's teacher scores
    the student's tokens under the skill one (§5). `skills` must render to a non-empty block.
    """
    if not render_skills_block(skills):
        raise ValueError("build_plain_and_skill_prompts needs at least one non-empty skill")

    def render(with_skills: Skills | None) -> str:
        return build_prompt(
            env_name, task=task, observation=observation, admissible=admissible, history=history,
            step=step, think=think, skills=with_skills, history_len=history_len,
        )

    return render(None), render(skills)
