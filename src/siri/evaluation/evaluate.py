"""Held-out plain-prompt evaluation (docs/algorithms.md §4: inference uses the plain prompt only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch

from siri.rollout.engine import RolloutEngine, RolloutSettings, Variant, VariantFn
from siri.rollout.types import RolloutBatch
from siri.rollout.summary import success_table
from siri.stats import mean_interval, wilson_interval


@dataclass
class EvalResult:
    split: str
    episodes: int
    table: dict[str, dict[str, float]]  # per task type and "all": n, success, ci_low, ci_high
    mean_score: tuple[float, float, float]  # task score (or return) mean with 95% CI
    mean_steps: float
    invalid_ratio: float
    prompt: str = "plain"  # "plain", or "skills" for a skill-prompted evaluation

    def to_json(self) -> dict[str, Any]:
        return {
            "split": self.split, "episodes": self.episodes, "success": self.table,
            "mean_score": {"mean": self.mean_score[0], "ci_low": self.mean_score[1], "ci_high": self.mean_score[2]},
            "mean_steps": self.mean_steps, "invalid_ratio": self.invalid_ratio, "prompt": self.prompt,
        }

    @property
    def success(self) -> float:
        return self.table["all"]["success"]


def eval_settings(cfg: Any, split: str | None = None, temperature: float | None = None) -> RolloutSettings:
    return RolloutSettings(
        env_name=cfg.env.name, split=split or cfg.eval.split, env_options=dict(cfg.env.options),
        max_steps=cfg.env.max_steps, history_len=cfg.env.history, think=cfg.env.think,
        temperature=cfg.eval.temperature if temperature is None else temperature,
        top_p=cfg.sampling.top_p, max_new_tokens=cfg.sampling.max_new_tokens,
    )


def summarize(batch: RolloutBatch, split: str) -> EvalResult:
    trajs = batch.trajectories
    scores = [t.task_score if t.task_score is not None else t.total_reward for t in trajs]
    rows = batch.rows
    return EvalResult(
        split=split, episodes=len(trajs), table=success_table(trajs), mean_score=mean_interval(scores),
        mean_steps=sum(t.length for t in trajs) / max(len(trajs), 1),
        invalid_ratio=sum(not r.valid for r in rows) / max(len(rows), 1),
    )


def skill_variants(skills_by_type: dict[str, str]) -> VariantFn:
    """Prompt variants of a skill-prompted evaluation: a task type's skill in every one of its prompts,
    the plain prompt for task types without one."""
    def variant(_g: int, _i: int, task_type: str) -> Variant:
        text = skills_by_type.get(task_type)
        return Variant(skills=(text,)) if text else Variant()

    return variant


def evaluate(model, tokenizer, settings: RolloutSettings, episodes: int, batch_episodes: int = 64,
             seed: int = 0, on_batch=None, variant_fn: VariantFn | None = None) -> EvalResult:
    """Roll out `episodes` tasks (seeds 0..episodes-1 of the split), one trajectory each, in batches.

    Plain prompts (docs/algorithms.md §4, inference) unless `variant_fn` puts skills in them (`siri eval
    --skills`, to compare a policy with and without its skills on the same seeds)."""
    gen = torch.Generator(device=next(model.parameters()).device).manual_seed(seed)
    merged = eval_rollouts(model, tokenizer, settings, list(range(episodes)), batch_episodes, gen, on_batch,
                           variant_fn)
    result = summarize(merged, settings.split)
    result.prompt = "plain" if variant_fn is None else "skills"
    return result


def eval_rollouts(model, tokenizer, settings: RolloutSettings, seeds: Sequence[int], batch_episodes: int,
                  gen: torch.Generator, on_batch=None, variant_fn: VariantFn | None = None) -> RolloutBatch:
    """One trajectory from each task seed of `seeds`, `batch_episodes` at a time (several processes
    each play their share of the seeds: `siri.train.parallel.evaluate_across`)."""
    engine = RolloutEngine(model, tokenizer, settings)
    merged = RolloutBatch(rows=[], trajectories=[])
    extra = {"variant_fn": variant_fn} if variant_fn is not None else {}
    for start in range(0, len(seeds), batch_episodes):
        chunk = list(seeds[start:start + batch_episodes])
        part = engine.run(chunk, group_size=1, rng=gen, **extra)
        merged.rows.extend(part.rows)
        merged.trajectories.extend(part.trajectories)
        if on_batch is not None:
            on_batch(len(chunk))
    return merged


__all__ = ["EvalResult", "evaluate", "eval_rollouts", "skill_variants", "eval_settings", "summarize", "wilson_interval"]
