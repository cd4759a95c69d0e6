"""Skill generators: one interface for `self`, `external` and `extractive` (docs/algorithms.md §4, §5).

Modules: `base` (the interface, results, the prompted base class), one module per kind (`self`: a
frozen snapshot of the policy, imports torch; `external`: an OpenAI-compatible endpoint through the
`openai` client, an optional extra imported on use; `extractive`: action statistics, no model) and
`factory` (building the configured one).
The kinds import only `base`, and `factory` imports the kinds, so there is no import cycle.
"""

from siri.skills.generators.base import (
    GenerationResult,
    PromptedGenerator,
    SkillGenerator,
    StructuredResult,
    source_ids,
    to_record,
)
from siri.skills.generators.factory import GENERATOR_KINDS, GeneratorHandle, generator_from_settings, make_generator

__all__ = [
    "GENERATOR_KINDS",
    "GenerationResult",
    "GeneratorHandle",
    "PromptedGenerator",
    "SkillGenerator",
    "StructuredResult",
    "generator_from_settings",
    "make_generator",
    "source_ids",
    "to_record",
]
