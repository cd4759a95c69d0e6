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

import functools
import inspect
from typing import Sequence

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel


def logprobs_from_logits(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """`log_softmax(logits / T)` over the last axis, in float32 (the one formula both sides use)."""
    x = logits.float()
    if temperature > 0 and temperature != 1.0:
        x = x / temperature
    return torch.log_softmax(x, dim=-1)


def entropy_from_logprobs(logprobs: torch.Tensor) -> torch.Tensor:
    """Shannon entropy (nats) of each distribution along the last axis."""
    return -(logprobs.exp() * logprobs).sum(-1)


def left_pad(
    seqs: Sequence[Sequence[int]], pad_id: int, device: torch.device | str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack id lists right-aligned: (ids [B, L], attention mask [B, L] with 1 on real tokens)."""
    width = max((len(s) for s in seqs), default=0)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        if len(s):
            ids[i, width - len(s) :] = torch.as_tensor(list(s), dtype=torch.long)
            mask[i, width - len(s) :] = 1
    return ids.to(device), mask.to(device)


def position_ids_from_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """Real tokens get positions 0, 1, ... whatever the padding side; pads get 0 (they are masked)."""
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


@functools.lru_cache(maxsize=None)
def _class_accepts_logits_to_keep(cls: type) -> bool:
    return "logits_to_keep" in inspect.signature(cls.forward).parameters


def accepts_logits_to_keep(model: PreTrainedModel) -> bool:
    """Whether the model can compute logits for the last positions only (most HF causal LMs can)."""
    return _class_accepts_logits_to_keep(type(model))


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


def _score(
    model: PreTrainedModel,
    prompts: Sequence[Sequence[int]],
    responses: Sequence[Sequence[int]],
    temperature: float,
    batch_size: int,
    with_entropy: bool,
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    if len(prompts) != len(responses):
        raise ValueError(f"{len(prompts)} prompts but {len(responses)} responses")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if any(len(p) == 0 for p in prompts):
        raise ValueError("every prompt needs at least one token")
    device = next(model.parameters()).device
    n = len(prompts)
    lps: list[torch.Tensor] = [torch.empty(0)] * n
    ents: list[torch.Tensor] = [torch.empty(0)] * n
    # Similar lengths together: less padding per batch.
    order = sorted(range(n), key=lambda i: len(prompts[i]) + len(responses[i]))
    for idx in _batches(order, batch_size):
        seqs = [list(prompts[i]) + list(responses[i]) for i in idx]
        ids, mask = left_pad(seqs, 0, device)
        rmask = torch.zeros_like(mask)
        for row, i in enumerate(idx):
            if len(responses[i]):
                rmask[row, -len(responses[i]) :] = 1
        out = response_logprobs(model, ids, mask, rmask, temperature, with_entropy=with_entropy)
        lp, ent = out if with_entropy else (out, None)
        for row, i in enumerate(idx):
            k = len(responses[i])
            lps[i] = lp[row, ids.shape[1] - k :]
            if ent is not None:
                ents[i] = ent[row, ids.shape[1] - k :]
    return lps, ents


def score(
    model: PreTrainedModel,
    prompts: Sequence[Sequence[int]],
    responses: Sequence[Sequence[int]],
    temperature: float = 1.0,
    batch_size: int = 16,
) -> list[torch.Tensor]:
    """Per-token log-probs (1-D tensor per response, on the model's device) of `responses[i]` after
    `prompts[i]`, in batches of `batch_size`. Carries grad when called under grad."""
    return _score(model, prompts, responses, temperature, batch_size, with_entropy=False)[0]


def score_with_entropy(
    model: PreTrainedModel,
    prompts: Sequence[Sequence[int]],
    responses: Sequence[Sequence[int]],
    temperature: float = 1.0,
    batch_size: int = 16,
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Like `score`, plus the entropy of the tempered next-token distribution at each response token."""
    return _score(model, prompts, responses, temperature, batch_size, with_entropy=True)
