"""Batched sampling with a KV cache, recording behaviour log-probs (docs/algorithms.md §0).

Why our own decoding loop rather than `model.generate`: we need, per sampled token, the log-prob the
trainer will recompute (`behavior_logprobs`), exact response ids (token-in, token-out) cut right after
a stop string, and rows that leave the batch as soon as they finish.

Log-prob convention (ours; see `siri.policy.scoring`): the recorded log-prob of a token is
`log_softmax(logits / T)[token]` in float32, the same formula the scorer uses at the same temperature,
so sampler and scorer agree to float precision. With top-p < 1 the token is drawn from the truncated,
renormalized distribution but the recorded log-prob is still the untruncated tempered one (what the
trainer can recompute from logits alone). Temperature 0 = greedy; its log-probs use T = 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, Sequence

import torch
from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerBase

from siri.policy.forward import accepts_logits_to_keep, left_pad, logprobs_from_logits, position_ids_from_mask
from siri.policy.kv import PreallocatedCache, cache_argument, cache_from, num_layers
from siri.policy.prefix import tree_prefill
from siri.policy.precision import autocast

FINISH_REASONS = ("stop", "eos", "length", "cancelled")


@dataclass(frozen=True)
class DecodeOptions:
    """The decoding savings, each switchable so benchmarks can measure it (benchmarks/iteration_breakdown.py).
    Either way the samples follow the same distribution; the draws differ with `inverse_cdf`."""

    preallocate: bool = True  # one cache buffer for the whole call; False: transformers' DynamicCache (a copy per step)
    inverse_cdf: bool = True  # one uniform per row and step; False: an exponential race over the whole vocabulary
    share_prefixes: bool = True  # the prefill computes prompt prefixes shared by rows once (siri.policy.prefix)


class SamplingCancelled(Exception):
    """`sample` stopped because its `cancelled` callback said so (e.g. the HTTP client went away)."""


@dataclass(frozen=True)
class Step:
    """What `sample`'s `on_step` callback sees after each decoding step (row j of each field is one
    response still in the batch): the caller can stream tokens, read the distribution each token was
    drawn from, and end rows of its own accord (a per-row token limit, a client that left)."""

    rows: list[int]  # the prompt index of each batch row
    tokens: list[int]  # the token each row sampled at this step
    token_logprobs: list[float]  # its log-prob, as recorded in Sample.logprobs
    logprobs: torch.Tensor  # [rows, vocab] float32: log_softmax(logits / T), the distribution drawn from
    finished: Mapping[int, str]  # prompt index -> finish reason, for rows this token ended (eos, stop)


StepCallback = Callable[[Step], "Mapping[int, str] | None"]


@dataclass
class Sample:
    """One response: sampled ids (ending with the stop/eos token if any), their log-probs, and why it ended."""

    ids: list[int]
    logprobs: list[float]
    finish_reason: str


@dataclass
class SampleOutput:
    """Responses in the order of the prompts."""

    samples: list[Sample] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> Sample:
        return self.samples[i]

    def __iter__(self) -> Iterator[Sample]:
        return iter(self.samples)

    @property
    def ids(self) -> list[list[int]]:
        return [s.ids for s in self.samples]

    @property
    def logprobs(self) -> list[list[float]]:
        return [s.logprobs for s in self.samples]

    @property
    def finish_reasons(self) -> list[str]:
        return [s.finish_reason for s in self.samples]

    @property
    def num_tokens(self) -> int:
        return sum(len(s.ids) for s in self.samples)


def top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose probability mass reaches `top_p`; the rest -> -inf.

    A token is kept when the mass of the tokens strictly more likely than it (in sorted order) is below
    `top_p`, so the most likely token is always kept. Works on any leading shape.
    """
    if top_p >= 1.0:
        return logits
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits.float(), dim=-1)
    mass_before = probs.cumsum(-1) - probs
    drop_sorted = mass_before >= top_p
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def choose_tokens(
    logprobs: torch.Tensor, top_p: float, greedy: bool, draw: torch.Tensor | None
) -> torch.Tensor:
    """Next token per row. With `draw` [B] of u ~ U[0, 1): inverse transform, the first token whose
    cumulative probability exceeds u · total (one number per row and step; a zero-probability token is
    never drawn). With `draw` [B, V] of E ~ Exp(1): the exponential race, argmax p_i / E_i. Neither
    needs p normalized."""
    if greedy:
        return logprobs.argmax(-1)
    assert draw is not None
    if draw.dim() == 2:
        return (top_p_filter(logprobs, top_p).exp() / draw).argmax(-1)
    cdf = top_p_filter(logprobs, top_p).exp().double().cumsum(-1)
    target = (draw.double() * cdf[:, -1]).unsqueeze(-1)
    return torch.searchsorted(cdf, target, right=True).squeeze(-1).clamp(max=cdf.shape[-1] - 1)


class StopStrings:
    """Detects a stop string completed by the newest token of a response.

    Decodes only the last few tokens (enough bytes to hold the longest stop string): an occurrence that
    ended earlier would already have stopped the row, so any occurrence in the tail is new. A token
    that completes a stop string and carries more text after it still ends the response there.
    """

    def __init__(self, stops: Sequence[str], tokenizer: PreTrainedTokenizerBase | None):
        self.stops = tuple(s for s in stops if s)
        if self.stops and tokenizer is None:
            raise ValueError("stop strings need a tokenizer to decode responses")
        self.tokenizer = tokenizer
        self.window = max((len(s.encode("utf-8")) for s in self.stops), default=0) + 1

    def __bool__(self) -> bool:
        return bool(self.stops)

    def hits(self, responses: Sequence[Sequence[int]]) -> list[bool]:
        tails = [list(r[-self.window :]) for r in responses]
        texts = self.tokenizer.batch_decode(tails, skip_special_tokens=False, clean_up_tokenization_spaces=False)
        return [any(s in t for s in self.stops) for t in texts]


def _eos_set(eos_token_id: int | Sequence[int] | None) -> set[int]:
    if eos_token_id is None:
        return set()
    if isinstance(eos_token_id, int):
        return {eos_token_id}
    return {int(i) for i in eos_token_id}


def _check_args(prompts: Sequence[Sequence[int]], max_new_tokens: int, temperature: float, top_p: float) -> None:
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 = greedy), got {temperature}")
    if not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    if any(len(p) == 0 for p in prompts):
        raise ValueError("every prompt needs at least one token")


class _Decoder:
    """KV-cached forward passes over a batch whose rows can be dropped when they finish. The cache and
    the attention mask are allocated once for the prompt and every new token (no copy per step)."""

    def __init__(self, model: PreTrainedModel, prompts: Sequence[Sequence[int]], pad_id: int, max_new_tokens: int,
                 decode: DecodeOptions = DecodeOptions()):
        self.model = model
        self.cache_arg = cache_argument(model)
        device = next(model.parameters()).device
        unique, inverse = _dedup(prompts)
        if decode.share_prefixes:
            layers, mask, length, self.logits = tree_prefill(model, unique, pad_id)
            self.next_pos = length[:, None]
        else:
            ids, mask = left_pad(unique, pad_id, device)
            positions = position_ids_from_mask(mask)
            self.next_pos = positions[:, -1:] + 1
        self.width = mask.shape[1]
        self.mask = mask.new_zeros((len(unique), self.width + max_new_tokens))
        self.mask[:, :self.width] = mask
        capacity = self.width + max_new_tokens
        if decode.share_prefixes:
            self.cache = PreallocatedCache.holding(layers, capacity) if decode.preallocate else cache_from(layers)
        else:
            self.cache = PreallocatedCache(num_layers(model), capacity) if decode.preallocate else DynamicCache()
            kwargs = {"logits_to_keep": 1} if accepts_logits_to_keep(model) else {}
            self.logits = self._forward(ids, positions, **kwargs)
        if len(unique) < len(prompts):  # copies of one prompt (a rollout group) share one prefill
            self.keep(torch.tensor(inverse, device=device))

    def _forward(self, ids: torch.Tensor, positions: torch.Tensor, **kwargs) -> torch.Tensor:
        out = self.model(input_ids=ids, attention_mask=self.mask[:, :self.width], position_ids=positions,
                         use_cache=True, **{self.cache_arg: self.cache}, **kwargs)
        return out.logits[:, -1]

    def keep(self, rows: torch.Tensor) -> None:
        """Keep only batch rows `rows` (indices into the current batch, repeats allowed)."""
        self.cache.batch_select_indices(rows)
        self.mask = self.mask.index_select(0, rows)
        self.next_pos = self.next_pos.index_select(0, rows)
        self.logits = self.logits.index_select(0, rows)

    def step(self, tokens: torch.Tensor) -> None:
        self.mask[:, self.width] = 1
        self.width += 1
        self.logits = self._forward(tokens[:, None], self.next_pos)
        self.next_pos = self.next_pos + 1


def _dedup(prompts: Sequence[Sequence[int]]) -> tuple[list[list[int]], list[int]]:
    """Distinct prompts (first-seen order) and, for each prompt, the index of its distinct copy."""
    first: dict[tuple[int, ...], int] = {}
    inverse = [first.setdefault(tuple(p), len(first)) for p in prompts]
    return [list(p) for p in first], inverse


def _make_rng(seed: int | None, rng: torch.Generator | None, device: torch.device):
    if rng is not None:
        return rng
    if seed is None:
        return None  # torch's global RNG (seeded by the caller's run seed)
    return torch.Generator(device=device).manual_seed(seed)


def sample(
    model: PreTrainedModel,
    prompts: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    stop: Sequence[str] = ("</action>",),
    tokenizer: PreTrainedTokenizerBase | None = None,
    eos_token_id: int | Sequence[int] | None = None,
    pad_token_id: int | None = None,
    seed: int | None = None,
    rng: torch.Generator | None = None,
    cancelled: Callable[[], bool] | None = None,
    on_step: StepCallback | None = None,
    decode: DecodeOptions = DecodeOptions(),
) -> SampleOutput:
    """Sample one response per prompt (lists of token ids), in one left-padded batch with a KV cache.

    A row ends with finish_reason "eos" when it samples an id in `eos_token_id` (kept as its last id),
    "stop" when its decoded text completes a string of `stop` (needs `tokenizer`), else "length" after
    `max_new_tokens`. Finished rows leave the batch; identical prompts (the N rollouts of a group) share
    one prefill and still get independent draws, and prompts that share a prefix compute it once
    (docs/algorithms.md §0 "Shared prompts"; `decode` switches each saving off). Same seed (or rng
    state), inputs and `decode` => same ids. The model is put in eval mode for the call and restored
    after.

    `cancelled`, if given, is called before each decoding step; when it returns True the call raises
    SamplingCancelled, so a server stops work nobody will read. It draws no random numbers, so the
    samples of a call it never cancels are the same as without it.

    `on_step`, if given, is called after each step with a `Step`; it returns the rows (prompt index ->
    a reason in FINISH_REASONS) to end now, or None. Ended rows leave the batch; the others' draws do
    not change (each row's draws are indexed by its prompt, whoever else is still running).
    """
    _check_args(prompts, max_new_tokens, temperature, top_p)
    stops = StopStrings(stop, tokenizer)
    eos = _eos_set(eos_token_id)
    if pad_token_id is None:
        pad_token_id = min(eos) if eos else 0
    n = len(prompts)
    ids: list[list[int]] = [[] for _ in range(n)]
    lps: list[list[float]] = [[] for _ in range(n)]
    reasons = ["length"] * n
    if n == 0 or max_new_tokens == 0:
        return SampleOutput([Sample(ids[i], lps[i], reasons[i]) for i in range(n)])
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode(), autocast(model):  # one region: weights cast once per call
            _decode(model, prompts, max_new_tokens, temperature, top_p, stops, eos, pad_token_id,
                    _make_rng(seed, rng, next(model.parameters()).device), ids, lps, reasons, cancelled, decode,
                    on_step)
    finally:
        model.train(was_training)
    return SampleOutput([Sample(ids[i], lps[i], reasons[i]) for i in range(n)])


def _decode(model, prompts, max_new_tokens, temperature, top_p, stops, eos, pad_id, gen, ids, lps, reasons,
            cancelled=None, decode: DecodeOptions = DecodeOptions(), on_step: StepCallback | None = None) -> None:
    """The decoding loop; fills `ids`, `lps`, `reasons` (indexed by prompt) in place."""
    dec = _Decoder(model, prompts, pad_id, max_new_tokens, decode)
    rows = list(range(len(prompts)))  # prompt index of each current batch row
    greedy = temperature == 0
    eos_ids = torch.tensor(sorted(eos), dtype=torch.long, device=dec.logits.device)
    for step in range(max_new_tokens):
        if cancelled is not None and cancelled():
            raise SamplingCancelled(f"cancelled after {step} of at most {max_new_tokens} tokens")
        lp = logprobs_from_logits(dec.logits, temperature)
        draw = None
        if not greedy:  # drawn for the full batch so a row's draws do not depend on who else finished
            shape = (len(prompts),) if decode.inverse_cdf else (len(prompts), lp.shape[-1])
            where = gen.device if gen is not None else lp.device
            draw = torch.rand(shape, generator=gen, device=where) if decode.inverse_cdf else \
                torch.empty(shape, device=where).exponential_(generator=gen)
            draw = draw[rows].to(lp.device)
        tokens = choose_tokens(lp, top_p, greedy, draw)
        token_lp = lp.gather(-1, tokens[:, None]).squeeze(-1)
        ended = torch.isin(tokens, eos_ids).tolist() if len(eos_ids) else None
        token_list, lp_list = tokens.tolist(), token_lp.tolist()
        done = _record(rows, token_list, lp_list, ended, stops, ids, lps, reasons)
        if on_step is not None:
            step_view = Step(rows, token_list, lp_list, lp, {rows[j]: reasons[rows[j]] for j in done})
            done |= _end_rows(rows, on_step(step_view) or {}, done, reasons)
        if step == max_new_tokens - 1:
            return
        if done:
            alive = [j for j in range(len(rows)) if j not in done]
            if not alive:
                return
            keep = torch.tensor(alive, device=tokens.device)
            dec.keep(keep)
            tokens = tokens[keep]
            rows = [rows[j] for j in alive]
        dec.step(tokens)


def _end_rows(rows: list[int], end: Mapping[int, str], done: set[int], reasons: list[str]) -> set[int]:
    """The batch rows an `on_step` callback ends (prompt index -> reason); rows already done keep theirs."""
    ended: set[int] = set()
    for j, r in enumerate(rows):
        if r in end and j not in done:
            if end[r] not in FINISH_REASONS:
                raise ValueError(f"on_step ended row {r} with {end[r]!r}; use one of {FINISH_REASONS}")
            reasons[r] = end[r]
            ended.add(j)
    return ended


def _record(rows, tokens, token_lps, ended, stops, ids, lps, reasons) -> set[int]:
    """Append the new tokens; return the batch rows that finished (eos before stop string)."""
    done: set[int] = set()
    for j, (r, tok, tlp) in enumerate(zip(rows, tokens, token_lps)):
        ids[r].append(tok)
        lps[r].append(tlp)
        if ended is not None and ended[j]:
            reasons[r] = "eos"
            done.add(j)
    live = [j for j in range(len(rows)) if j not in done]
    if stops and live:
        for j, hit in zip(live, stops.hits([ids[rows[j]] for j in live])):
            if hit:
                reasons[rows[j]] = "stop"
                done.add(j)
    return done
