"""Text of sampled tokens for `siri serve`: streamed deltas, stop strings, and each token's bytes for
OpenAI's `logprobs` entries (docs/architecture.md "Serving a policy").

Why its own module: streaming must send text as tokens arrive, yet never send what a stop string
would later cut, nor half of a multi-byte character; and a `logprobs` entry names each token by its
exact bytes, which for byte-level BPE are not the UTF-8 of its vocabulary string.
"""

from __future__ import annotations

from typing import Any, Sequence

from transformers import PreTrainedTokenizerBase
from transformers.convert_slow_tokenizer import bytes_to_unicode

REPLACEMENT = "\ufffd"  # what a decoder writes for an incomplete UTF-8 sequence


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    """The text before the earliest stop string (OpenAI does not return the stop sequence)."""
    cuts = [text.find(s) for s in stops if s in text]
    return text[: min(cuts)] if cuts else text


def held_back(text: str, stops: Sequence[str]) -> int:
    """How many trailing characters of `text` could be the start of a stop string (not sent yet)."""
    longest = 0
    for stop in stops:
        for k in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:k]):
                longest = k
                break
    return longest


class TokenBytes:
    """Each token id's bytes and display string, cached. Byte-level BPE vocabulary strings map back
    to bytes through the byte-to-character table; added and special tokens are their own text; any
    other token is the UTF-8 of its decoded text."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase):
        self.tokenizer = tokenizer
        self.byte_of = {c: b for b, c in bytes_to_unicode().items()}
        added = getattr(tokenizer, "added_tokens_decoder", {}) or {}
        self.added = {int(i) for i in added}
        self.cache: dict[int, tuple[str, list[int]]] = {}

    def __call__(self, token_id: int) -> tuple[str, list[int]]:
        if token_id not in self.cache:
            self.cache[token_id] = self._lookup(token_id)
        return self.cache[token_id]

    def _lookup(self, token_id: int) -> tuple[str, list[int]]:
        piece = self.tokenizer.convert_ids_to_tokens(token_id)
        if token_id not in self.added and piece and all(c in self.byte_of for c in piece):
            raw = bytes(self.byte_of[c] for c in piece)
        else:
            raw = self.tokenizer.decode([token_id], skip_special_tokens=False).encode("utf-8")
        return raw.decode("utf-8", errors="replace"), list(raw)


def logprob_entry(token_bytes: TokenBytes, token_id: int, logprob: float,
                  top: Sequence[tuple[int, float]] = ()) -> dict[str, Any]:
    """One item of OpenAI's `logprobs.content`: the token, its log-prob, its bytes and the top ones."""
    text, raw = token_bytes(token_id)
    return {"token": text, "logprob": logprob, "bytes": raw,
            "top_logprobs": [{"token": token_bytes(t)[0], "logprob": lp, "bytes": token_bytes(t)[1]}
                             for t, lp in top]}


class IncrementalText:
    """The visible text of one response as its tokens arrive: `push` returns the new text that is
    safe to send and whether a stop string has ended the response.

    Decoding works on a sliding window (the tokens since the last complete piece, with one piece of
    left context so leading spaces come out right) instead of the whole response each step. Text
    ending in an incomplete character waits for the next token; a tail that could begin a stop string
    waits until it cannot. `final` gives the rest from a decode of all ids, so the streamed pieces
    join up to exactly the non-streamed text.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, stops: Sequence[str]):
        self.tokenizer = tokenizer
        self.stops = [s for s in stops if s]
        self.ids: list[int] = []
        self.text = ""  # decoded so far (may run past a stop string until it is cut)
        self.sent = 0  # characters of `text` already handed out
        self.prefix = self.read = 0  # window offsets into `ids`
        self.stopped = False

    def _decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True)

    def push(self, token_id: int) -> str:
        self.ids.append(token_id)
        before = self._decode(self.ids[self.prefix:self.read])
        after = self._decode(self.ids[self.prefix:])
        if len(after) > len(before) and not after.endswith(REPLACEMENT):
            self.text += after[len(before):]
            self.prefix, self.read = self.read, len(self.ids)
        if self.stops:
            window = max(len(s) for s in self.stops)
            tail_start = max(0, self.sent - window)
            cut = cut_at_stop(self.text[tail_start:], self.stops)
            if len(cut) < len(self.text) - tail_start:
                self.text, self.stopped = self.text[:tail_start] + cut, True
        safe = len(self.text) if self.stopped else len(self.text) - held_back(self.text, self.stops)
        delta, self.sent = self.text[self.sent:safe], max(self.sent, safe)
        return delta

    def final(self) -> str:
        """The text not handed out yet, taken from a decode of every id (cut at the first stop)."""
        full = cut_at_stop(self._decode(self.ids), self.stops)
        rest = full[self.sent:] if full.startswith(self.text[:self.sent]) else ""
        self.sent = len(full)
        return rest


def final_text(tokenizer: PreTrainedTokenizerBase, ids: Sequence[int], stops: Sequence[str]) -> str:
    """A finished response's text, as OpenAI returns it: special tokens dropped, cut before a stop."""
    return cut_at_stop(tokenizer.decode(list(ids), skip_special_tokens=True), stops)
