"""Offline tiny model presets (docs/architecture.md "Models": CPU runs and tests build their model locally).

A preset is a standard Qwen2 architecture (so it loads through the same `AutoModelForCausalLM` path as
a real model), randomly initialized with a fixed seed, with a tokenizer trained on the environments'
texts. Sizes are ours: `tiny` makes a full CPU run take minutes (prompts of ~300-700 tokens, responses
of ~10-30), `small` is a larger CPU model for longer runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import torch
from transformers import GenerationConfig, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

from siri.policy.tokenizer import IM_END, build_tokenizer
from siri.utils.atomic import check_output_dir, output_dir
from siri.utils.errors import UserError

PRESET_FILE = "siri_preset.json"


@dataclass(frozen=True)
class Preset:
    """Model and tokenizer sizes of one preset."""

    vocab_size: int  # BPE merges target; the tokenizer adds 4 tag tokens on top
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    intermediate_size: int
    max_positions: int = 2048


PRESETS: dict[str, Preset] = {
    # ~1.3M parameters: one CPU forward over a 500-token prompt takes a few milliseconds.
    "tiny": Preset(vocab_size=3072, hidden_size=128, num_layers=4, num_heads=4, num_kv_heads=2, intermediate_size=384),
    # ~13M parameters: still CPU-friendly, noticeably more capacity.
    "small": Preset(vocab_size=4096, hidden_size=384, num_layers=6, num_heads=6, num_kv_heads=2, intermediate_size=1024),
}


def preset_names() -> list[str]:
    return sorted(PRESETS)


def get_preset(name: str) -> Preset:
    """The preset called `name`; an unknown name is a one-line UserError naming the allowed ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise UserError(f"unknown model preset {name!r}; allowed: {', '.join(preset_names())}") from None


def model_config(preset: Preset, tokenizer: PreTrainedTokenizerFast) -> Qwen2Config:
    """A Qwen2 config sized by `preset`, with the vocabulary of `tokenizer` (exactly: no unused rows)."""
    return Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=preset.hidden_size,
        intermediate_size=preset.intermediate_size,
        num_hidden_layers=preset.num_layers,
        num_attention_heads=preset.num_heads,
        num_key_value_heads=preset.num_kv_heads,
        max_position_embeddings=preset.max_positions,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        tie_word_embeddings=True,
        use_sliding_window=False,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def generation_config(tokenizer: PreTrainedTokenizerFast) -> GenerationConfig:
    """Chat models end a turn with `<|im_end|>`; `<|endoftext|>` also ends generation (Qwen layout)."""
    im_end = tokenizer.convert_tokens_to_ids(IM_END)
    return GenerationConfig(
        eos_token_id=[im_end, tokenizer.eos_token_id],
        pad_token_id=tokenizer.pad_token_id,
        do_sample=True,
        temperature=1.0,
        top_p=1.0,
    )


def build_model(preset: Preset, tokenizer: PreTrainedTokenizerFast, seed: int) -> Qwen2ForCausalLM:
    """A randomly initialized float32 model; the seed is applied in a forked RNG (global state untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(model_config(preset, tokenizer))
    model.generation_config = generation_config(tokenizer)
    return model.eval()


def _default_texts() -> Iterable[str]:
    from siri.policy.corpus import tokenizer_corpus  # lazy: only needed when no texts are given

    return tokenizer_corpus()


def init_model(
    preset: str,
    out_dir: str | os.PathLike[str],
    texts: Iterable[str] | None = None,
    seed: int = 0,
    overwrite: bool = False,
) -> Path:
    """Build preset `preset` (tokenizer trained on `texts`, default: the env corpus) into `out_dir`.

    Writes Hugging Face files (config, safetensors weights, generation config, tokenizer with chat
    template) into a new or empty `out_dir` in one rename; a non-empty one is refused unless
    `overwrite`, which replaces only these files (`siri.utils.atomic.output_dir`).
    """
    spec = get_preset(preset)
    check_output_dir(out_dir, overwrite)  # before the minutes of work, not after
    tokenizer = build_tokenizer(_default_texts() if texts is None else texts, spec.vocab_size)
    model = build_model(spec, tokenizer, seed)
    out = Path(out_dir)
    with output_dir(out, overwrite) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        meta = {"preset": preset, "seed": seed, **asdict(spec)}
        (tmp / PRESET_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out
