"""Per-token losses on (B, T) tensors over response positions (docs/algorithms.md §3, §4, §5).

Pure functions of tensors: no model, no optimizer. Every `mask` is 1 on the response tokens that count
and 0 elsewhere (padding, prompt). Reductions are the token-mean over the mini-batch:
Σ(loss·mask) / max(Σ mask, 1), or / `denom` when the caller passes the mini-batch token count
(so that gradient accumulation over micro-batches still gives the mini-batch token-mean).
Metrics are detached 0-dim tensors, so a trainer can average them without a device sync per call.
"""

from __future__ import annotations

import torch
from torch import Tensor

from siri.algos.errors import AlgoError

Metrics = dict[str, Tensor]


def token_mean(values: Tensor, mask: Tensor, denom: float | Tensor | None = None) -> Tensor:
    """Σ(values·mask) / max(Σ mask, 1), or / `denom` if given (the mini-batch token count)."""
    mask = mask.to(values.dtype)
    total = (values * mask).sum()
    if denom is None:
        denom = mask.sum().clamp_min(1.0)
    return total / denom


def ppo_clip_loss(
    logp: Tensor,
    old_logp: Tensor,
    adv: Tensor,
    mask: Tensor,
    clip_low: float = 0.2,
    clip_high: float = 0.2,
    dual_clip: float | None = 3.0,
    denom: float | Tensor | None = None,
) -> tuple[Tensor, Metrics]:
    """PPO-clip with dual clip (§3), token-mean over the mini-batch.

    ρ = exp(logπ_θ − logπ_old) (log-ratio clamped to [−20, 20] before exp, as verl does, to avoid inf).
    Per token: `l = max(−ρA, −clip(ρ, 1−ε_low, 1+ε_high)·A)`, i.e. `−min(ρA, clip(ρ)·A)`.
    Dual clip (Ye et al. 2020, verl's `clip_ratio_c`): for A < 0 the loss is also capped at −c·A,
    `l = min(l, −c·A)`, so a huge ratio on a bad token cannot blow the update up. c must be > 1;
    `None` disables it.
    Metrics use the same denominator as the loss, so with `denom` (micro-batches of one mini-batch)
    they are partial sums that add up to the mini-batch's token means.
    Metrics: `clip_frac` (tokens where the clipped term is taken), `dual_clip_frac` (A < 0 tokens where
    the cap binds), `approx_kl` (token-mean of logπ_old − logπ_θ, verl's `ppo_kl`), `ratio_mean`.
    """
    if dual_clip is not None and dual_clip <= 1.0:
        raise AlgoError(f"dual_clip must be > 1 (or None to disable); got {dual_clip!r}")
    log_ratio = (logp - old_logp.detach()).clamp(-20.0, 20.0)
    ratio = torch.exp(log_ratio)
    unclipped = -adv * ratio
    clipped = -adv * ratio.clamp(1.0 - clip_low, 1.0 + clip_high)
    per_token = torch.maximum(unclipped, clipped)
    dual_hit = torch.zeros_like(per_token, dtype=torch.bool)
    if dual_clip is not None:
        cap = -adv * dual_clip
        dual_hit = (adv < 0) & (per_token > cap)
        per_token = torch.where(adv < 0, torch.minimum(per_token, cap), per_token)
    loss = token_mean(per_token, mask, denom)
    with torch.no_grad():
        metrics = {
            "clip_frac": token_mean((clipped > unclipped).to(ratio.dtype), mask, denom),
            "dual_clip_frac": token_mean(dual_hit.to(ratio.dtype), mask, denom),
            "approx_kl": token_mean(-log_ratio, mask, denom),
            "ratio_mean": token_mean(ratio, mask, denom),
        }
    return loss, metrics


def kl_k3(logp: Tensor, ref_logp: Tensor) -> Tensor:
    """Per-token k3 ("low_var_kl") estimate of KL(π_θ ‖ π_ref) (§3), clamped as verl's `low_var_kl`.

    Δ = logπ_ref − logπ_θ clamped to [−20, 20]; k3 = e^Δ − Δ − 1 ≥ 0, then clamped to [−10, 10] (in
    effect to ≤ 10, since k3 ≥ 0). The gradient wrt logπ_θ is 1 − e^Δ where k3 ≤ 10 and 0 where either
    clamp binds, so one rare token adds at most 10 to the KL and nothing to its gradient. k3 reaches 10
    at Δ ≈ 2.61 and Δ ≈ −11.0, inside [−20, 20]: the Δ clamp only keeps e^Δ finite (an inf there would
    turn the zero gradient of the k3 clamp into NaN).
    """
    delta = (ref_logp - logp).clamp(-20.0, 20.0)
    return (torch.exp(delta) - delta - 1.0).clamp(-10.0, 10.0)


def kl_loss(logp: Tensor, ref_logp: Tensor, mask: Tensor, denom: float | Tensor | None = None) -> Tensor:
    """Token-mean of k3 against a frozen reference (§3); the caller multiplies by β."""
    return token_mean(kl_k3(logp, ref_logp.detach()), mask, denom)


def entropy_bonus(entropy: Tensor, mask: Tensor, denom: float | Tensor | None = None) -> Tensor:
    """Token-mean entropy of the policy on response tokens (§3). The loss term *subtracts* it."""
    return token_mean(entropy, mask, denom)


def internalization_weights(
    adv_row: Tensor,
    skill_injected: Tensor,
    skill_active_positive: Tensor,
    token_mask: Tensor,
    cap: float = 1.0,
    weighting: bool = True,
) -> Tensor:
    """SIRI Phase 2 per-token weights (§4): `w = clip(A_row, 0, c)` on tokens passing all three gates.

    Gates: (1) `skill_injected` (B,): a skill was injected in the row's trajectory; (2)
    `skill_active_positive` (B,): that skill is active with U(z) > 0; (3) `token_mask` (B, T): the token
    is an action token (or any response token, the ablation). `weighting=False` is the "no advantage
    weighting" ablation: w = 1 on every token that passes the gates. `cap` is c (1 by default, ours).
    """
    if cap <= 0:
        raise AlgoError(f"internalization cap must be > 0; got {cap!r}")
    adv = adv_row.detach() if adv_row.is_floating_point() else adv_row.detach().float()
    row_gate = (skill_injected.bool() & skill_active_positive.bool()).unsqueeze(-1)
    gate = (row_gate & token_mask.bool()).to(adv.dtype)
    return gate if not weighting else adv.clamp(0.0, cap).unsqueeze(-1) * gate


def internalization_loss(
    logp_plain: Tensor, weights: Tensor, mask: Tensor, denom: float | Tensor | None = None
) -> Tensor:
    """`L_int = −Σ w·logπ_θ(y_j | x_plain, y_<j) / max(#tokens with w > 0, 1)` (§4, Phase 2).

    `logp_plain` are the log-probs of the sampled tokens re-scored under the **plain** prompt.
    The denominator counts only tokens with w > 0 (inside `mask`), not all response tokens.
    """
    w = weights.detach() * mask.to(weights.dtype)
    if denom is None:
        denom = (w > 0).sum().clamp_min(1)
    return -(w * logp_plain).sum() / denom


def skill_sd_loss(
    logp: Tensor,
    old_logp: Tensor,
    teacher_logp: Tensor,
    mask: Tensor,
    max_neg_ell: float = 20.0,
    max_log_rho: float = 10.0,
    denom: float | Tensor | None = None,
) -> tuple[Tensor, Metrics]:
    """Skill-SD importance-weighted reverse KL (§5): `L = mean_k ρ_k·(e^{−ℓ_k} − 1 + ℓ_k)`.

    ℓ_k = logπ_θ(y_k|x) − sg[logπ_T(y_k)], clamped so that −ℓ ≤ `max_neg_ell` (e^{−ℓ} stays finite);
    ρ_k = exp(min(logπ_θ − sg[logπ_old], `max_log_rho`)), with the gradient flowing through ρ.
    d/dlogπ_θ [ρ(e^{−ℓ} − 1 + ℓ)] = ρ(e^{−ℓ} − 1 + ℓ) + ρ(1 − e^{−ℓ}) = ρ·ℓ: exactly the
    importance-sampled gradient of KL(π_θ ‖ π_T), wherever neither clamp binds.

    Where the ρ clamp binds, ρ is a constant and the gradient is ρ·(1 − e^{−ℓ}), which has the sign of ℓ.
    Where the ℓ clamp binds (ℓ < −`max_neg_ell`), ρ is detached as well, so the token gives no gradient:
    torch.clamp cuts only the ℓ factor, and the ρ factor alone would give ρ·(e^{20} − 21) > 0, about
    5e8·ρ with the sign opposite to ρ·ℓ < 0. Zero is the same rule as every other clamp of this file
    (PPO's clip, k3's): an outlier token keeps its value in the loss and metrics and stops steering the
    update. The other options are worse: dropping the token changes the reported loss and its
    denominator, and a straight-through ρ·ℓ_clamped is the gradient of no value we report. Such a token
    has π_θ(y) < e^{−20} (π_T ≤ 1), so it is one π_old sampled at that odds or one π_θ has since moved
    far from, where ρ is tiny anyway.
    """
    raw_ell = logp - teacher_logp.detach()
    ell_clamped = raw_ell < -max_neg_ell
    ell = raw_ell.clamp(min=-max_neg_ell)
    rho = torch.exp((logp - old_logp.detach()).clamp(max=max_log_rho))
    rho = torch.where(ell_clamped, rho.detach(), rho)
    per_token = rho * (torch.exp(-ell) - 1.0 + ell)
    loss = token_mean(per_token, mask, denom)
    with torch.no_grad():
        metrics = {
            "ell_mean": token_mean(ell, mask, denom),
            "rho_mean": token_mean(rho, mask, denom),
            "reverse_kl_k3": token_mean(torch.exp(-ell) - 1.0 + ell, mask, denom),
        }
    return loss, metrics


def naive_k3_sd_loss(
    logp: Tensor, teacher_logp: Tensor, mask: Tensor, denom: float | Tensor | None = None
) -> Tensor:
    """Naive distillation baseline (§5): unweighted k3 with Δ = logπ_T − logπ_θ = −ℓ.

    Per token k3 = e^{−ℓ} + ℓ − 1 (with `kl_k3`'s clamps): the same value as L_SD's without ρ while
    k3 ≤ 10, but then its gradient wrt logπ_θ is 1 − e^{−ℓ} instead of ℓ, which is not the gradient of
    KL(π_θ ‖ π_T). One of the
    variants the Skill-SD paper reports to collapse; kept as a baseline.
    """
    return token_mean(kl_k3(logp, teacher_logp.detach()), mask, denom)


def naive_sq_sd_loss(
    logp: Tensor, teacher_logp: Tensor, mask: Tensor, denom: float | Tensor | None = None
) -> Tensor:
    """Naive distillation baseline (§5): ½ℓ² per token, gradient ℓ·∇logπ_θ with no importance weight.

    Matches L_SD's gradient only while ρ = 1 (the first, on-policy mini-batch); reported to collapse.
    """
    ell = logp - teacher_logp.detach()
    return token_mean(0.5 * ell * ell, mask, denom)
