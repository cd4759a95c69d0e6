"""SIRI (docs/algorithms.md §4): GiGPO warm-up, self-skill mining with paired validation, and
advantage-weighted internalization into the plain policy.

Each iteration: the phase machine picks the phase; in Phases 1–2 every group whose task type has a
skill to test is split into a plain arm and a skill arm (same start state); after the rollout the
groups' Δ_g update the skills' utilities, successful plain trajectories refill the success buffer,
every I_mine iterations a frozen snapshot of the policy (or the configured generator) mines new
candidate skills, and the method fills GiGPO's fields plus, in Phase 2, the internalization weights
of the skill arm's action tokens, scored by the trainer under the plain prompt.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import torch

from siri.agent import EpisodeRecord
from siri.algos.losses import internalization_weights
from siri.algos.registry import INT_WEIGHTS
from siri.rollout.engine import Variant, VariantFn
from siri.rollout.types import RolloutBatch
from siri.train.methods.base import Method, MethodContext, Prepared
from siri.train.methods.rl.method import Advantages, rl_plan, rl_rows
from siri.train.methods.siri.mining import Miner
from siri.skills.validation import split_arms, treatment_effect
from siri.train.methods.siri.phases import PhaseState, SuccessBuffer, advance_phase, lambda_at

RL_MASK = "rl_mask"
INT_MASK = "int_mask"
SKILL_ID = "skill_id"  # the trajectory's meta key: the skill its prompt carried (skill arm), if any


class SiriMethod(Method):
    def __init__(self, cfg: Any):
        super().__init__(cfg)
        self.s = cfg.algo
        self.gigpo = Advantages(cfg.algo, "gigpo")
        self.phase = PhaseState()
        self.buffer = SuccessBuffer(self.s.buffer_per_type)
        self.miner = Miner(cfg)
        self.bank = self.miner.bank
        self._group_skill: dict[int, str | None] = {}

    # --- rollout side -----------------------------------------------------------------------
    def begin_iteration(self, iteration: int, seeds: Sequence[int]) -> VariantFn:
        """Advance the phase machine; return the variant of each trajectory: plain, or the group's
        selected skill for the skill arm (Phases 1–2)."""
        self.phase = advance_phase(self.phase, iteration, len(self.buffer), self.bank_has_internalizable(), self.s)
        self._group_skill = {}
        rng = np.random.default_rng([self.cfg.run.seed, iteration, 17])
        n = self.cfg.train.group_size
        skill_arm = set(split_arms(n)[1]) if n >= 2 else set()

        def variant(g: int, i: int, task_type: str) -> Variant:
            if self.phase.phase == 0 or i not in skill_arm:
                return Variant()
            if g not in self._group_skill:
                skill = self._select(task_type, rng)
                self._group_skill[g] = skill.id if skill is not None else None
            skill_id = self._group_skill[g]
            if skill_id is None:
                return Variant()
            return Variant(skills=(self.bank.get(skill_id).text,), views={"plain": None}, meta={SKILL_ID: skill_id})

        return variant

    def _select(self, task_type: str, rng: np.random.Generator):
        """The group's skill (docs/algorithms.md §4 "Retrieval"): from the active skills with probability
        `active_share` when the task type has both kinds, else from the candidates (untried first), so
        validating new candidates does not crowd out the active skills the internalization trains on."""
        states = {s.state for s in self.bank.live(task_type)}
        state = None
        if states == {"active", "candidate"}:
            state = "active" if rng.random() < self.s.active_share else "candidate"
        return self.bank.select(task_type, rng, mode=self.s.selection, c=self.s.ucb_c, state=state)

    def bank_has_internalizable(self) -> bool:
        return any(self.bank.internalizable(sk.id) for sk in self.bank.skills())

    # --- learner side -----------------------------------------------------------------------
    def prepare(self, batch: RolloutBatch, ctx: MethodContext) -> Prepared:
        it = ctx.iteration
        metrics: dict[str, Any] = {"phase": self.phase.name}
        full = ctx.all_rollouts(batch)  # several processes: rank 0 decides from every rank's groups
        if full is not None:
            metrics.update(self._validate(full, it))
            self._fill_buffer(full)
            if self.phase.phase >= 1 and (it - (self.phase.phase1_start or 0)) % self.s.mine_every == 0:
                metrics.update(self.miner.mine(self.buffer, ctx, it))
        ctx.world.share_state(self)  # the other ranks take rank 0's phase, buffer and bank
        adv, adv_metrics = self.gigpo(batch)
        metrics.update(adv_metrics)
        rows = rl_rows(batch, adv, ctx.ref_logprobs)
        lam = lambda_at(it, self.phase.phase2_start, self.s.lambda_max, self.s.k_ramp)
        n_int = self._add_masks(batch, rows, adv, fill_int=self.phase.phase == 2)
        plan = rl_plan(self.cfg)
        plan.mask_fields.update({"pg": RL_MASK, "kl": RL_MASK, "entropy": RL_MASK})
        if self.phase.phase == 2 and lam > 0 and n_int > 0:
            plan.coefs["internalization"] = lam
            plan.mask_fields["internalization"] = INT_MASK
        metrics.update({"int/lambda": lam, "int/tokens": float(n_int), "buffer/successes": float(len(self.buffer))})
        metrics.update({f"bank/{k}": float(v) for k, v in self.bank.counts().items()})
        metrics["bank/dropped_over_cap"] = float(self.bank.n_over_cap)
        return Prepared(rows, plan, metrics)

    def end_iteration(self, ctx: MethodContext) -> None:
        if ctx.run_dir is not None:
            self.bank.save(ctx.run_dir / "skills.jsonl")

    def status(self, row: Mapping[str, Any]) -> list[str]:
        keys = (("bank/size", "bank"), ("bank/active", "active"), ("update/internalization/loss", "L_int"))
        return [f"{label} {row[key]:.3g}" for key, label in keys if key in row]

    def _validate(self, batch: RolloutBatch, it: int) -> dict[str, float]:
        """Paired validation: Δ_g per split group updates U(z) and n(z); the bank rules then promote or
        retire each evaluated skill once, on all of this iteration's evaluations."""
        arms: dict[int, dict[str, list]] = {}
        for tr in batch.trajectories:
            arms.setdefault(tr.group_id, {"plain": [], "skill": [], "skill_id": []})
            key = "skill" if tr.meta.get(SKILL_ID) is not None else "plain"
            arms[tr.group_id][key].append(tr)
        deltas, skill_wins, plain_wins, evaluated = [], [], [], []
        for g, a in sorted(arms.items()):
            if not a["skill"] or not a["plain"]:
                continue
            skill_id = a["skill"][0].meta[SKILL_ID]
            sk_r = [t.total_reward for t in a["skill"]]
            pl_r = [t.total_reward for t in a["plain"]]
            delta, skill_mean, plain_mean = treatment_effect(sk_r, pl_r)
            self.bank.record_evaluation(skill_id, delta, it, g, skill_mean, plain_mean, apply_rules=False)
            evaluated.append(skill_id)
            deltas.append(delta)
            skill_wins += [t.won for t in a["skill"]]
            plain_wins += [t.won for t in a["plain"]]
        for skill_id in dict.fromkeys(evaluated):  # rules once per iteration, after all its groups
            self.bank.apply_rules(skill_id, it)
        if not deltas:
            return {"paired/groups": 0.0}
        return {"paired/groups": float(len(deltas)), "paired/delta_mean": float(np.mean(deltas)),
                "paired/skill_arm_success": float(np.mean(skill_wins)),
                "paired/plain_arm_success": float(np.mean(plain_wins))}

    def _fill_buffer(self, batch: RolloutBatch) -> None:
        for tr in batch.trajectories:
            if tr.won and tr.meta.get(SKILL_ID) is None:
                self.buffer.add(tr.task_type, EpisodeRecord.from_steps(tr.task, tr.steps, True))

    def _add_masks(self, batch: RolloutBatch, rows, adv: np.ndarray, fill_int: bool) -> int:
        """rl_mask on every row (skill-arm rows dropped from RL if configured) and, in Phase 2, the
        gated internalization weights on every row (zero off the skill arm's action tokens)."""
        n_int = 0
        for i, (step, row) in enumerate(zip(batch.rows, rows)):
            n = len(step.response_ids)
            skill_id = step.meta.get(SKILL_ID)
            in_rl = skill_id is None or self.s.train_skill_arm
            row.fields[RL_MASK] = [1.0 if in_rl else 0.0] * n
            if not fill_int:
                continue
            if skill_id is None:
                row.fields[INT_WEIGHTS] = row.fields[INT_MASK] = [0.0] * n
                continue
            tokens = torch.zeros(1, n)
            if self.s.int_tokens == "all":
                tokens[:] = 1
            elif step.action_span is not None:
                tokens[0, step.action_span[0]:step.action_span[1]] = 1
            w = internalization_weights(
                torch.tensor([adv[i]], dtype=torch.float32), torch.tensor([True]),
                torch.tensor([self.bank.internalizable(skill_id)]), tokens,
                cap=self.s.int_cap, weighting=self.s.int_weighting,
            )[0]
            row.fields[INT_WEIGHTS] = w.tolist()
            row.fields[INT_MASK] = (w > 0).float().tolist()
            n_int += int((w > 0).sum())
        return n_int

    # --- checkpoints ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"phase": vars(self.phase), "buffer": self.buffer.state_dict(), "bank": self.bank.state_dict(),
                "gen_calls": self.miner.generator.calls}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not state:
            return
        self.phase = PhaseState(**state["phase"])
        self.buffer.load_state_dict(state["buffer"])
        self.miner.load_bank_state(state["bank"])
        self.miner.generator.calls = int(state.get("gen_calls", 0))
        self.bank = self.miner.bank


__all__ = ["SiriMethod", "RL_MASK", "INT_MASK", "SKILL_ID"]
