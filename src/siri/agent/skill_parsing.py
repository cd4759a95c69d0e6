"""Strict parsing of mined skills (docs/algorithms.md §4: SIRI text skills; §5: Skill-SD structured skills).

SIRI (ours): one skill per line, `When <condition>: <strategy>`. The condition runs up to the first
colon; both parts must be non-empty, not the prompt's placeholders, at most `MAX_CONDITION_CHARS` /
`MAX_STRATEGY_CHARS` long, and the whole skill at most `MAX_SENTENCES` sentences. A leading list
marker (`- `, `* `, `• `, `1. `, `2) `) and markdown bold (`**`) are tolerated. Blank lines are
skipped; every other line that fails is counted as malformed and dropped. Duplicates (same text
after `normalize_skill`) are dropped without counting as malformed. Given a `vocabulary` (for the
`self` generator: the words of its summary prompt, i.e. the environment's words in the trajectories
it shows, plus `SKILL_WORDS`), a skill whose condition or strategy holds a word outside it is
malformed too: a small model's garbled reply (`When pic the thea: goo tot`) passes every check of
form, but a skill can only say what the trajectories showed.

Skill-SD: three sections headed `Success patterns:`, `Mistakes to avoid:`, `Golden workflow:`
(any case, optional `#` or `**`), each holding at least one item; see `parse_structured_skill`.
"""

from __future__ import annotations

import re

from siri.agent.types import StructuredSkill

MAX_CONDITION_CHARS = 160
MAX_STRATEGY_CHARS = 320
MAX_SENTENCES = 3
MAX_ITEM_CHARS = 300
# Words a skill may use besides its prompt's: the grammar of "When <condition>: <strategy>" sentences
# and the words skills use to talk about trajectories (those of the extractive generator's templates,
# which the SFT `summary` examples teach the policy to write).
SKILL_WORDS = frozenset("""
a an the is are be been it its they them this that these those there here then first next last
before after until once while when if not no and or but so to in on at of with from for into onto by
again already still yet all any each every one more most than as do does only also instead
task action pattern follow used use took way avoid repeating under like step steps looking object
""".split())

_BULLET = re.compile(r"^(?:[-*•]|\d{1,2}[.)])\s+")
_SKILL = re.compile(r"^when\s+(?P<cond>[^:]*?)\s*:\s*(?P<strat>.*?)\s*$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^<[^<>]*>$")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z]+")
_TRAILING = " \t.!?;,:"

_SECTIONS = {
    "success patterns": "success_patterns",
    "mistakes to avoid": "mistakes",
    "golden workflow": "workflow",
}
_HEADER = re.compile(
    r"^#*\s*(?P<name>success patterns|mistakes to avoid|golden workflow)\s*(?::\s*(?P<rest>.*))?$",
    re.IGNORECASE,
)


def normalize_skill(text: str) -> str:
    """Dedup key: lower-case, whitespace collapsed, trailing punctuation stripped."""
    return _SPACES.sub(" ", text.lower()).strip().rstrip(_TRAILING)


def _clean_line(line: str) -> str:
    line = _SPACES.sub(" ", line.replace("**", "")).strip()
    return _BULLET.sub("", line, count=1).strip()


def _sentences(text: str) -> int:
    return sum(1 for part in _SENTENCE_END.split(text) if part.strip())


def words(text: str) -> set[str]:
    """The lower-case alphabetic words of `text` (numbers and punctuation are not words)."""
    return set(_WORD.findall(text.lower()))


def parse_skill_line(line: str, vocabulary: set[str] | None = None) -> str | None:
    """One `When <condition>: <strategy>` line in canonical form, or None when it is malformed (or,
    given a `vocabulary`, when its condition or strategy uses a word outside it)."""
    match = _SKILL.match(_clean_line(line))
    if match is None:
        return None
    cond, strat = match["cond"].strip(), match["strat"].strip()
    if not cond or not strat.rstrip(_TRAILING):
        return None
    if _PLACEHOLDER.match(cond) or _PLACEHOLDER.match(strat):
        return None
    if len(cond) > MAX_CONDITION_CHARS or len(strat) > MAX_STRATEGY_CHARS:
        return None
    if vocabulary is not None and not words(f"{cond} {strat}") <= vocabulary:
        return None
    skill = f"When {cond}: {strat}"
    return skill if _sentences(skill) <= MAX_SENTENCES else None


def parse_skills(text: str, max_skills: int | None = None,
                 vocabulary: set[str] | None = None) -> tuple[list[str], int]:
    """`(skills, n_malformed)` from a summarizer's reply; keeps the first `max_skills` unique skills
    (each made of words of `vocabulary` when one is given)."""
    skills: list[str] = []
    seen: set[str] = set()
    malformed = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        skill = parse_skill_line(line, vocabulary)
        if skill is None:
            malformed += 1
            continue
        key = normalize_skill(skill)
        if key in seen:
            continue
        seen.add(key)
        skills.append(skill)
    return (skills if max_skills is None else skills[:max_skills]), malformed


def _items(raw: str, workflow: bool) -> list[str]:
    """Items of one line: the line itself, or for the workflow its `a -> b` parts."""
    line = _clean_line(raw)
    parts = line.split("->") if workflow else [line]
    return [p.strip() for p in parts if p.strip()]


def _keep(item: str) -> bool:
    return len(item) <= MAX_ITEM_CHARS and not _PLACEHOLDER.match(item)


def _split_sections(text: str) -> dict[str, list[str]] | None:
    """Lines grouped by section; text before the first header is ignored; a repeated header -> None."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for raw in text.splitlines():
        header = _HEADER.match(raw.replace("**", "").strip())
        if header is not None:
            current = _SECTIONS[header["name"].lower()]
            if current in sections:
                return None
            sections[current] = [header["rest"]] if header["rest"] else []
        elif current is not None and raw.strip():
            sections[current].append(raw)
    return sections


def parse_structured_skill(
    text: str, max_items: int = 8, max_workflow: int = 20
) -> StructuredSkill | None:
    """A Skill-SD skill, or None when a section is missing, repeated or left empty.

    Items are the non-blank lines of a section (list markers stripped); the workflow may also be
    written on one line as `a -> b -> c`. Over-long items and echoed placeholders (`<...>`) are
    dropped; success patterns and mistakes are de-duplicated (`normalize_skill`), workflow steps are
    not (an action may recur). At most `max_items` / `max_workflow` items are kept per section.
    """
    sections = _split_sections(text)
    if sections is None or len(sections) != len(_SECTIONS):
        return None
    fields: dict[str, tuple[str, ...]] = {}
    for name, lines in sections.items():
        workflow = name == "workflow"
        items = [item for raw in lines for item in _items(raw, workflow) if _keep(item)]
        if not workflow:
            unique: dict[str, str] = {}
            for item in items:
                unique.setdefault(normalize_skill(item), item)
            items = list(unique.values())
        items = items[: max_workflow if workflow else max_items]
        if not items:
            return None
        fields[name] = tuple(items)
    return StructuredSkill(**fields)
