"""Strict skill parsing (docs/algorithms.md §4 `When <condition>: <strategy>`; §5 structured skills)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siri.agent import StructuredSkill, normalize_skill, parse_skill_line, parse_skills, parse_structured_skill
from siri.agent.skill_parsing import MAX_CONDITION_CHARS, MAX_STRATEGY_CHARS

# ---------------------------------------------------------------- SIRI text skills


def test_valid_reply_with_list_markers_and_a_preamble() -> None:
    reply = (
        "Here are the skills:\n"
        "- When the object must be clean: take it to the sinkbasin 1 and clean it first.\n"
        "2. When you hold the object: go to the target receptacle and move it there.\n"
        "\n"
        "When a receptacle is closed: open it before looking inside.\n"
    )
    assert parse_skills(reply) == (
        [
            "When the object must be clean: take it to the sinkbasin 1 and clean it first.",
            "When you hold the object: go to the target receptacle and move it there.",
            "When a receptacle is closed: open it before looking inside.",
        ],
        1,
    )


@pytest.mark.parametrize(
    "line",
    [
        "When : open the fridge.",  # empty condition
        "When the fridge is closed:",  # empty strategy
        "When the fridge is closed: .",  # strategy is only punctuation
        "If the fridge is closed: open it.",  # not "When"
        "Whenever the fridge is closed: open it.",  # "When" must be a word of its own
        "When the fridge is closed open it.",  # no colon
        "When <condition>: <strategy>",  # the prompt's placeholders echoed
        "When the fridge is closed: <strategy>",
        "Skills:",
        "-",
    ],
)
def test_malformed_lines(line: str) -> None:
    assert parse_skill_line(line) is None
    assert parse_skills(line) == ([], 1)


def test_canonical_form() -> None:
    assert parse_skill_line("  *  WHEN  holding   the mug :   go to the coffeemachine 1.  ") == (
        "When holding the mug: go to the coffeemachine 1."
    )
    assert parse_skill_line("**When** holding x: do y") == "When holding x: do y"
    assert parse_skill_line("• When at the fridge: open it: then look") == "When at the fridge: open it: then look"


def test_duplicates_after_normalization_are_dropped_not_counted() -> None:
    reply = (
        "When   the fridge is CLOSED: open it.\n"
        "- when the fridge is closed: open it\n"
        "When the fridge is closed: open it!!\n"
        "When the fridge is open: look inside."
    )
    assert parse_skills(reply) == (
        ["When the fridge is CLOSED: open it.", "When the fridge is open: look inside."],
        0,
    )


def test_normalize_skill() -> None:
    assert normalize_skill("  When X:  do   Y!!. ") == "when x: do y"
    assert normalize_skill("When a: b;,") == "when a: b"


def test_length_bounds() -> None:
    ok_cond, long_cond = "c" * MAX_CONDITION_CHARS, "c" * (MAX_CONDITION_CHARS + 1)
    ok_strat, long_strat = "s" * MAX_STRATEGY_CHARS, "s" * (MAX_STRATEGY_CHARS + 1)
    assert parse_skill_line(f"When {ok_cond}: do it") == f"When {ok_cond}: do it"
    assert parse_skill_line(f"When {long_cond}: do it") is None
    assert parse_skill_line(f"When x: {ok_strat}") == f"When x: {ok_strat}"
    assert parse_skill_line(f"When x: {long_strat}") is None


def test_sentence_bound() -> None:
    three = "When stuck: go back. Look around. Try again."
    four = "When stuck: go back. Look around. Try again. Give up."
    assert parse_skill_line(three) == three
    assert parse_skill_line(four) is None
    # a decimal point or an id with dots is not a sentence end
    assert parse_skill_line("When the price is 40.00 dollars or less: buy it. Check the size.") is not None


def test_max_skills_keeps_the_first() -> None:
    reply = "When a: b\nWhen c: d\nWhen e: f"
    assert parse_skills(reply, max_skills=2) == (["When a: b", "When c: d"], 0)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_parse_skills_never_raises(text: str) -> None:
    skills, malformed = parse_skills(text)
    assert malformed >= 0
    assert all(s.startswith("When ") and ": " in s for s in skills)
    assert len({normalize_skill(s) for s in skills}) == len(skills)


# ---------------------------------------------------------------- Skill-SD structured skills

REPLY = """Summary of what I found.
Success patterns:
- Go to the countertop first, since mugs are usually there.
- Clean the mug at the sinkbasin before placing it.
Mistakes to avoid:
- Opening every cabinet one by one.
Golden workflow:
1. go to countertop 1
2. take mug 1 from countertop 1
3. go to sinkbasin 1
4. clean mug 1 with sinkbasin 1
5. go to coffeemachine 1
6. move mug 1 to coffeemachine 1
"""


def test_structured_valid() -> None:
    assert parse_structured_skill(REPLY) == StructuredSkill(
        success_patterns=(
            "Go to the countertop first, since mugs are usually there.",
            "Clean the mug at the sinkbasin before placing it.",
        ),
        mistakes=("Opening every cabinet one by one.",),
        workflow=(
            "go to countertop 1", "take mug 1 from countertop 1", "go to sinkbasin 1",
            "clean mug 1 with sinkbasin 1", "go to coffeemachine 1", "move mug 1 to coffeemachine 1",
        ),
    )


def test_structured_markdown_headers_inline_items_and_arrow_workflow() -> None:
    reply = (
        "## Success Patterns\n"
        "* Check the fridge first.\n"
        "**Mistakes to avoid:** heating before taking the egg\n"
        "- check the fridge first\n"
        "- Check the fridge first.\n"
        "GOLDEN WORKFLOW: go to fridge 1 -> open fridge 1 -> take egg 1 from fridge 1\n"
        "go to microwave 1\n"
    )
    assert parse_structured_skill(reply) == StructuredSkill(
        success_patterns=("Check the fridge first.",),
        mistakes=("heating before taking the egg", "check the fridge first"),
        workflow=("go to fridge 1", "open fridge 1", "take egg 1 from fridge 1", "go to microwave 1"),
    )


def test_structured_workflow_keeps_repeated_steps() -> None:
    reply = "Success patterns:\n- a\nMistakes to avoid:\n- b\nGolden workflow:\n1. up\n2. up\n3. left"
    got = parse_structured_skill(reply)
    assert got is not None and got.workflow == ("up", "up", "left")


@pytest.mark.parametrize(
    "reply",
    [
        "Success patterns:\n- a\nMistakes to avoid:\n- b\n",  # workflow missing
        "Success patterns:\n- a\nMistakes to avoid:\nGolden workflow:\n1. up",  # empty section
        "Success patterns:\n- a\nSuccess patterns:\n- c\nMistakes to avoid:\n- b\nGolden workflow:\n1. up",  # repeat
        "Success patterns:\n- <what worked>\nMistakes to avoid:\n- b\nGolden workflow:\n1. up",  # placeholder only
        "Success patterns:\n- " + "x" * 301 + "\nMistakes to avoid:\n- b\nGolden workflow:\n1. up",  # too long
        "",
        "When the fridge is closed: open it.",
    ],
)
def test_structured_malformed(reply: str) -> None:
    assert parse_structured_skill(reply) is None


def test_header_words_inside_a_sentence_are_an_item() -> None:
    reply = "Success patterns:\n- Golden workflow is key\nMistakes to avoid:\n- b\nGolden workflow:\n1. up"
    got = parse_structured_skill(reply)
    assert got is not None and got.success_patterns == ("Golden workflow is key",)


def test_structured_item_caps() -> None:
    reply = "Success patterns:\n" + "".join(f"- p{i}\n" for i in range(10))
    reply += "Mistakes to avoid:\n- m\nGolden workflow:\n" + "".join(f"{i}. s{i}\n" for i in range(1, 31))
    got = parse_structured_skill(reply, max_items=3, max_workflow=5)
    assert got is not None
    assert got.success_patterns == ("p0", "p1", "p2")
    assert got.workflow == ("s1", "s2", "s3", "s4", "s5")


def test_structured_round_trip() -> None:
    skill = StructuredSkill(("Look first.", "Be quick."), ("Do not loop.",), ("go to fridge 1", "open fridge 1"))
    assert skill.to_text() == (
        "Success patterns:\n- Look first.\n- Be quick.\nMistakes to avoid:\n- Do not loop.\n"
        "Golden workflow:\n1. go to fridge 1\n2. open fridge 1"
    )
    assert parse_structured_skill(skill.to_text()) == skill


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_parse_structured_never_raises(text: str) -> None:
    got = parse_structured_skill(text)
    assert got is None or (got.success_patterns and got.mistakes and got.workflow)


def test_a_skill_with_a_word_outside_the_vocabulary_is_malformed() -> None:
    vocabulary = {"when", "the", "mug", "is", "in", "sinkbasin", "take", "it", "first", "go", "to"}
    reply = ("When the mug is in sinkbasin 1: take it first.\n"  # numbers and punctuation are not words
             "When the MUG is in sinkbasin: go to it.\n"  # case does not matter
             "When pic the thea: goo tot.\n"  # well formed, but garbled
             "When the mug is in sinkbasin: wash it.")  # one word the trajectories never used
    skills, malformed = parse_skills(reply, vocabulary=vocabulary)
    assert skills == ["When the mug is in sinkbasin 1: take it first.", "When the MUG is in sinkbasin: go to it."]
    assert malformed == 2
    assert parse_skills(reply)[1] == 0  # without a vocabulary every line is well formed
