"""What every forward pass here shares: padding, positions, and the tempered log-prob formula
(docs/algorithms.md §0). Sampler, scorer and shared-prefix scorer import these so that the numbers
they compute are the same formula."""

from __future__ import annotations

import functools
import inspect
from typing import Sequence

import torch
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
    return _class_accepts_logits_to_keep(forward_class(model))


def forward_class(model: torch.nn.Module) -> type:
    """The class whose `forward` declares the keywords a call may pass: a LoRA model's wrapper
    (`siri.policy.lora`) takes any keyword and hands it to the model it wraps, so that model's class."""
    get_base = getattr(model, "get_base_model", None)
    return type(get_base() if callable(get_base) else model)
