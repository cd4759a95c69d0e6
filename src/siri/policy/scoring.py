"""Per-token log-probs of given response ids after given prompt ids (docs/algorithms.md §0).

Token-in, token-out: responses are scored as ids concatenated to prompt ids, never re-tokenized.
The same functions serve three callers:
- the sampler, through `logprobs_from_logits`, to record `behavior_logprobs`;
- the trainer, through `response_logprobs`, under grad, for π_θ in the importance ratio;
- re-scoring under another prompt (SIRI's plain-prompt student, Skill-SD's skill-prompt teacher),
  through `score`.

Temperature convention (ours): log-probs are those of the *tempered* distribution
`log_softmax(logits / T)` in float32, for sampler and scorer alike, so the ratio π_θ / π_behaviour is 1
on the first update of on-policy data. T <= 0 (greedy decoding) means T = 1 here. Top-p truncation is
not part of these log-probs (see `siri.policy.sampling`).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel

from siri.policy.forward import (
    accepts_logits_to_keep,
    entropy_from_logprobs,
    left_pad,
    logprobs_from_logits,
    position_ids_from_mask,
)
from siri.policy.prefix import tree_logprobs
from siri.policy.precision import autocast


def response_logprobs(
    model: PreTrainedModel,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    response_mask: torch.Tensor,
    temperature: float = 1.0,
    with_entropy: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Log-prob of each response token given everything before it, aligned with `input_ids`.

    `input_ids`, `attention_mask`, `response_mask`: [B, L] (left or right padded); the result is [B, L]
    with log p(input_ids[b, t] | input_ids[b, <t]) where `response_mask` is 1 and 0 elsewhere (and the
    same for the entropy of the tempered next-token distribution when `with_entropy`). Differentiable:
    call it under grad for the policy loss. Only the logits from the first response column on are
    computed, so left padding (responses at the end) keeps the [B, T, V] tensor small.
    """
    resp = response_mask.bool()
    batch, length = input_ids.shape
    cols = resp.any(0).nonzero()
    if cols.numel() == 0:
        zeros = torch.zeros((batch, length), device=input_ids.device)
        return (zeros, zeros.clone()) if with_entropy else zeros
    start = int(cols[0])
    if start == 0:
        raise ValueError("a response token at position 0 has no context to be scored from; prepend a prompt")
    keep = length - start + 1
    kwargs = {"logits_to_keep": keep} if accepts_logits_to_keep(model) else {}
    with autocast(model):
        out = model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids_from_mask(attention_mask),
            use_cache=False,
            **kwargs,
        )
    logits = out.logits[:, -keep:-1]  # positions start-1 .. L-2 predict tokens start .. L-1
    lp = logprobs_from_logits(logits, temperature)
    tok = lp.gather(-1, input_ids[:, start:, None]).squeeze(-1)
    tok = torch.where(resp[:, start:], tok, torch.zeros_like(tok))
    tok = F.pad(tok, (start, 0))
    if not with_entropy:
        return tok
    ent = torch.where(resp[:, start:], entropy_from_logprobs(lp), torch.zeros_like(tok[:, start:]))
    return tok, F.pad(ent, (start, 0))


def _batches(order: list[int], batch_size: int) -> list[list[int]]:
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def padded_logprobs(model: PreTrainedModel, prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]],
                    temperature: float, with_entropy: bool) -> tuple[list[torch.Tensor], list[torch.Tensor] | None]:
    """Per-row 1-D log-probs (and entropies) of `responses[i]` after `prompts[i]`, every row computed in
    full in one left-padded batch (what `siri.policy.prefix.tree_logprobs` computes without repeats)."""
    device = next(model.parameters()).device
    ids, mask = left_pad([list(p) + list(r) for p, r in zip(prompts, responses)], 0, device)
    rmask = torch.zeros_like(mask)
    for row, r in enumerate(responses):
        if len(r):
            rmask[row, -len(r):] = 1
    out = response_logprobs(model, ids, mask, rmask, temperature, with_entropy=with_entropy)
    lp, ent = out if with_entropy else (out, None)
    width = ids.shape[1]
    lps = [lp[row, width - len(r):] for row, r in enumerate(responses)]
    ents = [ent[row, width - len(r):] for row, r in enumerate(responses)] if ent is not None else None
    return lps, ents


def rows_logprobs(model: PreTrainedModel, prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]],
                  temperature: float, with_entropy: bool, share_prefixes: bool):
    """One batch of rows, with shared prompt prefixes computed once (`tree_logprobs`) or not."""
    if share_prefixes:
        return tree_logprobs(model, prompts, responses, temperature, with_entropy)
    return padded_logprobs(model, prompts, responses, temperature, with_entropy)


def _score(
    model: PreTrainedModel,
    prompts: Sequence[Sequence[int]],
    responses: Sequence[Sequence[int]],
    temperature: float,
    batch_size: int,
    with_entropy: bool,
    share_prefixes: bool,
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    if len(prompts) != len(responses):
        raise ValueError(f"{len(prompts)} prompts but {len(responses)} responses")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if any(len(p) == 0 for p in prompts):
        raise ValueError("every prompt needs at least one token")
    n = len(prompts)
    lps: list[torch.Tensor] = [torch.empty(0)] * n
    ents: list[torch.Tensor] = [torch.empty(0)] * n
    # Rows that share prompt prefixes together (sorted prompts), else similar lengths (less padding).
    key = (lambda i: tuple(prompts[i])) if share_prefixes else (lambda i: len(prompts[i]) + len(responses[i]))
    for idx in _batches(sorted(range(n), key=key), batch_size):
        lp, ent = rows_logprobs(model, [prompts[i] for i in idx], [responses[i] for i in idx], temperature,
                                with_entropy, share_prefixes)
        for j, i in enumerate(idx):
            lps[i] = lp[j]
            if ent is not None:
                ents[i] = ent[j]
    return lps, ents


def score(
    model: PreTrainedModel,
    prompts: Sequence[Sequence[int]],
    responses: Sequence[Sequence[int]],
    temperature: float = 1.0,
    batch_size: int = 16,
    share_prefixes: bool = True,
) -> list[torch.Tensor]:
    """Per-token log-probs (1-D tensor per response, on the model's device) of `responses[i]` after
    `prompts[i]`, in batches of `batch_size` rows; prompt prefixes shared within a batch are computed
    once unless `share_prefixes` is off (same numbers up to float summation order). Carries grad when
    called under grad."""
    return _score(model, prompts, responses, temperature, batch_size, False, share_prefixes)[0]


def score_with_entropy(
    model: PreTrainedModel,
    prompts: Sequence[Sequence[int]],
    responses: Sequence[Sequence[int]],
    temperature: float = 1.0,
    batch_size: int = 16,
    share_prefixes: bool = True,
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Like `score`, plus the entropy of the tempered next-token distribution at each response token."""
    return _score(model, prompts, responses, temperature, batch_size, True, share_prefixes)
