"""Turn a model response into the action sent to the environment (docs/environments.md, "Agent interface").

Rules (GiGPO's projection functions, with the choices below written out):

- **Tags** are matched ASCII-case-insensitively (`<ACTION>` counts, as after GiGPO's lower-casing);
  the action is the text between them, stripped of surrounding whitespace and lower-cased.
- **Which pair**: the *first complete pair*: the first `</action>` that follows an `<action>`, paired
  with the nearest `<action>` before it (so the content never holds an `<action>` tag). GiGPO takes
  the first `<action>` and the first `</action>` (`str.find` on both); the two agree on every
  well-formed response and differ only on nested/unclosed tags, where ours gives the innermost
  action instead of a string holding a tag: `<action>a <action>b</action>` -> `b`.
- **Invalid** (checked in this order; `reason` names the first that fails):
  `no_action_tags` (no complete pair), `empty_action` (blank content), the env's own check of the
  action (`AgentText.check_action`; Sokoban: `not_a_direction`), `no_think_tags` (thinking required
  and no `<think>` followed by `</think>`), `cjk` (any CJK character anywhere in the response; blocks
  listed in `siri.agent.cjk`).
- **What is sent**: when no action could be extracted (`no_action_tags`, `empty_action`) the
  fallback of the environment (`AgentText.fallback_action`): household the last 30 characters of the
  lower-cased raw output, shop the last 20, Sokoban its no-op. When the env's check fails, what the
  check says (Sokoban: the no-op; when it passes, Sokoban sends the one direction word the content
  names). When an action was extracted but the response is invalid for `no_think_tags` or `cjk`, the
  extracted action is still sent and only `valid` is False (the invalid-action penalty applies), as in
  GiGPO's projections.
"""

from __future__ import annotations

from siri.agent.cjk import has_cjk
from siri.agent.skill_parsing import normalize_skill, parse_skill_line, parse_skills, parse_structured_skill
from siri.agent.templates import text_for
from siri.agent.types import ParsedAction

__all__ = [
    "parse_response",
    "fallback_action",
    "parse_skills",
    "parse_skill_line",
    "parse_structured_skill",
    "normalize_skill",
]

REASON_NO_ACTION = "no_action_tags"
REASON_EMPTY = "empty_action"
REASON_NO_THINK = "no_think_tags"
REASON_CJK = "cjk"

_OPEN, _CLOSE = "<action>", "</action>"
_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fallback_action(env_name: str, raw: str) -> str:
    """What an unparseable response sends, as the env's text says (the output's tail, Sokoban's no-op)."""
    return text_for(env_name).fallback_action(raw)


def _action_span(folded: str) -> tuple[int, int] | None:
    """Character range of the first complete pair's content (see module docstring), in O(len)."""
    first_open = folded.find(_OPEN)
    if first_open == -1:
        return None
    close = folded.find(_CLOSE, first_open + len(_OPEN))
    if close == -1:
        return None
    open_ = folded.rfind(_OPEN, first_open, close)
    return open_ + len(_OPEN), close


def _has_think(folded: str) -> bool:
    start = folded.find(_THINK_OPEN)
    return start != -1 and folded.find(_THINK_CLOSE, start + len(_THINK_OPEN)) != -1


def parse_response(text: str, env_name: str, think_required: bool = False) -> ParsedAction:
    """Parse one response for `env_name` (see `check_env_name`); never raises on a string."""
    agent_text = text_for(env_name)
    folded = text.translate(_ASCII_LOWER)  # same length as `text`: spans index the raw response
    span = _action_span(folded)
    if span is None:
        return ParsedAction(agent_text.fallback_action(text), False, REASON_NO_ACTION, None)
    action = text[span[0] : span[1]].strip().lower()
    if not action:
        return ParsedAction(agent_text.fallback_action(text), False, REASON_EMPTY, span)
    action, reason = agent_text.check_action(action)
    if reason is not None:
        return ParsedAction(action, False, reason, span)
    if think_required and not _has_think(folded):
        return ParsedAction(action, False, REASON_NO_THINK, span)
    if has_cjk(text):
        return ParsedAction(action, False, REASON_CJK, span)
    return ParsedAction(action, True, None, span)
