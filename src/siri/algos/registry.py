"""Named loss terms and advantage estimators: the trainer stays algorithm-blind (docs/architecture.md).

The trainer receives a batch of per-token tensors (B, T) over response positions, computes the
current log-probs of the sampled tokens under each prompt *view* its active terms ask for, and sums
`coef · loss` over named terms. A new algorithm fills batch fields and picks terms; the trainer never
branches on the algorithm.

Views: `sampled` = the prompt the row was sampled with; `plain` = the same step re-scored under the
plain prompt (no skill block; SIRI's internalization, §4). Response tokens are identical in both
views (token-in, token-out), so every per-token tensor shares the (B, T) response layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, Sequence

import numpy as np
from torch import Tensor

from siri.algos.errors import AlgoError, check_choice

# Per-token batch fields, (B, T) over response positions.
RESPONSE_MASK = "response_mask"  # 1 on response tokens that count
ADVANTAGES = "advantages"  # policy-gradient advantage, broadcast to every token of the row
OLD_LOGPROBS = "old_logprobs"  # log-probs under the policy that sampled (π_old)
REF_LOGPROBS = "ref_logprobs"  # log-probs under the frozen reference (§3 KL)
TEACHER_LOGPROBS = "teacher_logprobs"  # log-probs under the skill-conditioned teacher (§5)
INT_WEIGHTS = "int_weights"  # SIRI internalization weights w (§4)

VIEWS = ("sampled", "plain")
ROW_FIELDS = ("group_id", "traj_id", "t", "reward", "valid", "anchor")

Metrics = dict[str, Tensor]


class LossFn(Protocol):
    """`fn(batch, logp, entropy, mask, **params) -> (scalar loss, metrics)`."""

    def __call__(
        self, batch: Mapping[str, Tensor], logp: Tensor, entropy: Tensor | None, mask: Tensor, **params: Any
    ) -> tuple[Tensor, Metrics]: ...


@dataclass(frozen=True)
class LossTerm:
    """A registered loss: its name, the batch fields it reads, its default coefficient, its view."""

    name: str
    fn: LossFn
    fields: tuple[str, ...]
    coef: float
    view: str = "sampled"
    needs_entropy: bool = False

    def __call__(
        self,
        batch: Mapping[str, Tensor],
        logp: Tensor,
        entropy: Tensor | None = None,
        mask_field: str = RESPONSE_MASK,
        **params: Any,
    ) -> tuple[Tensor, Metrics]:
        """Check the batch has every field this term needs, then compute (loss, metrics)."""
        missing = [f for f in (*self.fields, mask_field) if f not in batch]
        if missing:
            raise AlgoError(f"loss {self.name!r} needs batch fields {missing}; batch has {sorted(batch)}")
        if self.needs_entropy and entropy is None:
            raise AlgoError(f"loss {self.name!r} needs per-token entropies; none were given")
        return self.fn(batch, logp, entropy, batch[mask_field], **params)


_LOSSES: dict[str, LossTerm] = {}


def register_loss(
    name: str, *, fields: Sequence[str], coef: float, view: str = "sampled", needs_entropy: bool = False
) -> Callable[[LossFn], LossFn]:
    """Decorator: register `fn` as the loss term `name` (names are unique)."""
    check_choice("view", view, VIEWS)

    def decorate(fn: LossFn) -> LossFn:
        if name in _LOSSES:
            raise AlgoError(f"loss {name!r} is already registered")
        _LOSSES[name] = LossTerm(name, fn, tuple(fields), float(coef), view, needs_entropy)
        return fn

    return decorate


def loss_names() -> list[str]:
    return sorted(_LOSSES)


def get_loss(name: str) -> LossTerm:
    if name not in _LOSSES:
        raise AlgoError(f"unknown loss {name!r}; allowed: {', '.join(loss_names())}")
    return _LOSSES[name]


def sum_losses(
    coefs: Mapping[str, float | None],
    batch: Mapping[str, Tensor],
    logps: Mapping[str, Tensor],
    entropy: Tensor | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    mask_fields: Mapping[str, str] | None = None,
) -> tuple[Tensor, Metrics]:
    """`L = Σ_name coef_name · loss_name` (§4, §5 totals). A coef of None takes the term's default;
    terms with coef 0 are skipped. `logps` maps view -> current log-probs; `params` and `mask_fields`
    give per-term keyword options and mask fields. Metrics are keyed `<term>/<metric>`."""
    total: Tensor | None = None
    metrics: Metrics = {}
    for name, coef in coefs.items():
        term = get_loss(name)
        c = term.coef if coef is None else float(coef)
        if c == 0.0:
            continue
        if term.view not in logps:
            raise AlgoError(f"loss {name!r} needs log-probs under the {term.view!r} view; given: {sorted(logps)}")
        loss, m = term(batch, logps[term.view], entropy, (mask_fields or {}).get(name, RESPONSE_MASK),
                       **(params or {}).get(name, {}))
        total = c * loss if total is None else total + c * loss
        metrics[f"{name}/loss"] = loss.detach()
        metrics.update({f"{name}/{k}": v for k, v in m.items()})
    if total is None:
        raise AlgoError(f"no loss term with a non-zero coefficient among {list(coefs)}")
    return total, metrics


@dataclass(frozen=True)
class AdvantageOutput:
    """One advantage per step row, plus scalar diagnostics (e.g. mean step-group size)."""

    advantages: np.ndarray
    metrics: dict[str, float]


AdvantageFn = Callable[..., AdvantageOutput]  # fn(rows: Mapping[str, Sequence], **options)
_ADVANTAGES: dict[str, AdvantageFn] = {}


def register_advantage(name: str) -> Callable[[AdvantageFn], AdvantageFn]:
    """Decorator: register an estimator `fn(rows, **options) -> AdvantageOutput`; rows hold ROW_FIELDS."""

    def decorate(fn: AdvantageFn) -> AdvantageFn:
        if name in _ADVANTAGES:
            raise AlgoError(f"advantage estimator {name!r} is already registered")
        _ADVANTAGES[name] = fn
        return fn

    return decorate


def advantage_names() -> list[str]:
    return sorted(_ADVANTAGES)


def get_advantage(name: str) -> AdvantageFn:
    if name not in _ADVANTAGES:
        raise AlgoError(f"unknown advantage estimator {name!r}; allowed: {', '.join(advantage_names())}")
    return _ADVANTAGES[name]


def check_rows(rows: Mapping[str, Sequence[Any]], needed: Sequence[str] = ROW_FIELDS) -> None:
    """Every step-row field an estimator reads must be present."""
    missing = [f for f in needed if f not in rows]
    if missing:
        raise AlgoError(f"step rows lack fields {missing}; have {sorted(rows)}")
