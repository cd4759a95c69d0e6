"""Group rollouts: B episode groups × N trajectories stepping in lock step (docs/algorithms.md §0).

All N trajectories of a group start from the same initial state (same env seed). Each turn, every
still-running trajectory's prompt is rebuilt by the agent layer (task, last h pairs, observation),
the policy samples all of them in one batch, the responses are parsed (with the invalid-response
fallback) and sent to the environments. Finished trajectories get no more prompts.

Per-trajectory prompt variants (`Variant`) let a method condition the acting prompt on skills and
record other views of every step's prompt, e.g. SIRI's skill arm acts under a skill block and
records its plain prompt for the internalization loss, while Skill-SD acts under the plain prompt
and records the teacher's skill prompt. The engine does not know which method asked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence, Tuple, Union

import torch

from siri.agent import StructuredSkill, build_prompt, parse_response
from siri.envs import Env, StepResult, agent_env_name, make_env
from siri.policy.loading import chat_prompt_ids, eos_token_ids
from siri.policy.sampling import DecodeOptions, sample
from siri.rollout.spans import char_span_to_token_span, token_char_ends
from siri.rollout.types import SAMPLED, RolloutBatch, StepRow, Trajectory
from siri.utils.reporter import NULL_REPORTER, Reporter


Skills = Union[Tuple[str, ...], StructuredSkill]


@dataclass(frozen=True)
class Variant:
    """How one trajectory's prompts are built. `skills` conditions the acting prompt (the "sampled"
    view); `views` names extra prompts recorded at every step without acting on them, each with its
    skills or None for the plain prompt (SIRI's skill arm records "plain"; Skill-SD's teacher prompt
    is "teacher"). `meta` tags the trajectory and its rows (e.g. SIRI's skill_id)."""

    skills: Skills | None = None
    views: Mapping[str, Skills | None] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class RolloutSettings:
    env_name: str
    split: str = "train"
    env_options: dict[str, Any] = field(default_factory=dict)
    max_steps: int = 50
    history_len: int = 2
    think: bool = False
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 48
    decode: DecodeOptions = field(default_factory=DecodeOptions)


VariantFn = Callable[[int, int, str], Variant]  # (group index, index in group, task_type) -> Variant


def _plain(_g: int, _i: int, _task_type: str) -> Variant:
    return Variant()


class _Slot:
    """One running trajectory: its environment, its history and its last step."""

    def __init__(self, env: Env, traj: Trajectory, last: StepResult, variant: Variant):
        self.env, self.traj, self.last, self.variant = env, traj, last, variant
        self.history: list[tuple[str, str]] = []
        self.t = 0


class RolloutEngine:
    """Turns a policy and an environment spec into step rows (token-in, token-out)."""

    def __init__(self, model, tokenizer, settings: RolloutSettings):
        self.model, self.tokenizer, self.s = model, tokenizer, settings
        self.eos = eos_token_ids(model, tokenizer)
        self.agent_env = agent_env_name(settings.env_name)
        self._envs: list[Env] = []

    def _env_pool(self, n: int) -> list[Env]:
        while len(self._envs) < n:
            self._envs.append(
                make_env(self.s.env_name, split=self.s.split, max_steps=self.s.max_steps, **self.s.env_options)
            )
        return self._envs[:n]

    def _prompt(self, slot: _Slot, skills: Sequence[str] | StructuredSkill | None) -> list[int]:
        last = slot.last
        if skills is not None and not isinstance(skills, StructuredSkill):
            skills = list(skills) or None
        text = build_prompt(
            self.agent_env, task=last.task, observation=last.observation, admissible=last.admissible_actions,
            history=slot.history, step=slot.t, think=self.s.think, skills=skills,
            history_len=self.s.history_len,
        )
        return chat_prompt_ids(self.tokenizer, text)

    def run(
        self,
        seeds: Sequence[int],
        group_size: int,
        variant_fn: VariantFn = _plain,
        rng: torch.Generator | None = None,
        reporter: Reporter = NULL_REPORTER,
        group_ids: Sequence[int] | None = None,
    ) -> RolloutBatch:
        """Roll out len(seeds) groups of `group_size` trajectories; group g starts from seeds[g].
        `reporter` hears the start (turn 0) and the end of every turn. `group_ids` names the groups
        (default 0, 1, …): a process that rolls out its share of an iteration's groups keeps their
        indices in the whole iteration (`siri.train.parallel`)."""
        timings = {"generate": 0.0, "env": 0.0, "prompt": 0.0}
        ids = list(range(len(seeds))) if group_ids is None else [int(g) for g in group_ids]
        if len(ids) != len(seeds):
            raise ValueError(f"{len(ids)} group ids for {len(seeds)} seeds; give one id per seed")
        slots = self._start(seeds, ids, group_size, variant_fn, timings)
        rows: list[StepRow] = []
        turn = 0
        reporter.rollout_turn(0, self.s.max_steps, sum(s.last.done for s in slots), len(slots))
        while True:
            active = [s for s in slots if not s.last.done]
            if not active:
                break
            self._turn(active, rows, rng, timings)
            turn += 1
            reporter.rollout_turn(turn, self.s.max_steps, sum(s.last.done for s in slots), len(slots))
        return RolloutBatch(rows=rows, trajectories=[s.traj for s in slots], timings=timings)

    def _start(self, seeds, group_ids, group_size, variant_fn, timings) -> list[_Slot]:
        t0 = time.perf_counter()
        envs = self._env_pool(len(seeds) * group_size)
        slots = []
        for j, (g, seed) in enumerate(zip(group_ids, seeds)):
            for i in range(group_size):
                k = j * group_size + i
                first = envs[k].reset(int(seed))
                variant = variant_fn(g, i, first.task_type)
                traj = Trajectory(group_id=g, traj_id=g * group_size + i, seed=int(seed), task=first.task,
                                  task_type=first.task_type, meta=dict(variant.meta))
                slots.append(_Slot(envs[k], traj, first, variant))
        timings["env"] += time.perf_counter() - t0
        return slots

    def _turn(self, active: list[_Slot], rows: list[StepRow], rng, timings) -> None:
        t0 = time.perf_counter()
        prompts = [self._views(s) for s in active]
        t1 = time.perf_counter()
        out = sample(
            self.model, [p[SAMPLED] for p in prompts], max_new_tokens=self.s.max_new_tokens,
            temperature=self.s.temperature, top_p=self.s.top_p, stop=("</action>",), tokenizer=self.tokenizer,
            eos_token_id=self.eos, pad_token_id=self.tokenizer.pad_token_id, rng=rng, decode=self.s.decode,
        )
        t2 = time.perf_counter()
        for slot, views, smp in zip(active, prompts, out):
            rows.append(self._step(slot, views, smp.ids, smp.logprobs, len(rows)))
        t3 = time.perf_counter()
        timings["prompt"] += t1 - t0
        timings["generate"] += t2 - t1
        timings["env"] += t3 - t2

    def _views(self, slot: _Slot) -> dict[str, list[int]]:
        """The step's prompt ids under every view its variant asks for ("sampled" first)."""
        views = {SAMPLED: self._prompt(slot, slot.variant.skills)}
        for name, skills in slot.variant.views.items():
            views[name] = self._prompt(slot, skills)
        return views

    def _step(self, slot: _Slot, views: dict[str, list[int]], ids, logprobs, row_index: int) -> StepRow:
        text = self.tokenizer.decode(ids, skip_special_tokens=False)
        parsed = parse_response(text, self.agent_env, think_required=self.s.think)
        span = None
        if parsed.span is not None:
            span = char_span_to_token_span(token_char_ends(self.tokenizer, ids), *parsed.span)
        before = slot.last
        result = slot.env.step(parsed.action)
        row = StepRow(
            group_id=slot.traj.group_id, traj_id=slot.traj.traj_id, t=slot.t, prompts=views,
            response_ids=list(ids), behavior_logprobs=list(logprobs), action_span=span,
            reward=float(result.reward), valid=parsed.valid, anchor=before.anchor, task_type=before.task_type,
            meta=slot.traj.meta,
            action=parsed.action, response_text=text,
        )
        traj = slot.traj
        traj.rows.append(row_index)
        traj.steps.append((before.observation, parsed.action))
        traj.total_reward += row.reward
        traj.won = traj.won or result.won
        if result.task_score is not None:
            traj.task_score = result.task_score
        slot.history.append((before.observation, parsed.action))
        slot.last = result
        slot.t += 1
        return row
