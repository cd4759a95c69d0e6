"""The skill layer (docs/algorithms.md §4 SIRI, §5 Skill-SD): the store, retrieval, generators.

One store (`SkillStore`) under two rule sets: SIRI's validation rules (`SkillBank`) and Skill-SD's
bandit rules (`SkillLibrary`). Importing this package does not import torch;
`siri.skills.generators.self` does.
"""

from siri.skills.bank import SkillBank, next_state
from siri.skills.generators import (
    GENERATOR_KINDS,
    GenerationResult,
    GeneratorHandle,
    SkillGenerator,
    StructuredResult,
    make_generator,
    source_ids,
    to_record,
)
from siri.skills.library import SkillLibrary
from siri.skills.records import GENERATORS, KINDS, STATES, Skill, read_skills, write_skills
from siri.skills.retrieval import SELECTION_MODES, choose, greedy_scores, ucb_scores
from siri.skills.store import SkillStore
from siri.skills.validation import split_arms, treatment_effect

__all__ = [
    "GENERATORS",
    "GENERATOR_KINDS",
    "GenerationResult",
    "GeneratorHandle",
    "KINDS",
    "SELECTION_MODES",
    "STATES",
    "Skill",
    "SkillBank",
    "SkillGenerator",
    "SkillLibrary",
    "SkillStore",
    "StructuredResult",
    "choose",
    "greedy_scores",
    "make_generator",
    "next_state",
    "read_skills",
    "source_ids",
    "split_arms",
    "to_record",
    "treatment_effect",
    "ucb_scores",
    "write_skills",
]
