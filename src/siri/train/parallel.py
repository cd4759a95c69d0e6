"""How an iteration's work spreads over the run's processes (docs/architecture.md "Many processes").

- **Groups.** Rank r of W rolls out groups r, r + W, … of the iteration, each from the seed it has in
  one process and under its one-process group index, so a group's statistics (GRPO's and GiGPO's
  groups, SIRI's paired arms) stay on one rank.
- **Rollouts to rank 0.** The shared decisions (SIRI's bank, Skill-SD's library) and the train
  metrics read every rank's trajectories: `gather_rollouts` hands rank 0 all of them, with the step
  rows stripped of their prompts and log-probs (what is left is what summaries and skill mining read).
- **Metrics.** `merge_rows` turns each rank's metrics row into the run's: a key reported by every rank
  is averaged, one reported by rank 0 alone (the decisions' metrics) is kept.
- **Loss plans.** Every rank must run the same loss terms (their forward passes line up), so a term
  one rank switches on is on everywhere: `agree_plan`.
- **Evaluation.** `evaluate_across` splits the episodes over the ranks and summarizes all of them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

import torch

from siri.evaluation.evaluate import EvalResult, eval_rollouts, summarize
from siri.policy.sharding import gathered
from siri.rollout.engine import RolloutSettings
from siri.rollout.types import RolloutBatch
from siri.train.distributed import World, rank_seed
from siri.train.update import LossPlan
from siri.utils.errors import UserError


def split_groups(seeds: Sequence[int], world: World) -> tuple[list[int], list[int]]:
    """(this rank's group seeds, their group indices in the whole iteration)."""
    ids = list(range(world.rank, len(seeds), world.size))
    return [seeds[g] for g in ids], ids


def light(batch: RolloutBatch) -> RolloutBatch:
    """The batch without what only this rank's update reads: prompts and behaviour log-probs."""
    rows = [replace(r, prompts={}, behavior_logprobs=[]) for r in batch.rows]
    return RolloutBatch(rows=rows, trajectories=list(batch.trajectories), timings=dict(batch.timings))


def merge_rollouts(parts: Sequence[RolloutBatch]) -> RolloutBatch:
    """One batch of several ranks' batches; trajectories in (group, trajectory) order, each one's
    row indices pointing into the merged rows."""
    rows, trajs = [], []
    for part in parts:
        offset = len(rows)
        rows.extend(part.rows)
        trajs.extend(replace(t, rows=[i + offset for i in t.rows]) for t in part.trajectories)
    trajs.sort(key=lambda t: (t.group_id, t.traj_id))
    return RolloutBatch(rows=rows, trajectories=trajs, timings=dict(parts[0].timings) if parts else {})


def gather_rollouts(batch: RolloutBatch, world: World) -> RolloutBatch | None:
    """Every rank's rollouts on rank 0 (None elsewhere); in one process, `batch` itself."""
    if not world.distributed:
        return batch
    parts = world.gather(light(batch))
    return merge_rollouts(parts) if parts is not None else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def merge_rows(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The run's metrics row from every rank's (see the module docstring). A value every reporting rank
    agrees on is kept as it is (so integers stay integers)."""
    out: dict[str, Any] = {}
    for key in dict.fromkeys(k for row in rows for k in row):
        values = [row[key] for row in rows if key in row]
        if all(v == values[0] for v in values) or not all(_is_number(v) for v in values):
            out[key] = values[0]
        else:
            out[key] = sum(float(v) for v in values) / len(values)
    return out


def agree_plan(plan: LossPlan, world: World) -> LossPlan:
    """The union of every rank's active terms (a rank that has no rows for a term, e.g. no
    internalization tokens, runs it with zero weight); conflicting settings of one term are an error."""
    if not world.distributed:
        return plan
    merged = LossPlan(coefs={}, mask_fields={}, params={})
    for coefs, masks, params in world.all_gather((plan.coefs, plan.mask_fields, plan.params)):
        for name, coef in coefs.items():
            if coef == 0.0:
                continue
            seen = (merged.coefs.get(name), merged.mask_fields.get(name), merged.params.get(name))
            mine = (coef, masks.get(name), params.get(name))
            if name in merged.coefs and seen != mine:
                raise RuntimeError(f"loss term {name!r} differs between processes: {seen} and {mine}")
            merged.coefs[name] = coef
            if name in masks:
                merged.mask_fields[name] = masks[name]
            if name in params:
                merged.params[name] = params[name]
    return merged


def evaluate_across(model, tokenizer, settings: RolloutSettings, episodes: int, batch_episodes: int, seed: int,
                    world: World) -> EvalResult:
    """`siri.evaluation.evaluate` over the ranks: rank r plays episodes r, r + W, … with its own
    sampling stream; rank 0 summarizes them all and every rank gets the result."""
    seeds = list(range(world.rank, episodes, world.size))
    gen = torch.Generator(device=next(model.parameters()).device).manual_seed(rank_seed(seed, world.rank))
    with gathered(model):
        part = eval_rollouts(model, tokenizer, settings, seeds, batch_episodes, gen)
    parts = world.gather(light(part))
    result = summarize(merge_rollouts(parts), settings.split) if parts is not None else None
    return world.broadcast(result)


def check_world_size(saved: int, world: World, path: Any) -> None:
    """A sharded checkpoint resumes on the number of processes that wrote it."""
    if saved != world.size:
        raise UserError(f"checkpoint {path} was written by {saved} process(es) and this run has {world.size}; "
                        f"resume it with {saved} (torchrun --nproc_per_node/--nnodes), or start a new run.name")
