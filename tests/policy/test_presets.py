"""Offline presets: saved in HF format, loadable with the plain `Auto*` classes, seeded, atomic."""

from __future__ import annotations

import json
import sys
import types

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from siri.policy.presets import PRESETS, build_model, get_preset, init_model
from siri.policy.tokenizer import build_tokenizer
from siri.utils.errors import UserError


def test_saved_files(tiny_model_dir):
    names = {p.name for p in tiny_model_dir.iterdir()}
    for required in ("config.json", "model.safetensors", "generation_config.json", "tokenizer.json",
                     "tokenizer_config.json"):
        assert required in names
    assert not any(n.endswith(".tmp") for n in names)


def test_auto_classes_load_offline(tiny_model_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert model.config.model_type == "qwen2"
    spec = PRESETS["tiny"]
    assert model.config.hidden_size == spec.hidden_size
    assert model.config.num_hidden_layers == spec.num_layers
    assert model.config.num_key_value_heads == spec.num_kv_heads
    assert model.config.max_position_embeddings == 2048
    assert model.config.tie_word_embeddings
    assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    assert model.config.vocab_size == len(tok)
    text = tok.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False)
    assert text == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    # End of turn and end of text both end generation.
    eos = model.generation_config.eos_token_id
    assert sorted(eos) == sorted([tok.convert_tokens_to_ids("<|im_end|>"), tok.eos_token_id])


def test_tiny_is_tiny():
    # Budget check for "minutes on CPU": a few million parameters at most.
    tok = build_tokenizer(["a b c"] * 3, 300)
    n = sum(p.numel() for p in build_model(get_preset("tiny"), tok, 0).parameters())
    assert n < 3_000_000


def test_seeded_weights(texts):
    tok = build_tokenizer(texts, 400)
    spec = get_preset("tiny")
    a, b, c = build_model(spec, tok, 1), build_model(spec, tok, 1), build_model(spec, tok, 2)
    wa, wb, wc = (m.model.layers[0].mlp.up_proj.weight for m in (a, b, c))
    assert torch.equal(wa, wb)
    assert not torch.equal(wa, wc)


def test_seed_does_not_touch_global_rng(texts):
    tok = build_tokenizer(texts, 400)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    build_model(get_preset("tiny"), tok, 7)
    assert torch.equal(torch.rand(3), expected)


def test_unknown_preset_is_one_line_user_error(tmp_path):
    with pytest.raises(UserError) as err:
        init_model("huge", tmp_path / "m", texts=["a"])
    msg = str(err.value)
    assert "\n" not in msg and "'huge'" in msg and "small" in msg and "tiny" in msg
    assert not (tmp_path / "m").exists()


def test_rebuild_needs_overwrite_and_replaces_the_model_files(tmp_path, texts):
    out = tmp_path / "m"
    init_model("tiny", out, texts=texts, seed=0)
    first = json.loads((out / "siri_preset.json").read_text())
    with pytest.raises(UserError, match="is not empty"):
        init_model("tiny", out, texts=texts, seed=5)
    init_model("tiny", out, texts=texts, seed=5, overwrite=True)
    second = json.loads((out / "siri_preset.json").read_text())
    assert (first["seed"], second["seed"]) == (0, 5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary folder left


def test_default_texts_come_from_the_tokenizer_corpus(tmp_path, monkeypatch):
    calls = []

    def tokenizer_corpus():
        calls.append(1)
        return iter(["go to cabinet 1"] * 10)

    fake = types.ModuleType("siri.policy.corpus")
    fake.tokenizer_corpus = tokenizer_corpus
    monkeypatch.setitem(sys.modules, "siri.policy.corpus", fake)
    out = init_model("tiny", tmp_path / "m")
    assert calls == [1]
    tok = AutoTokenizer.from_pretrained(out)
    assert len(tok.encode(" cabinet", add_special_tokens=False)) == 1
