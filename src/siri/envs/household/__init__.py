"""The household environment: an ALFWorld-faithful text world (docs/environments.md, "Household")."""

from siri.envs.household.engine import admissible_commands, execute
from siri.envs.household.env import HouseholdEnv
from siri.envs.household.goals import goal_satisfied, task_sentence
from siri.envs.household.layout import generate
from siri.envs.household.oracle import PlannerOracle, SearcherOracle
from siri.envs.household.scene import TASK_TYPES, Obj, Receptacle, Scene, Task

__all__ = [
    "TASK_TYPES",
    "HouseholdEnv",
    "Obj",
    "PlannerOracle",
    "Receptacle",
    "Scene",
    "SearcherOracle",
    "Task",
    "admissible_commands",
    "execute",
    "generate",
    "goal_satisfied",
    "task_sentence",
]
