"""Locate the action tokens of a response (docs/algorithms.md §0, `action_span`).

The parser gives the character range of the action text inside the decoded response; this maps it to
token positions by decoding growing prefixes, which works for any tokenizer (byte-level BPE pieces
included) without re-encoding anything.
"""

from __future__ import annotations

from typing import Sequence

from transformers import PreTrainedTokenizerBase


def token_char_ends(tokenizer: PreTrainedTokenizerBase, ids: Sequence[int]) -> list[int]:
    """End character offset of each token in `tokenizer.decode(ids)` (prefix decoding)."""
    return [len(tokenizer.decode(list(ids[: j + 1]), skip_special_tokens=False)) for j in range(len(ids))]


def char_span_to_token_span(ends: Sequence[int], start: int, end: int) -> tuple[int, int] | None:
    """Token range [a, b) covering characters [start, end): every token overlapping the range."""
    if end <= start:
        return None
    a = b = None
    prev = 0
    for j, e in enumerate(ends):
        if e > start and prev < end:
            if a is None:
                a = j
            b = j + 1
        prev = e
    return None if a is None else (a, b)
