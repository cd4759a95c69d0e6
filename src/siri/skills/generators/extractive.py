"""The `extractive` skill generator (docs/algorithms.md §4, ours): skills from action statistics alone.

Deterministic, no model: for tests and as a baseline. It reads only what the trajectories show, the
task text, the actions and the outcome (`EpisodeRecord`), never an observation or hidden env state.

SIRI skills, in this order (at most `max_skills`):
0. locations: where the successes found the things they took, when the environment's actions show it
   (`AgentText.found_in`, e.g. household `take apple 1 from fridge 1`): one skill, per kind of thing
   the place it was found most often, things found most often first, at most `MAX_FACTS`
   (`AgentText.location_skill`: "When looking for an object: apple in fridge, pen in desk."; docs/
   environments.md "Knowledge that pays");
1. workflow: the most frequent verb pattern of the successes (consecutive repeats collapsed), e.g.
   `When the task is like 'put a clean mug in coffeemachine': follow the action pattern go to -> take
   -> clean -> go to -> move.` (ties: the shorter pattern, then alphabetical; long ones cut to 8 verbs);
2. key actions: the concrete actions shared by at least half of the successes (and at least two of
   them when there are several; up to 3);
3. length: the median and largest number of actions of the successes.

The structured (Skill-SD) variant turns the same statistics into success patterns (the location skill
first, in the same words, so the teacher's prompt carries the knowledge; whether a policy reads it in
that block is another matter, docs/experiments.md), contrasts the failures with the successes for the
mistakes, and takes the shortest success as the golden workflow.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from typing import Any, Sequence

from siri.agent import EpisodeRecord, StructuredSkill, normalize_skill, parse_skill_line, parse_structured_skill
from siri.envs import AgentText, env_text
from siri.skills.generators.base import GenerationResult, StructuredResult, to_record

MAX_PATTERN_VERBS = 8
MAX_FACTS = 8  # things in one location skill
MAX_ACTION_CHARS = 60
MAX_EXAMPLE_CHARS = 60
MAX_WORKFLOW = 20
_STOPS = re.compile(r"[.!?;:]+(?=\s|$)")


def action_verb(action: str) -> str:
    """The verb of an action: `search`/`click` for `verb[...]`, `go to` for `go to X`, else the first word."""
    a = " ".join(action.strip().lower().split())
    if "[" in a:
        return a.split("[", 1)[0].strip() or a
    words = a.split()
    if len(words) >= 2 and words[:2] == ["go", "to"]:
        return "go to"
    return words[0] if words else ""


def verb_pattern(actions: Sequence[str]) -> tuple[str, ...]:
    """The verbs of a trajectory with consecutive repeats collapsed (`go to, go to, take` -> `go to, take`)."""
    out: list[str] = []
    for verb in map(action_verb, actions):
        if verb and (not out or out[-1] != verb):
            out.append(verb)
    return tuple(out)


def _clean(text: str, limit: int) -> str:
    """One-line text without sentence ends or colons (they would break `When <cond>: <strategy>`),
    cut at a word boundary to at most `limit` characters."""
    text = " ".join(_STOPS.sub(" ", text).replace(":", " ").split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut or text[:limit]


def condition(records: Sequence[EpisodeRecord], task_type: str) -> str:
    """`the task is like '<shortest task text>'`, or `solving a <task_type> task` with no task text."""
    tasks = sorted({r.task.strip() for r in records if r.task.strip()}, key=lambda t: (len(t), t))
    if not tasks:
        return f"solving a {task_type} task"
    return f"the task is like '{_clean(tasks[0], MAX_EXAMPLE_CHARS)}'"


def best_pattern(records: Sequence[EpisodeRecord]) -> tuple[str, ...]:
    """The most frequent verb pattern; ties: shorter, then alphabetical."""
    counts = Counter(verb_pattern(r.actions) for r in records)
    counts.pop((), None)
    if not counts:
        return ()
    return min(counts, key=lambda p: (-counts[p], len(p), p))


def shared_actions(records: Sequence[EpisodeRecord], limit: int = 3) -> list[str]:
    """Concrete actions found in at least half of the trajectories and in at least two of them when there
    are several (most shared first, then alphabetical)."""
    per_traj = Counter(a for r in records for a in {" ".join(x.lower().split()) for x in r.actions})
    need = 1 if len(records) == 1 else max(2, math.ceil(len(records) / 2))
    ok = [a for a, k in per_traj.items() if k >= need and a and len(a) <= MAX_ACTION_CHARS]
    return sorted(ok, key=lambda a: (-per_traj[a], a))[:limit]


def _pattern_text(pattern: tuple[str, ...]) -> str:
    head = " -> ".join(pattern[:MAX_PATTERN_VERBS])
    return f"start with {head}" if len(pattern) > MAX_PATTERN_VERBS else head


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _lengths(records: Sequence[EpisodeRecord]) -> tuple[float, int]:
    lengths = [len(r.actions) for r in records]
    return statistics.median(lengths), max(lengths)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def location_skills(records: Sequence[EpisodeRecord], text: AgentText) -> list[str]:
    """One location skill: per kind of thing the successes took, where they found it most often (ties:
    alphabetical), the things taken most often first; none when the actions show no places."""
    found = Counter(f for r in records for a in r.actions if (f := text.found_in(a)) is not None)
    places: dict[str, Counter] = {}
    for (thing, place), n in found.items():
        places.setdefault(thing, Counter())[place] += n
    ranked = sorted(places, key=lambda t: (-sum(places[t].values()), t))[:MAX_FACTS]
    facts = [(t, min(places[t], key=lambda p: (-places[t][p], p))) for t in ranked]
    return [text.location_skill(facts)] if facts else []


def siri_skills(records: Sequence[EpisodeRecord], task_type: str, text: AgentText | None = None) -> list[str]:
    """The candidate skill texts (locations, workflow, key actions, length) of successful records,
    before parsing."""
    cond = condition(records, task_type)
    out: list[str] = location_skills(records, text) if text is not None else []
    pattern = best_pattern(records)
    if pattern:
        out.append(f"When {cond}: follow the action pattern {_clean(_pattern_text(pattern), 300)}.")
    shared = [_clean(a, MAX_ACTION_CHARS) for a in shared_actions(records)]
    if shared:
        out.append(f"When {cond}: successful attempts used {_join(shared)}.")
    median, longest = _lengths(records)
    out.append(f"When a {task_type} task is under way: successful attempts took {_fmt(median)} actions "
               f"(at most {longest}), so avoid repeating actions.")
    return out


def _mistakes(successes: Sequence[EpisodeRecord], failures: Sequence[EpisodeRecord], limit: int) -> list[str]:
    """Contrasts of the failures with the successes: over-used verbs, repeated actions, length."""
    if not failures:
        return ["no failed attempts observed yet"]
    def per_attempt(records: Sequence[EpisodeRecord]) -> Counter:
        c = Counter(action_verb(a) for r in records for a in r.actions)
        return Counter({v: k / len(records) for v, k in c.items()}) if records else Counter()
    fail, succ = per_attempt(failures), per_attempt(successes)
    extra = sorted(((fail[v] - succ.get(v, 0.0), v) for v in fail if v), key=lambda x: (-x[0], x[1]))
    out = [f"failed attempts used {v} {fail[v]:.1f} times per attempt against {succ.get(v, 0.0):.1f} in successes"
           for d, v in extra if d >= 1.0][:2]
    runs = [_longest_run(r.actions) for r in failures]
    if max(runs) >= 3:
        out.append(f"repeating the same action {max(runs)} times in a row "
                   f"(in {sum(k >= 3 for k in runs)} of {len(failures)} failed attempts)")
    median, _ = _lengths(failures)
    out.append(f"failed attempts ran for {_fmt(median)} actions without finishing the task")
    return out[:limit]


def _longest_run(actions: Sequence[str]) -> int:
    best = run = 0
    prev = None
    for a in actions:
        run = run + 1 if a == prev else 1
        prev = a
        best = max(best, run)
    return best


class ExtractiveGenerator:
    """Deterministic skills from the demonstrated tasks and actions (see the module docstring)."""

    name = "extractive"

    def generate(self, task_type: str, env_name: str, trajectories: Sequence[Any],
                 max_skills: int = 3) -> GenerationResult:
        successes = [r for r in map(to_record, trajectories) if r.won]
        if not successes:
            return GenerationResult(error="no successful trajectories to summarize")
        texts = siri_skills(successes, task_type, env_text(env_name))
        skills: list[str] = []
        seen: set[str] = set()
        malformed = 0
        for text in texts:
            skill = parse_skill_line(text)
            if skill is None:
                malformed += 1
            elif normalize_skill(skill) not in seen:
                seen.add(normalize_skill(skill))
                skills.append(skill)
        return GenerationResult(skills=skills[:max_skills], n_malformed=malformed, raw="\n".join(texts))

    def generate_structured(self, task_type: str, env_name: str, trajectories: Sequence[Any],
                            max_items: int = 3) -> StructuredResult:
        records = [to_record(t) for t in trajectories]
        successes = [r for r in records if r.won]
        if not successes:
            return StructuredResult(error="no successful trajectories to take a golden workflow from")
        pattern = best_pattern(successes)
        median, longest = _lengths(successes)
        patterns = location_skills(successes, env_text(env_name))
        if pattern:
            patterns.append(f"successful attempts follow the pattern {_pattern_text(pattern)}")
        shared = shared_actions(successes)
        if shared:
            patterns.append(f"successful attempts used {_join(shared)}")
        patterns.append(f"successful attempts took {_fmt(median)} actions (at most {longest})")
        golden = min(successes, key=lambda r: len(r.actions))
        workflow = tuple(a.replace("->", "-") for a in golden.actions[:MAX_WORKFLOW]) or ("(no action)",)
        skill = StructuredSkill(success_patterns=tuple(patterns[:max_items]),
                                mistakes=tuple(_mistakes(successes, [r for r in records if not r.won], max_items)),
                                workflow=workflow)
        raw = skill.to_text()
        parsed = parse_structured_skill(raw, max_items=max_items, max_workflow=MAX_WORKFLOW)
        return StructuredResult(skill=parsed, n_malformed=int(parsed is None), raw=raw)
