"""The `algo` options of Skill-SD, OPD and OPSD (docs/algorithms.md §5): one config for the three
names, since they differ only in the teacher and the distillation term."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from siri.config import GeneratorSettings
from siri.train.methods.rl.config import GiGPOConfig


class DistillConfig(GiGPOConfig, GeneratorSettings):
    """Skill-SD and the baselines that share its machinery (docs/algorithms.md §5; `siri.train.methods.distill.method`).

    `L = L_GRPO + β·L_KL + λ_SD·L_SD`; the student always acts under the plain prompt. `teacher` picks
    the teacher: `skills` (the policy copy under a structured skill from the library: Skill-SD),
    `checkpoint` (a fixed model at `teacher_path`, plain prompt: OPD), `oracle_plan` (the policy copy
    with the oracle's solution plan in its prompt: OPSD); `auto` follows algo.name. `loss` swaps the
    importance-weighted reverse KL for a naive baseline. Options marked (ours) are not in the paper.
    """

    teacher: Literal["auto", "skills", "checkpoint", "oracle_plan"] = Field(
        "auto", description="auto: skill_sd -> skills, opd -> checkpoint, opsd -> oracle_plan")
    loss: Literal["skill_sd", "naive_k3_sd", "naive_sq_sd"] = Field(
        "skill_sd", description="distillation term (naive_*: the unweighted baselines of §5)")
    lambda_sd: float = Field(0.1, ge=0.0, description="λ_SD (ours: 0.1)")
    max_neg_ell: float = Field(20.0, gt=0.0, description="clamp −ℓ ≤ this")
    max_log_rho: float = Field(10.0, gt=0.0, description="clamp log ρ ≤ this")
    advantage: Literal["grpo", "gigpo"] = Field("grpo", description="the RL term the distillation is added to")
    teacher_sync_interval: int = Field(1, ge=1, description="iterations between teacher syncs (1: current weights)")
    teacher_path: str | None = Field(None, description="OPD teacher checkpoint (HF path or hub id)")
    mine_every: int = Field(2, ge=1, description="iterations between skill-generation rounds")
    mine_k: int = Field(6, ge=1, description="trajectories (successes and failures) per summarization")
    max_items: int = Field(3, ge=1, description="items per skill section")
    teacher_skill_form: Literal["structured", "patterns"] = Field(
        "structured", description="(ours) the teacher's prompt shows the arm's three sections, or only its "
        "success patterns as one-line skills (the form a policy trained on one-line hints reads)")
    max_skills_per_type: int | None = Field(None, ge=1, description="(ours) library bound per task type")
    gen_max_new_tokens: int = Field(160, ge=8)
    selection: Literal["ucb", "greedy"] = "ucb"
    ucb_c: float = Field(1.0, ge=0.0)
    arm_reward: Literal["advantage_agreement", "advantage_alignment", "group_success"] = Field(
        "advantage_agreement", description="(ours) bandit reward; see siri.train.methods.distill.skills")
    oracle: str | None = Field(None, description="OPSD oracle kind (None: the environment's default)")
    plan_max_actions: int = Field(50, ge=1, description="OPSD: longest plan shown to the teacher")
