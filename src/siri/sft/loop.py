"""The SFT optimisation loop: response negative log-likelihood, AdamW, clipped gradients.

Loss (docs/architecture.md "Models", SFT warm start): `−mean log p(response token | prompt, earlier tokens)`,
a token mean over the micro-batch, computed with `siri.policy.scoring.response_logprobs` — the same
numerics the RL trainer uses, so the warm-started policy is scored identically afterwards. With
`sft.prompt_loss_weight > 0` the loss adds that weight times the mean NLL of the prompt tokens
(`nll_terms`, ours); the logged `loss` is always the response term.

Batches (ours): each epoch shuffles the examples with a generator seeded by (run seed, epoch), sorts
them by length inside windows of `_BUCKET` batches (less padding on CPU), cuts batches and shuffles
the batch order. Same seed and examples => same batches => same weights.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from transformers import PreTrainedModel

from siri.config import SFTConfig
from siri.policy.forward import left_pad
from siri.policy.scoring import response_logprobs
from siri.sft.data import SFTExample

_BUCKET = 8  # batches per length-sorting window


@dataclass
class Batch:
    ids: torch.Tensor  # [B, L] left padded
    mask: torch.Tensor  # [B, L] 1 on real tokens
    response_mask: torch.Tensor  # [B, L] 1 on response tokens

    @property
    def tokens(self) -> int:
        return int(self.response_mask.sum())


def collate(examples: Sequence[SFTExample], device: torch.device | str, pad_id: int = 0) -> Batch:
    """Left-pad prompt+response; the response is always the last `len(response_ids)` real columns."""
    ids, mask = left_pad([list(e.prompt_ids) + list(e.response_ids) for e in examples], pad_id, device)
    rmask = torch.zeros_like(mask)
    for row, e in enumerate(examples):
        if e.response_ids:
            rmask[row, -len(e.response_ids):] = 1
    return Batch(ids, mask, rmask)


def nll_loss(model: PreTrainedModel, batch: Batch) -> torch.Tensor:
    """−mean log-prob of the response tokens of the batch (differentiable)."""
    lp = response_logprobs(model, batch.ids, batch.mask, batch.response_mask)
    return -(lp * batch.response_mask).sum() / batch.response_mask.sum().clamp(min=1)


def prompt_token_mask(batch: Batch) -> torch.Tensor:
    """1 on prompt tokens that have a token before them (each row's first real token has no context)."""
    mask = batch.mask.clone()
    mask[torch.arange(mask.shape[0]), mask.argmax(-1)] = 0
    return mask * (1 - batch.response_mask)


def nll_terms(model: PreTrainedModel, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """(response NLL, prompt NLL), token means, from one forward pass over every position.

    The prompt term is an auxiliary language-modelling loss on the prompt text (ours): a random-init
    tiny preset has never read text, and predicting the environment's own observations (the history
    repeats them, the admissible list repeats their names) teaches it the copying the actions need.
    """
    prompt = prompt_token_mask(batch)
    lp = response_logprobs(model, batch.ids, batch.mask, prompt + batch.response_mask)
    resp = -(lp * batch.response_mask).sum() / batch.response_mask.sum().clamp(min=1)
    return resp, -(lp * prompt).sum() / prompt.sum().clamp(min=1)


def epoch_batches(lengths: Sequence[int], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Example indices per batch for one epoch (see the module docstring); deterministic in (seed, epoch)."""
    gen = torch.Generator().manual_seed(seed * 100_003 + epoch)
    order = torch.randperm(len(lengths), generator=gen).tolist()
    window = batch_size * _BUCKET
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: lengths[i])
        batches += [chunk[k:k + batch_size] for k in range(0, len(chunk), batch_size)]
    perm = torch.randperm(len(batches), generator=gen).tolist()
    return [batches[i] for i in perm]


def lr_factor(step: int, total: int, warmup: int, schedule: str) -> float:
    """Multiplier of the base lr at optimizer step `step` (0-based) of `total`.

    Linear warmup over `warmup` steps ((step+1)/warmup), then constant or a cosine decay from 1 to 0
    over the remaining steps (evaluated at the step's start).
    """
    if step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    span = max(total - warmup, 1)
    return 0.5 * (1.0 + math.cos(math.pi * (step - warmup) / span))


@dataclass
class LoopStats:
    steps: int = 0
    epochs: int = 0
    final_loss: float = float("nan")
    seconds: float = 0.0


Logger = Callable[[dict], None]


def train_sft(
    model: PreTrainedModel,
    examples: Sequence[SFTExample],
    sft: SFTConfig,
    seed: int,
    log: Logger = lambda row: None,
    on_step: Callable[[float], None] = lambda loss: None,
) -> LoopStats:
    """Train `model` in place for `sft.epochs` epochs; `log` gets metrics rows, `on_step` each step's loss."""
    device = next(model.parameters()).device
    lengths = [len(e.prompt_ids) + len(e.response_ids) for e in examples]
    per_epoch = math.ceil(len(examples) / sft.batch_size)
    total = per_epoch * sft.epochs
    warmup = int(sft.warmup_ratio * total)
    opt = torch.optim.AdamW(model.parameters(), lr=sft.lr, weight_decay=sft.weight_decay)
    stats = LoopStats()
    start = time.perf_counter()
    window = _Window()
    model.train()
    for epoch in range(sft.epochs):
        epoch_window = _Window()
        for idx in epoch_batches(lengths, sft.batch_size, seed, epoch):
            lr = sft.lr * lr_factor(stats.steps, total, warmup, sft.lr_schedule)
            for group in opt.param_groups:
                group["lr"] = lr
            batch = collate([examples[i] for i in idx], device)
            if sft.prompt_loss_weight > 0:
                loss, prompt_loss = nll_terms(model, batch)
                total_loss = loss + sft.prompt_loss_weight * prompt_loss
            else:
                loss = total_loss = nll_loss(model, batch)
                prompt_loss = None
            opt.zero_grad(set_to_none=True)
            total_loss.backward()
            grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), sft.grad_clip))
            opt.step()
            stats.steps += 1
            value = float(loss.detach())
            extra = float(prompt_loss.detach()) if prompt_loss is not None else None
            for w in (window, epoch_window):
                w.add(value, batch.tokens, len(idx), extra)
            on_step(value)
            if stats.steps % sft.log_every == 0:
                log(window.row("step", epoch, stats.steps, time.perf_counter() - start, lr=lr, grad_norm=grad_norm))
                window = _Window()
        stats.epochs = epoch + 1
        stats.final_loss = epoch_window.loss
        log(epoch_window.row("epoch", epoch, stats.steps, time.perf_counter() - start))
    model.eval()
    stats.seconds = time.perf_counter() - start
    return stats


class _Window:
    """Token-weighted mean loss over some steps, with token and example counts."""

    def __init__(self) -> None:
        self.nll = 0.0
        self.tokens = 0
        self.examples = 0
        self.prompt_losses: list[float] = []

    def add(self, loss: float, tokens: int, examples: int, prompt_loss: float | None = None) -> None:
        self.nll += loss * tokens
        self.tokens += tokens
        self.examples += examples
        if prompt_loss is not None:
            self.prompt_losses.append(prompt_loss)

    @property
    def loss(self) -> float:
        return self.nll / self.tokens if self.tokens else float("nan")

    def row(self, event: str, epoch: int, step: int, seconds: float, **extra: float) -> dict:
        row = {"phase": "sft", "event": event, "epoch": epoch, "step": step, "loss": self.loss,
               "tokens": self.tokens, "examples": self.examples, "time_s": round(seconds, 3), **extra}
        if self.prompt_losses:  # mean over steps of the auxiliary prompt loss
            row["prompt_loss"] = sum(self.prompt_losses) / len(self.prompt_losses)
        return row
