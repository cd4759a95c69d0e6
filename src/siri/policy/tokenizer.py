"""A byte-level BPE tokenizer trained locally, with a Qwen-style chat template (docs/architecture.md "Models").

Why build one: CPU runs and tests use tiny presets that never download anything, yet must load through
the same Hugging Face code path as real models. Training the BPE on the environments' own texts makes
env words mostly single tokens, which keeps the tiny model's prompts short.

Design choices:
- Byte-level BPE with the full 256-byte initial alphabet: ANY string encodes (no unknown token) and
  decodes back to its NFC normal form (exactly, for NFC text: no clean-up of spaces). The NFC
  normalizer and the split regex are Qwen2's, because `AutoTokenizer` rebuilds a `qwen2` directory's
  tokenizer with Qwen2's pipeline; ours must be the same one or the two would disagree on ids.
- `<|endoftext|>` is eos and pad; `<|im_start|>`/`<|im_end|>` frame chat turns (Qwen layout).
- `<think>`, `</think>`, `<action>`, `</action>` are *added, non-special* tokens: they are always one
  token (so an action span is an exact token range, docs/algorithms.md §0 `action_span`) and they survive
  `decode(skip_special_tokens=True)`.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

EOS_TOKEN = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = (EOS_TOKEN, IM_START, IM_END)
TAG_TOKENS = ("<think>", "</think>", "<action>", "</action>")
MAX_LENGTH = 2048

# Qwen2's pre-tokenization split (letters with one optional leading non-letter, single digits,
# punctuation runs, newlines, spaces). It must match `transformers`' Qwen2Tokenizer exactly: for a
# `qwen2` model directory, `AutoTokenizer` rebuilds the tokenizer with that class's own normalizer and
# pre-tokenizer (transformers 5.x), keeping only our vocab and merges. Same pipeline => same ids.
QWEN2_SPLIT_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

# Qwen-style ChatML: every turn is `<|im_start|>role\n content <|im_end|>\n`; the generation prompt
# opens an assistant turn. Written for this project (no default system prompt is injected).
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- endif -%}"
)


def _strip_reserved(texts: Iterable[str]) -> Iterator[str]:
    """Remove special/tag strings from the training texts: they are whole tokens, BPE need not learn them."""
    for text in texts:
        for tok in SPECIAL_TOKENS + TAG_TOKENS:
            if tok in text:
                text = text.replace(tok, " ")
        yield text


def _train_bpe(texts: Iterable[str], vocab_size: int) -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_SPLIT_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_strip_reserved(texts), trainer=trainer)
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in TAG_TOKENS])
    return tok


def build_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE of at most `vocab_size` entries (plus the 4 tag tokens) on `texts`.

    The result pads on the left (generation batches) and carries the chat template, so
    `save_pretrained(dir)` then `AutoTokenizer.from_pretrained(dir)` works offline.
    """
    floor = 256 + len(SPECIAL_TOKENS)
    if vocab_size < floor:
        raise ValueError(f"vocab_size must be at least {floor} (256 bytes + special tokens), got {vocab_size}")
    backend = _train_bpe(texts, vocab_size)
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=None,
        eos_token=EOS_TOKEN,
        pad_token=EOS_TOKEN,
        unk_token=None,
        extra_special_tokens=[IM_START, IM_END],
        chat_template=CHAT_TEMPLATE,
        padding_side="left",
        clean_up_tokenization_spaces=False,
        model_max_length=MAX_LENGTH,
    )
