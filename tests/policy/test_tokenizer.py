"""The locally trained tokenizer: byte fallback, single-token tags, chat template, offline reload."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import AutoTokenizer

from siri.policy.tokenizer import build_tokenizer


@pytest.fixture(scope="module")
def tok(texts):
    return build_tokenizer(texts, 600)


@pytest.mark.parametrize("tag", ["<think>", "</think>", "<action>", "</action>"])
def test_tags_are_single_tokens_in_context(tok, tag):
    tag_id = tok.convert_tokens_to_ids(tag)
    assert tok.encode(tag, add_special_tokens=False) == [tag_id]
    ids = tok.encode(f"x{tag}go to fridge 1{tag}y", add_special_tokens=False)
    assert ids.count(tag_id) == 2
    # Added but not special: they survive decoding that drops special tokens.
    assert tag in tok.decode(ids, skip_special_tokens=True)


def test_action_span_is_exact_token_boundary(tok):
    ids = tok.encode("<think>hm</think><action>open fridge 1</action>", add_special_tokens=False)
    start = ids.index(tok.convert_tokens_to_ids("<action>"))
    end = ids.index(tok.convert_tokens_to_ids("</action>"))
    assert tok.decode(ids[start + 1 : end]) == "open fridge 1"


def test_special_tokens(tok):
    assert tok.eos_token == "<|endoftext|>" and tok.pad_token == "<|endoftext|>"
    assert tok.eos_token_id == tok.pad_token_id
    for special in ("<|endoftext|>", "<|im_start|>", "<|im_end|>"):
        assert len(tok.encode(special, add_special_tokens=False)) == 1
    assert tok.decode(tok.encode("<|im_start|>hi<|im_end|>"), skip_special_tokens=True) == "hi"
    assert tok.padding_side == "left"


def test_env_words_are_single_tokens(tok):
    for word in (" cabinet", " countertop", " fridge", " apple", "You"):
        assert len(tok.encode(word, add_special_tokens=False)) == 1, word


def test_no_extra_tokens_added_on_encode(tok):
    assert tok.decode(tok.encode("abc")) == "abc"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_round_trip_any_unicode(tok, text):
    # Byte-level BPE: everything encodes; decoding gives back the NFC form (Qwen2's normalizer).
    ids = tok.encode(text, add_special_tokens=False)
    assert tok.decode(ids) == unicodedata.normalize("NFC", text)


def test_round_trip_exact_for_nfc_text(tok):
    text = "héllo wörld 🤖 日本語 \t\n\n  x  ﷽ \x00\x7f e\u0301"
    nfc = unicodedata.normalize("NFC", text)
    assert tok.decode(tok.encode(nfc, add_special_tokens=False)) == nfc
    assert tok.decode(tok.encode("e\u0301", add_special_tokens=False)) == "\u00e9"


def test_chat_template_matches_chatml(tok):
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "<action>look</action>"},
        {"role": "user", "content": "Again"},
    ]
    expected = (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\n<action>look</action><|im_end|>\n"
        "<|im_start|>user\nAgain<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False) == expected
    no_prompt = tok.apply_chat_template(messages[:2], add_generation_prompt=False, tokenize=False)
    assert no_prompt == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"


def test_vocab_size_floor():
    with pytest.raises(ValueError, match="vocab_size"):
        build_tokenizer(["abc"], 100)


def test_vocab_size_is_respected(texts):
    tok = build_tokenizer(texts, 300)
    assert len(tok) <= 300 + 4


STRINGS = [
    "You see a cabinet 12 and 3 apples, don't you?\n\nok",
    "<|im_start|>user\nput 2 mugs in cabinet 1<|im_end|>\n<|im_start|>assistant\n<action>go</action>",
    "Ünïcödé — ✓ 🤖 \t tabs  and   spaces",
    "$12.99 [B07XYZ] #### @",
]


def test_reload_gives_same_ids(tok, tmp_path):
    tok.save_pretrained(tmp_path)
    again = AutoTokenizer.from_pretrained(tmp_path)
    for s in STRINGS:
        assert again.encode(s) == tok.encode(s)


def test_reload_next_to_qwen2_model_gives_same_ids(tiny_model_dir):
    # transformers 5 rebuilds a `qwen2` directory's tokenizer with Qwen2Tokenizer's own pipeline
    # (keeping our vocab and merges): our pipeline must be that one.
    from transformers import PreTrainedTokenizerFast

    auto = AutoTokenizer.from_pretrained(tiny_model_dir)
    raw = PreTrainedTokenizerFast.from_pretrained(tiny_model_dir)
    for s in STRINGS:
        assert auto.encode(s) == raw.encode(s)
        assert auto.decode(auto.encode(s)) == unicodedata.normalize("NFC", s)
