"""The `algo` options of GRPO and GiGPO (docs/algorithms.md §1, §2); SIRI and Skill-SD extend them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from siri.config import AlgoConfig


class GRPOConfig(AlgoConfig):
    """GRPO: one advantage per trajectory from its group's returns (§1)."""

    mode: Literal["mean_std_norm", "mean_norm"] = "mean_std_norm"


class GiGPOConfig(GRPOConfig):
    """GiGPO: episode-level plus step-level advantages over anchor-state groups (§2)."""

    gamma: float = Field(0.95, ge=0.0, le=1.0)
    omega: float = Field(1.0, ge=0.0)
    invalid_penalty: float = Field(0.1, ge=0.0)
    episode_stats: Literal["step_rows", "trajectory"] = "step_rows"
    grouping: Literal["exact", "similarity"] = "exact"
    similarity_threshold: float = Field(0.95, gt=0.0, lt=1.0)
