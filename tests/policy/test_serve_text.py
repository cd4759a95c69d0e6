"""Streamed text of `siri serve`: deltas never hold half a character or the start of a stop string,
and join up to the full decode; token bytes join up to the text's UTF-8."""

from __future__ import annotations

import pytest

from siri.policy.serve_text import IncrementalText, TokenBytes, cut_at_stop, held_back

TEXT = "café ☕ go to cou go to countertop 1, then look"


def stream(tok, text: str, stops=()) -> tuple[list[str], IncrementalText]:
    inc = IncrementalText(tok, stops)
    deltas = []
    for i in tok.encode(text, add_special_tokens=False):
        deltas.append(inc.push(i))
        if inc.stopped:
            break
    return deltas, inc


def test_held_back_is_the_longest_tail_that_could_start_a_stop():
    assert held_back("abc", ["cd"]) == 1
    assert held_back("abc", ["bcx", "c"]) == 2  # a whole stop is a hit, not a tail to hold
    assert held_back("abc", ["xyz"]) == 0 and held_back("", ["ab"]) == 0
    assert cut_at_stop("abcXdefY", ["Y", "X"]) == "abc"


def test_deltas_join_up_to_the_full_decode_without_half_characters(tiny):
    _, tok = tiny
    ids = tok.encode(TEXT, add_special_tokens=False)
    assert len(ids) > len(TEXT.split())  # the non-ASCII characters take several byte tokens
    deltas, inc = stream(tok, TEXT)
    assert not any("\ufffd" in d for d in deltas)
    assert "".join(deltas) + inc.final() == tok.decode(ids) == TEXT
    assert inc.final() == ""  # nothing handed out twice


def test_a_stop_string_ends_the_text_and_its_start_is_held_until_it_cannot_be_one(tiny):
    _, tok = tiny
    deltas, inc = stream(tok, TEXT, stops=["count", "never"])
    assert inc.stopped
    sent = "".join(deltas)
    assert sent + inc.final() == TEXT[: TEXT.find("count")] == "café ☕ go to cou go to "
    shown = ""
    for d in deltas:  # the "cou" of "countertop" was never sent (the earlier "cou" was, once " go" came)
        shown += d
        assert TEXT.startswith(shown) and len(shown) <= len("café ☕ go to cou go to ")


@pytest.mark.parametrize("text", ["☕", "<action>", "<|im_end|>", " countertop"])
def test_token_bytes_join_up_to_the_texts_utf8(tiny, text):
    _, tok = tiny
    token_bytes = TokenBytes(tok)
    ids = tok.encode(text, add_special_tokens=False)
    assert b"".join(bytes(token_bytes(i)[1]) for i in ids) == text.encode("utf-8")
    if len(ids) == 1:
        assert token_bytes(ids[0])[0] == text
