"""The algorithm math layer: advantages (GRPO, GiGPO) and losses, registered by name (docs/algorithms.md §1–§5).

The advantage and grouping modules use only numpy and difflib; the losses use torch. Importing the
package (hence any of its modules) imports torch and registers the built-in loss terms and
advantage estimators.
"""

from siri.algos import builtin as _builtin  # noqa: F401  (registers the built-in names)
from siri.algos.advantages import GiGPOResult, discounted_returns, gigpo_advantages, grpo_advantages
from siri.algos.anchors import step_groups
from siri.algos.errors import AlgoError
from siri.algos.losses import (
    entropy_bonus,
    internalization_loss,
    internalization_weights,
    kl_k3,
    kl_loss,
    naive_k3_sd_loss,
    naive_sq_sd_loss,
    ppo_clip_loss,
    skill_sd_loss,
    token_mean,
)
from siri.algos.registry import (
    ADVANTAGES,
    INT_WEIGHTS,
    OLD_LOGPROBS,
    REF_LOGPROBS,
    RESPONSE_MASK,
    TEACHER_LOGPROBS,
    AdvantageOutput,
    LossTerm,
    advantage_names,
    get_advantage,
    get_loss,
    loss_names,
    register_advantage,
    register_loss,
    sum_losses,
)

__all__ = [
    "ADVANTAGES", "INT_WEIGHTS", "OLD_LOGPROBS", "REF_LOGPROBS", "RESPONSE_MASK", "TEACHER_LOGPROBS",
    "AdvantageOutput", "AlgoError", "GiGPOResult", "LossTerm",
    "advantage_names", "discounted_returns", "entropy_bonus", "get_advantage", "get_loss",
    "gigpo_advantages", "grpo_advantages", "internalization_loss", "internalization_weights",
    "kl_k3", "kl_loss", "loss_names", "naive_k3_sd_loss", "naive_sq_sd_loss", "ppo_clip_loss",
    "register_advantage", "register_loss", "skill_sd_loss", "step_groups", "sum_losses", "token_mean",
]
