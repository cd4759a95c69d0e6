"""Text environments (household, shop, Sokoban) behind one contract; no ML library is imported here.

Which environments exist is said once, in `siri.envs.registry`.
"""

from siri.envs.base import SPLITS, Env, EnvError, Oracle, StepResult
from siri.envs.registry import (
    EnvEntry,
    agent_env_name,
    agent_env_names,
    builtin_env_names,
    check_env_options,
    env_hints,
    env_names,
    env_text,
    make_env,
    make_oracle,
    oracle_kinds,
    register_env,
)
from siri.envs.text import AgentText
from siri.envs.vector import VectorEnv

__all__ = [
    "SPLITS",
    "AgentText",
    "Env",
    "EnvEntry",
    "EnvError",
    "Oracle",
    "StepResult",
    "VectorEnv",
    "agent_env_name",
    "agent_env_names",
    "builtin_env_names",
    "check_env_options",
    "env_hints",
    "env_names",
    "env_text",
    "make_env",
    "make_oracle",
    "oracle_kinds",
    "register_env",
]
