"""What every skill generator shares: the interface, its results and the prompted base class
(docs/algorithms.md §4, §5).

A generator turns trajectories of one task type into skills:

- `generate(task_type, env_name, trajectories, max_skills) -> GenerationResult`: SIRI text skills
  `When <condition>: <strategy>` from the **successful** trajectories (failures are ignored);
- `generate_structured(task_type, env_name, trajectories, max_items) -> StructuredResult`: one Skill-SD
  skill (success patterns, mistakes, golden workflow) from successes and failures.

Trajectories may be rollout `Trajectory` objects (task, steps, won), `EpisodeRecord`s, or bare lists of
`(observation, action)` pairs (taken as successes). A generator never raises on bad model output:
malformed lines are counted (`n_malformed`), and a failed call (endpoint down, prompt too long) comes
back with `error` set and no skills, so the caller logs a warning and skips that mining round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

from siri.agent import (
    EpisodeRecord,
    StructuredSkill,
    build_structured_summary_prompt,
    build_summary_prompt,
    parse_skills,
    parse_structured_skill,
)
from siri.agent.skill_parsing import SKILL_WORDS, words


@dataclass
class GenerationResult:
    """SIRI skills parsed from one summarization (at most `max_skills`, de-duplicated)."""

    skills: list[str] = field(default_factory=list)
    n_malformed: int = 0
    raw: str = ""
    error: str | None = None


@dataclass
class StructuredResult:
    """One Skill-SD skill (None when the reply did not parse: `n_malformed` = 1) or an error."""

    skill: StructuredSkill | None = None
    n_malformed: int = 0
    raw: str = ""
    error: str | None = None


class SkillGenerator(Protocol):
    name: str

    def generate(self, task_type: str, env_name: str, trajectories: Sequence[Any],
                 max_skills: int = 3) -> GenerationResult: ...

    def generate_structured(self, task_type: str, env_name: str, trajectories: Sequence[Any],
                            max_items: int = 3) -> StructuredResult: ...


def to_record(trajectory: Any) -> EpisodeRecord:
    """An `EpisodeRecord` from a record, a rollout trajectory (task, steps, won) or bare pairs."""
    if isinstance(trajectory, EpisodeRecord):
        return trajectory
    if hasattr(trajectory, "steps") and hasattr(trajectory, "won"):
        return EpisodeRecord.from_steps(str(getattr(trajectory, "task", "")), list(trajectory.steps),
                                        bool(trajectory.won))
    return EpisodeRecord.from_steps("", [tuple(p) for p in trajectory], True)


def source_ids(trajectories: Sequence[Any]) -> list[Any]:
    """What the bank records as `source_trajs`: `{traj_id, seed}` of rollout trajectories, else the
    position of the trajectory in the list given to the generator."""
    out: list[Any] = []
    for i, t in enumerate(trajectories):
        if hasattr(t, "traj_id"):
            out.append({"traj_id": int(t.traj_id), "seed": getattr(t, "seed", None)})
        else:
            out.append({"index": i})
    return out


class PromptedGenerator:
    """Shared logic of the model-backed generators (`self`, `external`): build the summary prompt,
    get one completion, parse it strictly. Subclasses implement `complete(prompt) -> (text, error)`
    and may override `fits(prompt)` to drop trajectories from a prompt that is too long."""

    name = "prompted"
    last_prompt: str | None = None  # the prompt of the latest call (for logs and tests)
    # Keep only skills made of the prompt's words (siri.agent.skill_parsing): on for the policy, whose
    # garbled replies pass every check of form; off for a capable external model, which may paraphrase.
    prompt_words_only = False

    def complete(self, prompt: str) -> tuple[str, str | None]:  # pragma: no cover - abstract
        raise NotImplementedError

    def fits(self, prompt: str) -> bool:
        return True

    def _fit(self, build, records: list[EpisodeRecord]) -> tuple[str | None, str | None]:
        """The prompt over as many leading records as fit (at least one), or an error."""
        while records:
            prompt = build(records)
            if self.fits(prompt):
                self.last_prompt = prompt
                return prompt, None
            records = records[:-1]
        return None, "the summary prompt is too long for the model even with one trajectory"

    def generate(self, task_type: str, env_name: str, trajectories: Sequence[Any],
                 max_skills: int = 3) -> GenerationResult:
        successes = [r for r in map(to_record, trajectories) if r.won]
        if not successes:
            return GenerationResult(error="no successful trajectories to summarize")
        prompt, error = self._fit(lambda rs: build_summary_prompt(env_name, task_type, rs, max_skills), successes)
        if prompt is None:
            return GenerationResult(error=error)
        raw, error = self.complete(prompt)
        if error is not None:
            return GenerationResult(raw=raw, error=error)
        vocabulary = words(prompt) | SKILL_WORDS if self.prompt_words_only else None
        skills, n_malformed = parse_skills(raw, max_skills, vocabulary=vocabulary)
        return GenerationResult(skills=skills, n_malformed=n_malformed, raw=raw)

    def generate_structured(self, task_type: str, env_name: str, trajectories: Sequence[Any],
                            max_items: int = 3) -> StructuredResult:
        records = [to_record(t) for t in trajectories]
        if not records:
            return StructuredResult(error="no trajectories to summarize")
        prompt, error = self._fit(lambda rs: build_structured_summary_prompt(env_name, task_type, rs, max_items),
                                  records)
        if prompt is None:
            return StructuredResult(error=error)
        raw, error = self.complete(prompt)
        if error is not None:
            return StructuredResult(raw=raw, error=error)
        skill = parse_structured_skill(raw, max_items=max_items)
        return StructuredResult(skill=skill, n_malformed=int(skill is None), raw=raw)
