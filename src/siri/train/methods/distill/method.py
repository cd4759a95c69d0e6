"""Skill-SD and the baselines that share its machinery (docs/algorithms.md §5), one method module.

`L = L_GRPO + β·L_KL + λ_SD·L_SD` (§3, §5). The student always acts under the plain prompt; a teacher
scores the student's sampled tokens (token-in, token-out) and the distillation term pulls the student
toward it. What varies is only *who the teacher is* and *which distillation term* is used:

| algo.name  | teacher (`algo.teacher`)                                       | teacher prompt        |
|------------|----------------------------------------------------------------|-----------------------|
| `skill_sd` | `skills`: the policy copy π_θ̄ (synced every k iterations)      | plain ⊕ library skill |
| `opd`      | `checkpoint`: a fixed model at `algo.teacher_path`             | plain                 |
| `opsd`     | `oracle_plan`: the policy copy π_θ̄                             | plain ⊕ oracle plan   |

`algo.loss` picks the term: `skill_sd` (importance-weighted reverse KL), or the naive baselines
`naive_k3_sd` / `naive_sq_sd`. GRPO alone is `algo.name=grpo`. The presets in configs/ are these
settings and nothing else.

Only rows with a teacher context are distilled (`sd_mask`): with `skills`, a group whose task type
has no skill yet (e.g. iteration 0) is trained by GRPO alone; with `oracle_plan`, a task the oracle
does not solve. The SD term is a token-mean over the taught tokens of the mini-batch.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from siri.algos.registry import TEACHER_LOGPROBS
from siri.rollout.engine import Variant, VariantFn
from siri.rollout.types import RolloutBatch
from siri.train.methods.base import Method, MethodContext, Prepared, scoring_temperature
from siri.train.methods.distill.oracle import PlanSource
from siri.train.methods.distill.skills import SkillSource
from siri.train.methods.distill.teacher import TEACHER, CheckpointTeacher, PolicyTeacher, teacher_logprobs
from siri.train.methods.rl.method import Advantages, rl_plan, rl_rows
from siri.train.update import LossPlan
from siri.utils.errors import UserError

SD_MASK = "sd_mask"
TEACHERS = {"skill_sd": "skills", "opd": "checkpoint", "opsd": "oracle_plan"}


def teacher_source(algo_name: str, teacher: str) -> str:
    """The teacher an algorithm name and `algo.teacher` give; opd / opsd fix theirs."""
    implied = TEACHERS[algo_name]
    if teacher == "auto":
        return implied
    if algo_name != "skill_sd" and teacher != implied:
        raise UserError(f"algo.name={algo_name} uses algo.teacher={implied}, got algo.teacher={teacher}; "
                        f"use algo.name=skill_sd to choose the teacher freely")
    return teacher


def distill_plan(cfg: Any) -> LossPlan:
    """GRPO's plan (pg, kl, entropy) plus the distillation term on the taught tokens."""
    s = cfg.algo
    plan = rl_plan(cfg)
    plan.coefs[s.loss] = s.lambda_sd
    plan.mask_fields[s.loss] = SD_MASK
    if s.loss == "skill_sd":
        plan.params[s.loss] = {"max_neg_ell": s.max_neg_ell, "max_log_rho": s.max_log_rho}
    return plan


class DistillMethod(Method):
    """Skill-SD / OPD / OPSD: see the module docstring."""

    def __init__(self, cfg: Any):
        super().__init__(cfg)
        self.s = cfg.algo
        self.source = teacher_source(self.name, self.s.teacher)
        self.advantages = Advantages(cfg.algo, self.s.advantage)
        self.skills = SkillSource(cfg) if self.source == "skills" else None
        self.plans = (PlanSource(cfg.env.name, dict(cfg.env.options), cfg.env.max_steps, self.s.oracle,
                                 self.s.plan_max_actions) if self.source == "oracle_plan" else None)
        self.teacher: Any = (CheckpointTeacher(self.s.teacher_path, cfg.model.dtype) if self.source == "checkpoint"
                             else PolicyTeacher(self.s.teacher_sync_interval))
        self.group_seed: dict[int, int] = {}

    # --- rollout side -----------------------------------------------------------------------
    def begin_iteration(self, iteration: int, seeds: Sequence[int]) -> VariantFn | None:
        """The teacher's context per trajectory (the acting prompt stays plain); None for OPD."""
        if self.skills is not None:
            return self.skills.variant_fn(iteration)
        if self.plans is None:
            return None
        self.group_seed = dict(enumerate(int(s) for s in seeds))
        texts = {g: self.plans.text(seed) for g, seed in self.group_seed.items()}

        def variant(g: int, i: int, task_type: str) -> Variant:
            text = texts.get(g)
            return Variant(views={TEACHER: (text,)}) if text else Variant()

        return variant

    # --- learner side -----------------------------------------------------------------------
    def prepare(self, batch: RolloutBatch, ctx: MethodContext) -> Prepared:
        self._check_seeds(batch)
        adv, metrics = self.advantages(batch)
        metrics["phase"] = self.name
        rows = rl_rows(batch, adv, ctx.ref_logprobs)
        t0 = time.perf_counter()
        teacher = self._teacher_logprobs(batch, ctx)
        for i, row in enumerate(rows):
            n = len(row.response_ids)
            row.fields[SD_MASK] = [1.0 if i in teacher else 0.0] * n
            row.fields[TEACHER_LOGPROBS] = teacher[i] if i in teacher else [0.0] * n
        metrics.update(self._teacher_metrics(batch, teacher))
        metrics["time/teacher"] = time.perf_counter() - t0
        if self.skills is not None:
            metrics.update(self._skill_round(batch, adv, teacher, ctx))
        return Prepared(rows, distill_plan(self.cfg), metrics)

    def _taught(self, batch: RolloutBatch) -> dict[int, list[int]]:
        """Row index -> the teacher's prompt ids, for every row that has a teacher."""
        if self.source == "checkpoint":
            return {i: r.prompt_ids for i, r in enumerate(batch.rows)}
        return {i: r.prompts[TEACHER] for i, r in enumerate(batch.rows) if TEACHER in r.prompts}

    def _teacher_logprobs(self, batch: RolloutBatch, ctx: MethodContext) -> dict[int, list[float]]:
        # The teacher is fetched every iteration, taught rows or not, so syncs keep their schedule.
        if isinstance(self.teacher, CheckpointTeacher):
            model = self.teacher.model(ctx.iteration, ctx.model, ctx.tokenizer)
        else:
            model = self.teacher.model(ctx.iteration, ctx.model)
        taught = self._taught(batch)
        if not taught:
            return {}
        idx = sorted(taught)
        lps = teacher_logprobs(model, [taught[i] for i in idx], [batch.rows[i].response_ids for i in idx],
                               scoring_temperature(self.cfg), self.cfg.train.micro_batch_rows,
                               self.cfg.train.share_prefixes)
        return dict(zip(idx, lps))

    @staticmethod
    def _teacher_metrics(batch: RolloutBatch, teacher: dict[int, list[float]]) -> dict[str, float]:
        """How many rows are taught, and mean(logπ_old − logπ_T) over their tokens: a sampled estimate
        of KL(π_old ‖ π_T) before the update (≥ 0 in expectation)."""
        gaps = [b - t for i, lp in teacher.items() for b, t in zip(batch.rows[i].behavior_logprobs, lp)]
        out = {"sd/taught_rows": float(len(teacher)),
               "sd/taught_fraction": len(teacher) / max(len(batch.rows), 1)}
        if gaps:
            out["sd/old_teacher_gap"] = float(np.mean(gaps))
        return out

    def _skill_round(self, batch: RolloutBatch, adv: np.ndarray, teacher: dict[int, list[float]],
                     ctx: MethodContext) -> dict[str, float]:
        """Bandit rewards for this rollout's arms, a generation round when due, the library file."""
        assert self.skills is not None
        pulls = ctx.world.gather(self.skills.arm_rewards(batch, adv, teacher))  # each rank scores its groups
        full = ctx.all_rollouts(batch)
        out: dict[str, float] = {}
        if pulls is not None and full is not None:  # rank 0 (or the one process) updates the library
            out = self.skills.apply_rewards(sorted(p for part in pulls for p in part), ctx.iteration)
            if self.skills.due(ctx.iteration):
                t0 = time.perf_counter()
                out.update(self.skills.mine(full, ctx.model, ctx.tokenizer, ctx.iteration))
                out["time/mining"] = time.perf_counter() - t0
                out.update({f"library/{k}": float(v) for k, v in self.skills.library.counts().items()})
        ctx.world.share_state(self.skills)
        return out

    def end_iteration(self, ctx: MethodContext) -> None:
        if self.skills is not None and ctx.run_dir is not None:
            self.skills.library.save(ctx.run_dir / "skills.jsonl")

    def _check_seeds(self, batch: RolloutBatch) -> None:
        """OPSD's plans were drawn for the loop's seeds; a mismatch would give a group the wrong plan."""
        for tr in batch.trajectories:
            if self.group_seed and self.group_seed.get(tr.group_id) != tr.seed:
                raise RuntimeError(f"group {tr.group_id} ran seed {tr.seed} but its oracle plan is for seed "
                                   f"{self.group_seed.get(tr.group_id)}: the loop's seeds changed")

    # --- checkpoints ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"teacher": self.teacher.state_dict()}
        if self.skills is not None:
            state["skills"] = self.skills.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.skills is not None and state.get("skills"):
            self.skills.load_state_dict(state["skills"])


__all__ = ["DistillMethod", "SD_MASK", "TEACHER", "TEACHERS", "distill_plan", "teacher_source"]
