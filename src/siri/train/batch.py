"""Training rows and the token batch the update step consumes, built once per iteration.

Layout: each view's sequence (prompt ⊕ response) is left-padded, so every response ends at the last
column. Per-token fields are (B, T) with T the longest response, right-aligned the same way: column
T−k..T−1 of row b holds its k response tokens in every view. Response ids are the sampled ids in every
view (token-in, token-out); only the prompt differs.

A micro-batch is a slice of these tensors cut to its own widths (the leading columns that are padding
in all of its rows are dropped), so it is exactly the tensor a collation of its rows alone would give.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import torch

from siri.algos.errors import AlgoError
from siri.algos.registry import RESPONSE_MASK
from siri.policy.forward import left_pad


@dataclass
class TrainRow:
    """One training sample: its prompt under each view, the sampled response, per-token fields."""

    prompts: dict[str, list[int]]  # view name ("sampled", "plain", ...) -> prompt ids
    response_ids: list[int]
    fields: dict[str, list[float]] = field(default_factory=dict)  # name -> one value per response token


@dataclass
class ViewTensors:
    input_ids: torch.Tensor  # [B, L]
    attention_mask: torch.Tensor  # [B, L]
    response_mask: torch.Tensor  # [B, L], 1 on response tokens


def right_align(values: Sequence[Sequence[float]], width: int, dtype=torch.float32) -> torch.Tensor:
    """Stack ragged rows into [B, width], each row's values in its last len(row) columns."""
    out = torch.zeros((len(values), width), dtype=dtype)
    for i, v in enumerate(values):
        if len(v):
            out[i, width - len(v):] = torch.as_tensor(list(v), dtype=dtype)
    return out


def _last(x: torch.Tensor, width: int) -> torch.Tensor:
    return x[:, x.shape[1] - width:]


@dataclass
class _View:
    rows: list[int]  # batch rows that have this view, in order
    prompts: list[list[int]]  # their prompts under this view
    ids: torch.Tensor  # [len(rows), L] left-padded prompt ⊕ response
    mask: torch.Tensor
    response_mask: torch.Tensor
    seq_len: torch.Tensor  # [len(rows)] real tokens per sequence


class TokenBatch:
    """Every row of an iteration as tensors: the `views` and per-token `fields` an update reads.

    A field that a loss needs and some row lacks is an error (a misspelt field must not train on
    zeros); a view is optional per row, and the rows without it are not scored under it.
    """

    def __init__(self, rows: Sequence[TrainRow], views: Iterable[str], fields: Iterable[str], pad_id: int,
                 device: torch.device | str = "cpu"):
        self.n = len(rows)
        self.response_len = torch.tensor([len(r.response_ids) for r in rows], dtype=torch.long)
        width = int(self.response_len.max()) if self.n else 0
        self.fields = {RESPONSE_MASK: right_align([[1.0] * len(r.response_ids) for r in rows], width).to(device)}
        for name in sorted(set(fields) - {RESPONSE_MASK}):
            missing = [i for i, r in enumerate(rows) if name not in r.fields]
            if missing:
                raise AlgoError(f"field {name!r} is needed by the loss but missing on {len(missing)} of {self.n} rows "
                                f"(first: row {missing[0]}, which has {sorted(rows[missing[0]].fields)})")
            self.fields[name] = right_align([r.fields[name] for r in rows], width).to(device)
        self.views = {v: self._view(rows, v, pad_id, device) for v in sorted(set(views))}
        self.responses = [r.response_ids for r in rows]
        self._prompt_keys = [tuple(tuple(r.prompts.get(v, ())) for v in self.views) for r in rows]
        self._lengths = self.response_len.tolist()
        for v in self.views.values():
            for k, row in enumerate(v.rows):
                self._lengths[row] = max(self._lengths[row], int(v.seq_len[k]))

    @staticmethod
    def _view(rows: Sequence[TrainRow], view: str, pad_id: int, device) -> _View:
        have = [i for i, r in enumerate(rows) if view in r.prompts]
        seqs = [rows[i].prompts[view] + rows[i].response_ids for i in have]
        ids, mask = left_pad(seqs, pad_id, device)
        rmask = right_align([[1.0] * len(rows[i].response_ids) for i in have], ids.shape[1], torch.long).to(device)
        return _View(have, [rows[i].prompts[view] for i in have], ids, mask, rmask,
                     torch.tensor([len(s) for s in seqs], dtype=torch.long))

    def length(self, row: int) -> int:
        """Tokens of row `row` under the longest view it has (what its micro-batch pads to)."""
        return self._lengths[row]

    def width(self, idx: Sequence[int]) -> int:
        """The longest response among rows `idx`."""
        return int(self.response_len[list(idx)].max()) if len(idx) else 0

    def micro_fields(self, idx: Sequence[int]) -> dict[str, torch.Tensor]:
        """Per-token fields of rows `idx`, [len(idx), their longest response]."""
        w, sel = self.width(idx), list(idx)
        return {name: _last(t[sel], w) for name, t in self.fields.items()}

    def micro_view(self, view: str, idx: Sequence[int]) -> tuple[list[int], ViewTensors | None]:
        """(positions in `idx` of the rows that have `view`, their view tensors cut to their width)."""
        v = self.views[view]
        where = {row: k for k, row in enumerate(v.rows)}
        pos = [j for j, row in enumerate(idx) if row in where]
        if not pos:
            return [], None
        sel = [where[idx[j]] for j in pos]
        w = int(v.seq_len[sel].max())
        return pos, ViewTensors(_last(v.ids[sel], w), _last(v.mask[sel], w), _last(v.response_mask[sel], w))

    def micro_rows(self, view: str, idx: Sequence[int]) -> tuple[list[int], list[list[int]], list[list[int]]]:
        """(positions in `idx` of the rows that have `view`, their prompts under it, their responses)."""
        v = self.views[view]
        where = {row: k for k, row in enumerate(v.rows)}
        pos = [j for j, row in enumerate(idx) if row in where]
        return pos, [v.prompts[where[idx[j]]] for j in pos], [self.responses[idx[j]] for j in pos]

    def prompt_key(self, row: int) -> tuple[tuple[int, ...], ...]:
        """Row `row`'s prompts under every view (sorting by it puts rows with shared prefixes together)."""
        return self._prompt_keys[row]

    def count(self, mask_field: str, idx: Sequence[int]) -> float:
        """Tokens of rows `idx` where `mask_field` is positive (a term's token-mean denominator)."""
        return float((self.fields[mask_field][list(idx)] > 0).sum())

    def rows_without(self, view: str) -> list[int]:
        have = set(self.views[view].rows)
        return [i for i in range(self.n) if i not in have]
