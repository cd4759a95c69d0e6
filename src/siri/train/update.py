"""The update step, blind to the algorithm (docs/architecture.md): it sums registered loss terms.

A method hands it rows with per-token fields and a coefficient per named loss term; the step scores
the rows under every prompt view the active terms need (`sampled`, `plain`), and for each mini-batch
accumulates gradients over micro-batches with each term's token-mean taken over the whole
mini-batch (docs/algorithms.md §3: token-mean over the mini-batch), then clips the gradient norm and
steps AdamW. The rows become tensors once per update (`TokenBatch`); micro-batches are slices. Within
a mini-batch the rows are sorted before they are cut into micro-batches: each term is a token-mean
over the whole mini-batch and gradients add up across micro-batches, so the order changes only the
float summation. Sorted by prompt, rows that share prompt prefixes meet in one micro-batch, which
computes each shared prefix once (`siri.policy.prefix`, docs/algorithms.md §0 "Shared prompts");
with sharing off they are sorted by length, so each micro-batch pads little.

Across processes (`sync`, docs/architecture.md "Many processes") each rank holds its own rows. Every
rank cuts them into the same number of mini-batches, each term's token-mean divides by the token count
summed over the ranks, and the gradients are summed over the ranks, so a step equals the one-process
step on the union of the rows. Every rank runs the same forward and backward passes: one forward per
view per micro-batch (shared prefixes off, their forward count depends on the rows), a zero-weight pass
where a rank has fewer micro-batches, and a zero-weight forward where a micro-batch lacks a view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, Sequence

import torch
import torch.nn.functional as F

from siri.algos.errors import AlgoError
from siri.algos.registry import RESPONSE_MASK, get_loss, sum_losses
from siri.policy.prefix import tree_logprobs
from siri.policy.scoring import response_logprobs
from siri.train.batch import TokenBatch, TrainRow
from siri.utils.reporter import NULL_REPORTER, Reporter


@dataclass
class UpdateSettings:
    ppo_epochs: int = 1
    mini_batch_rows: int = 64
    micro_batch_rows: int = 8
    grad_clip: float = 1.0
    temperature: float = 1.0
    sort_by_length: bool = True  # micro-batches of similar lengths: less padding, the same step
    share_prefixes: bool = True  # shared prompt prefixes computed once per micro-batch (siri.policy.prefix)


@dataclass
class LossPlan:
    """What a method asks of the update: coefficient per term, optional per-term mask fields and
    keyword parameters (e.g. clip ranges)."""

    coefs: dict[str, float]
    mask_fields: dict[str, str] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)

    def active(self) -> list[str]:
        return [n for n, c in self.coefs.items() if c != 0.0]


class RankSync(Protocol):
    """The collectives a several-process update needs (`siri.train.distributed.World`)."""

    def sum(self, values: dict[str, float]) -> dict[str, float]: ...

    def max(self, value: int) -> int: ...

    def all_gather(self, obj: Any) -> list[Any]: ...


def _chunks(items: Sequence[int], size: int) -> list[list[int]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def token_batch(rows: Sequence[TrainRow], plan: LossPlan, pad_id: int, device) -> TokenBatch:
    """The iteration's rows as tensors: the views and fields the plan's active terms read. A term
    scored under a view must give zero weight (its mask) to every row that lacks the view."""
    terms = [get_loss(n) for n in plan.active()]
    fields = {f for t in terms for f in t.fields} | set(plan.mask_fields.values())
    batch = TokenBatch(rows, {t.view for t in terms}, fields, pad_id, device)
    for t in terms:
        mask_field = plan.mask_fields.get(t.name, RESPONSE_MASK)
        lacking = batch.rows_without(t.view)
        if lacking and batch.count(mask_field, lacking) > 0:
            raise AlgoError(f"loss {t.name!r} reads the {t.view!r} view, but {len(lacking)} rows without that "
                            f"view have a non-zero {mask_field!r}")
    return batch


def _view_logprobs(model, batch: TokenBatch, idx, view, with_entropy, settings, width):
    """[B, width] log-probs (and entropies) of the responses of rows `idx` under `view`. Rows that lack
    the view (e.g. plain-arm rows have no separate plain prompt) are not scored and get zeros: the
    terms that read this view give them zero weight (`token_batch` checks it)."""
    device = next(model.parameters()).device
    lp = torch.zeros((len(idx), width), device=device)
    ent = torch.zeros((len(idx), width), device=device) if with_entropy else None
    if settings.share_prefixes:
        have, prompts, responses = batch.micro_rows(view, idx)
        if not have:
            return lp, ent
        lps, ents = tree_logprobs(model, prompts, responses, settings.temperature, with_entropy)
        sub_lp = right_align_tensors(lps, width)
        sub_ent = right_align_tensors(ents, width) if ents is not None else None
    else:
        have, vt = batch.micro_view(view, idx)
        if vt is None:
            return lp, ent
        out = response_logprobs(model, vt.input_ids, vt.attention_mask, vt.response_mask,
                                settings.temperature, with_entropy=with_entropy)
        sub_lp, sub_ent = out if with_entropy else (out, None)
    where = torch.tensor(have, device=device)
    lp = lp.index_copy(0, where, _last_cols(sub_lp, width))
    if ent is not None:
        ent = ent.index_copy(0, where, _last_cols(sub_ent, width))
    return lp, ent


def right_align_tensors(values: Sequence[torch.Tensor], width: int) -> torch.Tensor:
    """Stack 1-D tensors into [B, width], each in its last len() columns, zeros before (keeps grad)."""
    return torch.stack([F.pad(v, (width - v.shape[0], 0)) for v in values])


def _last_cols(x: torch.Tensor, width: int) -> torch.Tensor:
    """The last `width` columns of x, left-padded with zeros when x is narrower."""
    x = x[:, -width:]
    return torch.nn.functional.pad(x, (width - x.shape[1], 0)) if x.shape[1] < width else x


def _zero_forward(model, batch: TokenBatch, idx: list[int], settings) -> torch.Tensor:
    """0 times row idx[0]'s log-probs under a view it has: a forward and backward that add nothing,
    for a rank whose micro-batch has no row with some view (the other ranks run that view's forward)."""
    for view in sorted(batch.views):
        _, vt = batch.micro_view(view, idx[:1])
        if vt is not None:
            lp = response_logprobs(model, vt.input_ids, vt.attention_mask, vt.response_mask, settings.temperature)
            return lp.sum() * 0.0
    raise AlgoError("a row of the update has none of the views its loss terms read")


def _micro_loss(model, batch: TokenBatch, idx: list[int], plan: LossPlan, denoms, settings, aligned=False):
    terms = [get_loss(n) for n in plan.active()]
    need_entropy = any(t.needs_entropy for t in terms)
    fields = batch.micro_fields(idx)
    width = fields[RESPONSE_MASK].shape[1]
    logps, entropy, filler = {}, None, None
    for view in sorted({t.view for t in terms}):
        lp, ent = _view_logprobs(model, batch, idx, view, need_entropy and view == "sampled", settings, width)
        logps[view] = lp
        if ent is not None:
            entropy = ent
        if aligned and not lp.requires_grad:  # no row here has the view: forward anyway, weight 0
            filler = _zero_forward(model, batch, idx, settings)
    params = {n: {**plan.params.get(n, {}), "denom": denoms[n]} for n in plan.active()}
    loss, metrics = sum_losses(plan.coefs, fields, logps, entropy, params, plan.mask_fields)
    return (loss if filler is None else loss + filler), metrics


def _mini_batches(order: list[int], size: int, sync: RankSync | None) -> list[list[int]]:
    """Mini-batches of `size` rows; across ranks, every rank cuts its rows into as many mini-batches as
    the union of the rows makes, as evenly as it can."""
    if sync is None:
        return _chunks(order, size)
    n = int(sync.sum({"rows": float(len(order))})["rows"])
    k = max(math.ceil(n / size), 1)
    return [list(order[i * len(order) // k:(i + 1) * len(order) // k]) for i in range(k)]


def _reduce_metrics(sums: dict[str, float], sync: RankSync | None) -> dict[str, float]:
    """Across ranks each rank's values are its share of the mini-batch's (global denominators): they
    add up; the gradient norm is already the global one."""
    if sync is None:
        return sums
    keys = sorted({k for part in sync.all_gather(sorted(sums)) for k in part} - {"grad_norm"})
    total = sync.sum({k: sums.get(k, 0.0) for k in keys})
    return {**total, **({"grad_norm": sums["grad_norm"]} if "grad_norm" in sums else {})}


def policy_update(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    rows: Sequence[TrainRow],
    plan: LossPlan,
    settings: UpdateSettings,
    pad_id: int,
    rng: torch.Generator | None = None,
    reporter: Reporter = NULL_REPORTER,
    sync: RankSync | None = None,
) -> dict[str, float]:
    """One or more PPO epochs over `rows`; returns mean metrics over mini-batches. `reporter` hears
    the start (step 0) and every mini-batch step. With `sync` (several processes) the step is the
    one-process step on every rank's rows together (module docstring)."""
    if sync is not None:
        settings = replace(settings, share_prefixes=False)
    batch = token_batch(rows, plan, pad_id, next(model.parameters()).device)
    model.train()
    sums: dict[str, float] = {}
    steps = 0
    total = settings.ppo_epochs * -(-len(rows) // settings.mini_batch_rows)  # mini-batches, all epochs
    reporter.update_step(0, total)
    for _ in range(settings.ppo_epochs):
        order = torch.randperm(len(rows), generator=rng).tolist()
        for mini in _mini_batches(order, settings.mini_batch_rows, sync):
            if settings.share_prefixes:  # rows that share prompt prefixes in the same micro-batch
                mini = sorted(mini, key=batch.prompt_key)
            elif settings.sort_by_length:
                mini = sorted(mini, key=batch.length)
            counts = {n: batch.count(plan.mask_fields.get(n, RESPONSE_MASK), mini) for n in plan.active()}
            denoms = {n: max(c, 1.0) for n, c in (counts if sync is None else sync.sum(counts)).items()}
            optimizer.zero_grad(set_to_none=True)
            metrics: dict[str, float] = {}
            micros = _chunks(mini, settings.micro_batch_rows)
            passes = len(micros) if sync is None else sync.max(len(micros))
            for k in range(passes):
                padding = k >= len(micros)  # this rank has fewer micro-batches: a pass that adds nothing
                loss, m = _micro_loss(model, batch, [0] if padding else micros[k], plan, denoms, settings,
                                      aligned=sync is not None)
                if padding:
                    loss = loss * 0.0
                if loss.requires_grad:  # not when no row of the micro-batch has the view its terms read
                    loss.backward()
                if padding:
                    continue
                for k_, v in {**m, "loss": loss.detach()}.items():  # each is its share of the mini-batch's value
                    metrics[k_] = metrics.get(k_, 0.0) + float(v)
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
            optimizer.step()
            metrics["grad_norm"] = float(norm)
            for k, v in metrics.items():
                sums[k] = sums.get(k, 0.0) + float(v)
            steps += 1
            reporter.update_step(steps, total)
    model.eval()
    return {k: v / max(steps, 1) for k, v in _reduce_metrics(sums, sync).items()}
