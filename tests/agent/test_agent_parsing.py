"""Response parsing (docs/environments.md "Agent interface"): cases worked out by hand, plus Hypothesis."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siri.agent import ParsedAction, fallback_action, has_cjk, parse_response
from siri.envs.registry import agent_env_names
from siri.envs.sokoban.text import SOKOBAN_NOOP
from siri.utils.errors import UserError

# ---------------------------------------------------------------- valid responses


def test_valid_with_think() -> None:
    text = "<think>the mug is here</think><action>take mug 1 from countertop 1</action>"
    assert parse_response(text, "household", think_required=True) == ParsedAction(
        "take mug 1 from countertop 1", True, None, (38, 66)
    )


def test_valid_without_think_when_not_required() -> None:
    got = parse_response("<action>look</action>", "household")
    assert (got.action, got.valid, got.reason) == ("look", True, None)


def test_upper_case_tags_and_action_are_lowered() -> None:
    got = parse_response("<ACTION>Go To Fridge 1</ACTION>", "household")
    assert (got.action, got.valid) == ("go to fridge 1", True)
    got = parse_response("<Think>ok</THINK><Action>LOOK</Action>", "household", think_required=True)
    assert (got.action, got.valid) == ("look", True)


def test_whitespace_inside_tags_is_stripped_and_span_covers_raw_content() -> None:
    text = "<action>\n  go to fridge 1 \t</action>"
    got = parse_response(text, "household")
    assert got.action == "go to fridge 1" and got.valid
    assert text[got.span[0] : got.span[1]] == "\n  go to fridge 1 \t"


def test_span_indexes_the_raw_text_even_when_lowercasing_changes_length() -> None:
    # "İ".lower() is two characters; the span must still index the original response.
    text = "İİ <action>LOOK</action>"
    got = parse_response(text, "household")
    assert got.span == (11, 15) and text[11:15] == "LOOK" and got.action == "look"


def test_shop_actions() -> None:
    assert parse_response("<action>search[Red Shirt]</action>", "shop").action == "search[red shirt]"
    assert parse_response("<action>click[B0A1B2C3D4]</action>", "shop").action == "click[b0a1b2c3d4]"


# ---------------------------------------------------------------- which pair


def test_multiple_action_pairs_take_the_first() -> None:
    got = parse_response("<action>look</action> or <action>inventory</action>", "household")
    assert (got.action, got.valid, got.span) == ("look", True, (8, 12))


def test_nested_tags_take_the_innermost_first_pair() -> None:
    got = parse_response("<action><action>look</action></action>", "household")
    assert (got.action, got.valid, got.span) == ("look", True, (16, 20))


def test_unclosed_tag_before_a_complete_pair() -> None:
    got = parse_response("<action>go to <action>look</action>", "household")
    assert (got.action, got.valid) == ("look", True)


def test_close_tag_before_open_tag() -> None:
    got = parse_response("</action><action>look</action>", "household")
    assert (got.action, got.valid, got.span) == ("look", True, (17, 21))


# ---------------------------------------------------------------- invalid responses and fallbacks


def test_missing_tags_household_sends_last_30_chars_lowercased() -> None:
    text = "I think: " + "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"  # the last 30 characters are the alphabet + 0123
    assert parse_response(text, "household") == ParsedAction(
        "abcdefghijklmnopqrstuvwxyz0123", False, "no_action_tags", None
    )


def test_missing_tags_shop_sends_last_20_chars() -> None:
    text = "zzzz" + "0123456789ABCDEFGHIJ"
    assert parse_response(text, "shop") == ParsedAction("0123456789abcdefghij", False, "no_action_tags", None)


def test_missing_tags_sokoban_sends_the_noop() -> None:
    assert SOKOBAN_NOOP == "noop"
    assert parse_response("up", "sokoban") == ParsedAction("noop", False, "no_action_tags", None)


def test_short_and_empty_outputs_fall_back_whole() -> None:
    assert parse_response("LOOK", "household").action == "look"
    assert parse_response("", "household") == ParsedAction("", False, "no_action_tags", None)
    assert parse_response("", "shop").action == ""


@pytest.mark.parametrize("text", ["<action>look", "look</action>", "<action>look<action>", "<actionlook</action>"])
def test_unclosed_or_broken_tags_are_invalid(text: str) -> None:
    got = parse_response(text, "household")
    assert (got.action, got.valid, got.reason) == (text.lower(), False, "no_action_tags")


def test_empty_action_is_invalid_and_falls_back() -> None:
    got = parse_response("<action>  </action>", "household")
    assert (got.action, got.valid, got.reason, got.span) == ("<action>  </action>", False, "empty_action", (8, 10))
    assert parse_response("<action></action>", "sokoban").action == "noop"


def test_missing_think_when_required() -> None:
    got = parse_response("<action>look</action>", "household", think_required=True)
    assert (got.action, got.valid, got.reason) == ("look", False, "no_think_tags")


@pytest.mark.parametrize(
    "text",
    ["<think>hmm <action>look</action>", "</think><think><action>look</action>", "think: <action>look</action>"],
)
def test_unclosed_or_reversed_think_is_missing(text: str) -> None:
    got = parse_response(text, "household", think_required=True)
    assert (got.action, got.valid, got.reason) == ("look", False, "no_think_tags")


def test_cjk_in_action_is_invalid_but_the_action_is_sent() -> None:
    got = parse_response("<action>go to 冰箱 1</action>", "household")
    assert (got.action, got.valid, got.reason) == ("go to 冰箱 1", False, "cjk")


def test_cjk_in_think_is_invalid() -> None:
    got = parse_response("<think>我想</think><action>look</action>", "household", think_required=True)
    assert (got.action, got.valid, got.reason) == ("look", False, "cjk")


def test_missing_tags_reported_before_cjk() -> None:
    assert parse_response("冰箱", "shop").reason == "no_action_tags"


@pytest.mark.parametrize(
    "char",
    ["冰", "㐀", "\U00020000", "\U00030000", "ね", "カ", "ㇰ", "한", "ᄀ", "ㄱ", "。", "「", "\u3000", "！", "ａ",
     "\uFF76", "\u3105", "\u2E80", "\u2F00", "\uF900", "\u3220", "\u3300", "\uFE30", "\U0001B000"],
)
def test_cjk_blocks_are_detected(char: str) -> None:
    assert has_cjk(f"a{char}b")
    assert parse_response(f"<action>look</action>{char}", "shop").reason == "cjk"


@pytest.mark.parametrize("char", ["√", "é", "ß", "😀", "→", "—", "Ω", "ж"])
def test_non_cjk_characters_are_fine(char: str) -> None:
    assert not has_cjk(char)
    assert parse_response(f"<action>look</action>{char}", "shop").valid


# ---------------------------------------------------------------- sokoban directions


@pytest.mark.parametrize(
    ("inner", "action", "valid", "reason"),
    [
        ("up", "up", True, None),
        ("Right", "right", True, None),
        (" Move UP. ", "up", True, None),
        ("left left", "left", True, None),
        ("up or left", "noop", False, "not_a_direction"),
        ("upward", "noop", False, "not_a_direction"),
        ("still", "noop", False, "not_a_direction"),
        ("上", "noop", False, "not_a_direction"),
        ("上 down", "down", False, "cjk"),
    ],
)
def test_sokoban_directions(inner: str, action: str, valid: bool, reason: str | None) -> None:
    got = parse_response(f"<action>{inner}</action>", "sokoban")
    assert (got.action, got.valid, got.reason) == (action, valid, reason)


def test_sokoban_missing_think_sends_the_direction() -> None:
    got = parse_response("<action>left</action>", "sokoban", think_required=True)
    assert (got.action, got.valid, got.reason) == ("left", False, "no_think_tags")


# ---------------------------------------------------------------- misc


def test_fallback_action_per_env() -> None:
    raw = "X" * 50 + "0123456789" * 3
    assert fallback_action("household", raw) == "0123456789" * 3
    assert fallback_action("shop", raw) == "0123456789" * 2
    assert fallback_action("sokoban", raw) == "noop"


def test_unknown_env_is_a_user_error() -> None:
    with pytest.raises(UserError, match="allowed: household, shop, sokoban"):
        parse_response("<action>look</action>", "webshop")


def test_huge_adversarial_inputs_are_fast() -> None:
    start = time.perf_counter()
    for text in ["<action>" * 20_000, "</action>" * 20_000, "<think>" * 20_000 + "<action>a</action>",
                 "<action>" + "x" * 200_000]:
        parse_response(text, "household", think_required=True)
    assert time.perf_counter() - start < 1.0


_PIECES = st.sampled_from(
    ["<action>", "</action>", "<think>", "</think>", "<ACTION>", "</Think>", "look", "up", " ", "\n", "冰",
     "İ", "\x00", "√", "go to fridge 1", "<", ">", "/"]
)
_TEXTS = st.one_of(st.text(), st.lists(_PIECES, max_size=30).map("".join))


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS, env=st.sampled_from(agent_env_names()), think=st.booleans())
def test_parse_response_never_raises_and_is_consistent(text: str, env: str, think: bool) -> None:
    got = parse_response(text, env, think_required=think)
    assert isinstance(got.action, str)
    assert got.valid == (got.reason is None)
    if got.span is None:
        assert not got.valid
    else:
        start, end = got.span
        assert 0 <= start <= end <= len(text)
        assert text[start - 8 : start].lower() == "<action>" and text[end : end + 9].lower() == "</action>"
        assert "<action>" not in text[start:end].lower()
    if env == "sokoban":
        assert got.action in ("up", "down", "left", "right", "noop")
    elif got.span is not None and got.reason != "empty_action":
        assert got.action == text[got.span[0] : got.span[1]].strip().lower()
