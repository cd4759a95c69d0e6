"""SIRI's `algo` options (docs/algorithms.md §4): GiGPO's, the skill generator's, and its phases'."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from siri.config import GeneratorSettings
from siri.train.methods.rl.config import GiGPOConfig


class SiriConfig(GiGPOConfig, GeneratorSettings):
    """SIRI's three phases (docs/algorithms.md §4). Options marked (ours) are choices the paper leaves open."""

    warmup: bool = Field(True, description="Phase 0 GiGPO warm-up (False: the no-warm-up ablation)")
    n_req: int = Field(32, ge=1, description="successes in the buffer that end Phase 0")
    min_warmup_iters: int = Field(1, ge=0)
    max_warmup_iters: int = Field(20, ge=0)
    buffer_per_type: int = Field(64, ge=1, description="success buffer bound per task type")
    mine_every: int = Field(2, ge=1, description="I_mine: iterations between mining rounds")
    mine_k: int = Field(4, ge=1, description="successful trajectories shown per summarization")
    max_skills: int = Field(3, ge=1, description="skills asked for per summarization")
    validation: bool = Field(True, description="paired validation (False: every mined skill is used)")
    n_eval: int = Field(3, ge=1, description="N_eval: evaluations before promotion/retirement")
    max_live_per_type: int | None = Field(
        None, ge=1, description="(ours) cap on candidate + active skills per task type; mined skills past it "
        "are dropped, so validation is not spread over more candidates than the groups can test",
    )
    tau_promote: float = 0.0
    tau_retire: float = Field(0.0, le=0.0)
    selection: Literal["ucb", "greedy"] = "ucb"
    ucb_c: float = Field(1.0, ge=0.0)
    active_share: float = Field(0.5, ge=0.0, le=1.0, description="(ours) share of groups whose skill arm uses an "
                                "active skill when the task type has both active skills and candidates")
    train_skill_arm: bool = Field(True, description="RL also trains on skill-arm rows (their own prompt)")
    phase1_min_iters: int = Field(2, ge=0, description="(ours) Phase 1 iterations before Phase 2 may start")
    phase1_max_iters: int = Field(10, ge=0, description="(ours) Phase 2 starts then even with no active skill")
    lambda_max: float = Field(0.5, ge=0.0, description="λ_max of the internalization loss")
    k_ramp: int = Field(5, ge=1, description="K_ramp: iterations for λ to ramp from 0 to λ_max")
    int_tokens: Literal["action", "all"] = "action"
    int_weighting: bool = Field(True, description="w = clip(A, 0, c) (False: w = 1 ablation)")
    int_cap: float = Field(1.0, gt=0.0, description="c of clip(A, 0, c) (ours: 1 for std-normalized A)")
