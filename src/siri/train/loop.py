"""The RL iteration loop (`siri train`): roll out, score, let the method fill the fields, update, log,
evaluate, checkpoint. Algorithm-blind: everything method-specific sits behind the `Method` hooks
(docs/architecture.md "Algorithms")."""

from __future__ import annotations

import copy
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from siri.algos.registry import REF_LOGPROBS, get_loss
from siri.config import Config
from siri.policy.loading import configure_threads, load_policy, resolve_dtype
from siri.policy.lora import base_only, is_lora, load_lora_trainable, require_peft, trainable_parameters
from siri.policy.scoring import score
from siri.policy.sharding import gathered, shard_model
from siri.rollout.engine import RolloutEngine, RolloutSettings
from siri.train.checkpoint import restore_newest, save_checkpoint
from siri.train.distributed import check_divisible, init_world, process_device, rank_seed
from siri.train.parallel import agree_plan, evaluate_across, gather_rollouts, merge_rows, split_groups
from siri.evaluation.evaluate import EvalResult, eval_settings, evaluate
from siri.train.methods.base import MethodContext, scoring_temperature
from siri.train.methods.registry import make_method
from siri.train.rundir import clean_leftovers, open_run_dir
from siri.rollout.summary import rollout_summary
from siri.train.update import LossPlan, UpdateSettings, policy_update
from siri.utils.atomic import atomic_write_json
from siri.utils.errors import UserError
from siri.utils.failpoints import reach
from siri.utils.metrics import BarReporter, MetricsWriter, progress
from siri.utils.reporter import NULL_REPORTER, Reporter
from siri.utils.trackers import open_trackers, require_packages

TRAIN_SEED_SPACE = 1_000_000


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def group_seeds(run_seed: int, iteration: int, n: int) -> list[int]:
    """Train-split task seeds for one iteration: a pure function of (run seed, iteration), so a
    resumed run draws exactly the tasks the uninterrupted run would have."""
    rng = np.random.default_rng([run_seed, iteration])
    return [int(s) for s in rng.integers(0, TRAIN_SEED_SPACE, size=n)]


def train_settings(cfg: Config) -> RolloutSettings:
    return RolloutSettings(
        env_name=cfg.env.name, split="train", env_options=dict(cfg.env.options), max_steps=cfg.env.max_steps,
        history_len=cfg.env.history, think=cfg.env.think, temperature=cfg.sampling.temperature,
        top_p=cfg.sampling.top_p, max_new_tokens=cfg.sampling.max_new_tokens,
    )


def update_settings(cfg: Config) -> UpdateSettings:
    """The update's settings. Under gradient checkpointing the update scores rows whole: checkpointed
    layers drop the key/value cache that shared prefixes pass (docs/architecture.md "Precision")."""
    t = cfg.train
    return UpdateSettings(ppo_epochs=t.ppo_epochs, mini_batch_rows=t.mini_batch_rows,
                          micro_batch_rows=t.micro_batch_rows, grad_clip=t.grad_clip,
                          temperature=scoring_temperature(cfg),
                          share_prefixes=t.share_prefixes and not cfg.model.gradient_checkpointing)


def load_trainable(cfg: Config, device: str | None = None) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """(model, tokenizer) to train: float32 master weights under a 16-bit `model.dtype` (unless
    `model.master_weights` is off) and gradient checkpointing as configured, on `device` (default
    `run.device`; under torchrun, this process's GPU); with `model.lora_rank > 0` the base frozen in
    `model.dtype` under trainable adapters (docs/architecture.md "LoRA")."""
    m = cfg.model
    if m.lora_rank > 0:
        return load_lora_trainable(m, device or cfg.run.device)
    return load_policy(m.path, device or cfg.run.device, m.dtype, master_weights=m.master_weights,
                       gradient_checkpointing=m.gradient_checkpointing)


def check_reference(plan: LossPlan, has_reference: bool) -> None:
    """A loss term that reads reference log-probs needs the reference, which is built only when
    `train.kl_coef > 0` (no frozen copy of the policy otherwise)."""
    if has_reference:
        return
    wants = [n for n in plan.active() if REF_LOGPROBS in get_loss(n).fields]
    if wants:
        raise UserError(f"loss term {wants[0]!r} reads reference log-probs, but no reference model is built when "
                        f"train.kl_coef = 0; set train.kl_coef > 0")


class Trainer:
    """Holds the policy, reference, optimizer and method of one run."""

    def __init__(self, cfg: Config, resume: bool = False):
        self.cfg = cfg
        require_packages(cfg)
        require_peft(cfg.model.lora_rank)
        self.world = init_world(cfg.run.device)  # torchrun: this process's rank (docs "Many processes")
        check_divisible(cfg.train.groups_per_iter, self.world)
        if self.world.distributed and cfg.model.lora_rank > 0:
            raise UserError("model.lora_rank > 0 runs in one process only for now (LoRA under FSDP2 is not "
                            "built); set model.lora_rank=0 or run without torchrun")
        self.run_dir = self.world.on_main(lambda: open_run_dir(cfg, resume))
        seed_everything(cfg.run.seed)
        self.model, self.tokenizer = load_trainable(cfg, process_device(self.world, cfg.run.device))
        configure_threads(self.model, cfg.run.threads)
        self.ref = self._frozen_copy() if cfg.train.kl_coef > 0 else None
        if self.world.distributed:  # FSDP2: the policy and the reference sharded over the ranks
            for model in (self.model, self.ref):
                if model is not None:
                    shard_model(model, self.device.type, self.world.size)
        self.optimizer = torch.optim.AdamW(trainable_parameters(self.model), lr=cfg.train.lr,
                                           weight_decay=cfg.train.weight_decay)
        self.rng = torch.Generator(device=self.device).manual_seed(rank_seed(cfg.run.seed, self.world.rank))
        self.method = make_method(cfg)
        self.engine = RolloutEngine(self.model, self.tokenizer, train_settings(cfg))
        self.metrics = MetricsWriter(self.run_dir / "metrics.jsonl")  # trackers open in run()
        self.start, self.env_steps_total = 0, 0
        if resume:
            self._resume()

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def _frozen_copy(self):
        if is_lora(self.model):  # the reference is the base: the policy with its adapters off (base_only)
            return self.model
        ref = copy.deepcopy(self.model).eval()
        for p in ref.parameters():
            p.requires_grad_(False)
        return ref

    def _resume(self) -> None:
        """Continue from the newest checkpoint that loads; with none, start again from iteration 0
        with no rows of the interrupted attempt left (docs/run-directory.md "Resuming")."""
        ckpts = self.run_dir / "checkpoints"
        main, echo = self.world.is_main, (print if self.world.is_main else (lambda _msg: None))
        gone = clean_leftovers(self.run_dir, ckpts) if main else []
        if gone:
            echo(f"removed {len(gone)} unfinished writes of the interrupted run: {', '.join(gone)}")
        self.world.barrier()
        if self.world.distributed:
            from siri.train.dist_checkpoint import restore_sharded

            restored = restore_sharded(ckpts, self.model, self.optimizer, self.rng, self.world, echo)
        else:
            restored = restore_newest(ckpts, self.model, self.optimizer, self.rng)
        last = restored.iteration if restored is not None else -1
        later, unreadable = self.metrics.truncate_after(last) if main else (0, 0)
        if unreadable:
            echo(f"warning: dropped {unreadable} unreadable lines of {self.metrics.path} (torn or garbled)")
        if restored is None:
            echo(f"resuming {self.run_dir}: no complete checkpoint, starting from iteration 0"
                 + (f" (dropped {later} metrics rows of the interrupted attempt)" if later else ""))
            return
        self.start = restored.iteration + 1
        self.env_steps_total = int(restored.state.get("env_steps_total", 0))
        self.method.load_state_dict(restored.state.get("method", {}))
        echo(f"resuming {self.run_dir} after iteration {restored.iteration} ({restored.path.name})")

    def _state(self) -> dict[str, Any]:
        return {"env_steps_total": self.env_steps_total, "method": self.method.state_dict()}

    def iteration(self, it: int, reporter: Reporter = NULL_REPORTER) -> dict[str, Any]:
        """One iteration; `reporter` hears the rollout's turns and the update's mini-batch steps."""
        cfg = self.cfg
        t0 = time.perf_counter()
        seeds = group_seeds(cfg.run.seed, it, cfg.train.groups_per_iter)
        variant_fn = self.method.begin_iteration(it, seeds)
        mine, ids = split_groups(seeds, self.world)  # in one process: every group
        with gathered(self.model):
            batch = self.engine.run(mine, cfg.train.group_size, rng=self.rng, group_ids=ids, reporter=reporter,
                                    **({"variant_fn": variant_fn} if variant_fn is not None else {}))
        reach("rollout")
        t1 = time.perf_counter()
        ref_lp = None
        if self.ref is not None:
            with torch.no_grad(), base_only(self.ref), gathered(self.ref):
                lps = score(self.ref, [r.prompt_ids for r in batch.rows], [r.response_ids for r in batch.rows],
                            temperature=update_settings(cfg).temperature, batch_size=cfg.train.micro_batch_rows,
                            share_prefixes=cfg.train.share_prefixes)
            ref_lp = [lp.tolist() for lp in lps]
        t2 = time.perf_counter()
        ctx = MethodContext(cfg=cfg, iteration=it, ref_logprobs=ref_lp, model=self.model, tokenizer=self.tokenizer,
                            run_dir=self.run_dir if self.world.is_main else None, world=self.world,
                            rollouts=gather_rollouts(batch, self.world))
        with gathered(self.model):
            prepared = self.method.prepare(batch, ctx)
        check_reference(prepared.plan, self.ref is not None)
        upd = policy_update(self.model, self.optimizer, prepared.rows, agree_plan(prepared.plan, self.world),
                            update_settings(cfg), self.tokenizer.pad_token_id, self.rng, reporter=reporter,
                            sync=self.world if self.world.distributed else None)
        reach("update")
        self.method.end_iteration(ctx)
        t3 = time.perf_counter()
        self.env_steps_total += int(self.world.sum({"steps": batch.env_steps})["steps"])
        row: dict[str, Any] = {"iteration": it, "phase": prepared.metrics.pop("phase", cfg.algo.name),
                               "env_steps_total": self.env_steps_total}
        if ctx.rollouts is not None:  # every rank's trajectories, on rank 0
            row.update(rollout_summary(ctx.rollouts, prefix="train/"))
        row.update(prepared.metrics)
        row.update({f"update/{k}": v for k, v in upd.items()})
        row.update({"time/rollout": t1 - t0, "time/generate": batch.timings["generate"],
                    "time/env": batch.timings["env"], "time/scoring": t2 - t1, "time/update": t3 - t2,
                    "time/iteration": t3 - t0})
        return row

    def evaluate(self, split: str | None = None) -> EvalResult:
        cfg = self.cfg
        if self.world.distributed:  # each rank plays its share of the episodes
            return evaluate_across(self.model, self.tokenizer, eval_settings(cfg, split), cfg.eval.episodes,
                                   cfg.eval.batch_episodes, cfg.run.seed, self.world)
        return evaluate(self.model, self.tokenizer, eval_settings(cfg, split), cfg.eval.episodes,
                        cfg.eval.batch_episodes, seed=cfg.run.seed)

    def run(self, stop_after: int | None = None) -> Path:
        """Train to `train.iterations` (or stop after `stop_after` more iterations); returns the run dir.
        The trackers (`run.tensorboard`, `run.wandb`) are open for this call only."""
        cfg = self.cfg
        end = cfg.train.iterations if stop_after is None else min(cfg.train.iterations, self.start + stop_after)
        self.metrics.trackers = open_trackers(cfg, self.run_dir) if self.world.is_main else []
        try:
            self._train(end)
        finally:
            self.metrics.close()
        return self.run_dir

    def _train(self, end: int) -> None:
        cfg = self.cfg
        with progress(disable=not cfg.run.progress or not self.world.is_main) as bar:
            task = bar.add_task(f"train {cfg.algo.name}", total=cfg.train.iterations, completed=self.start, status="")
            inner = BarReporter(bar)  # turns and mini-batches inside each iteration
            for it in range(self.start, end):
                if self.budget_spent():
                    break
                row = self.iteration(it, inner)
                if cfg.train.eval_every and (it + 1) % cfg.train.eval_every == 0:
                    row.update(self._eval_row())
                row = self._run_row(row)
                if row is not None:
                    self.metrics.write(row)
                reach("metrics")
                if (it + 1) % cfg.train.checkpoint_every == 0 or it + 1 == end or self.budget_spent():
                    self._save(it)
                bar.update(task, advance=1, status=self._status(row) if row is not None else "")

    def _run_row(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """The run's metrics row (every rank's merged, on rank 0; None on the others)."""
        if not self.world.distributed:
            return row
        rows = self.world.gather(row)
        return merge_rows(rows) if rows is not None else None

    def _save(self, it: int) -> None:
        ckpts, cfg = self.run_dir / "checkpoints", self.cfg
        if self.world.distributed:  # every rank writes its shards (torch.distributed.checkpoint)
            from siri.train.dist_checkpoint import save_sharded

            save_sharded(ckpts, it, self.model, self.tokenizer, self.optimizer, self.rng, self._state(),
                         cfg.train.keep_checkpoints, self.world, resolve_dtype(cfg.model.dtype))
            return
        save_checkpoint(ckpts, it, self.model, self.tokenizer, self.optimizer, self.rng, self._state(),
                        cfg.train.keep_checkpoints)

    def budget_spent(self) -> bool:
        """`train.max_env_steps` reached: runs of different methods stop at (about) equal environment steps;
        the iteration that crosses the budget is completed, so the overshoot is under one iteration."""
        budget = self.cfg.train.max_env_steps
        return budget is not None and self.env_steps_total >= budget

    def _eval_row(self) -> dict[str, Any]:
        t0 = time.perf_counter()
        res = self.evaluate()
        out = {f"eval/success/{k}": v["success"] for k, v in res.table.items() if k != "all"}
        out.update({"eval/success": res.success, "eval/ci_low": res.table["all"]["ci_low"],
                    "eval/ci_high": res.table["all"]["ci_high"], "eval/mean_steps": res.mean_steps,
                    "eval/invalid_ratio": res.invalid_ratio, "time/eval": time.perf_counter() - t0})
        return out

    def _status(self, row: dict[str, Any]) -> str:
        parts = [f"phase {row['phase']}", f"succ {row['train/success']:.2f}"]
        if "eval/success" in row:
            parts.append(f"eval {row['eval/success']:.2f}")
        return " | ".join(parts + self.method.status(row))

    def save_eval(self, result: EvalResult, name: str) -> None:
        if self.world.is_main:
            atomic_write_json(self.run_dir / "eval" / f"{name}.json", result.to_json())

    def final_eval(self) -> EvalResult:
        res = self.evaluate()
        self.save_eval(res, f"final_{res.split}")
        return res
