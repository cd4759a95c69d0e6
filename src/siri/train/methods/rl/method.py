"""GRPO (§1) and GiGPO (§2): advantages per step row, broadcast to every response token; PPO-clip,
k3 KL to the reference and the entropy bonus (§3)."""

from __future__ import annotations

from typing import Any

import numpy as np

from siri.algos import get_advantage
from siri.algos.registry import ADVANTAGES, OLD_LOGPROBS, REF_LOGPROBS
from siri.rollout.types import RolloutBatch
from siri.train.batch import TrainRow
from siri.train.methods.base import Method, MethodContext, Prepared
from siri.train.update import LossPlan


def row_arrays(batch: RolloutBatch) -> dict[str, list]:
    """The step-row fields an advantage estimator reads (docs/algorithms.md §0)."""
    rows = batch.rows
    return {
        "group_id": [r.group_id for r in rows],
        "traj_id": [r.traj_id for r in rows],
        "t": [r.t for r in rows],
        "reward": [r.reward for r in rows],
        "valid": [r.valid for r in rows],
        "anchor": [r.anchor for r in rows],
    }


def estimator_options(a: Any, estimator: str) -> dict[str, Any]:
    """The keyword options of estimator `estimator` from an `algo` section (GRPOConfig or a subclass)."""
    if estimator == "grpo":
        return {"mode": a.mode}
    return {
        "mode": a.mode, "omega": a.omega, "gamma": a.gamma, "invalid_penalty": a.invalid_penalty,
        "episode_stats": a.episode_stats, "grouping": a.grouping,
        "similarity_threshold": a.similarity_threshold,
    }


def rl_plan(cfg: Any) -> LossPlan:
    t = cfg.train
    return LossPlan(
        coefs={"pg": 1.0, "kl": t.kl_coef, "entropy": t.entropy_coef},
        params={"pg": {"clip_low": t.clip_low, "clip_high": t.clip_high, "dual_clip": t.dual_clip}},
    )


def rl_rows(batch: RolloutBatch, advantages: np.ndarray, ref_logprobs) -> list[TrainRow]:
    """One TrainRow per step row, with every prompt view the rollout recorded."""
    out = []
    for i, r in enumerate(batch.rows):
        n = len(r.response_ids)
        fields = {ADVANTAGES: [float(advantages[i])] * n, OLD_LOGPROBS: list(r.behavior_logprobs)}
        if ref_logprobs is not None:
            fields[REF_LOGPROBS] = list(ref_logprobs[i])
        out.append(TrainRow(prompts=dict(r.prompts), response_ids=list(r.response_ids), fields=fields))
    return out


class Advantages:
    """An advantage estimator (`grpo` or `gigpo`) with its options from the `algo` section; SIRI and
    Skill-SD use it too."""

    def __init__(self, algo: Any, estimator: str):
        self.algo, self.name = algo, estimator
        self.estimator = get_advantage(estimator)

    def __call__(self, batch: RolloutBatch) -> tuple[np.ndarray, dict[str, float]]:
        out = self.estimator(row_arrays(batch), **estimator_options(self.algo, self.name))
        return np.asarray(out.advantages, dtype=np.float64), dict(out.metrics)


class AdvantageMethod(Method):
    """GRPO or GiGPO: the estimator named by `algo.name` fills the advantages."""

    def __init__(self, cfg: Any):
        super().__init__(cfg)
        self.advantages = Advantages(cfg.algo, self.name)

    def prepare(self, batch: RolloutBatch, ctx: MethodContext) -> Prepared:
        adv, metrics = self.advantages(batch)
        metrics["adv_mean"] = float(adv.mean()) if len(adv) else 0.0
        metrics["adv_abs_mean"] = float(np.abs(adv).mean()) if len(adv) else 0.0
        return Prepared(rl_rows(batch, adv, ctx.ref_logprobs), rl_plan(self.cfg), metrics)
