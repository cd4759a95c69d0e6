"""A method from outside the package: its own config class and hooks, registered with one call,
trains through the unchanged loop (docs/architecture.md "Algorithms")."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pytest
from pydantic import Field

from siri.algos.registry import ADVANTAGES, OLD_LOGPROBS
from siri.config import AlgoConfig, load_config
from siri.rollout.engine import Variant
from siri.train.batch import TrainRow
from siri.train.methods.base import Method, Prepared
from siri.train.methods.registry import make_method, method_names, register_method, unregister_method
from siri.train.update import LossPlan
from siri.utils.errors import UserError


class ReinforceConfig(AlgoConfig):
    baseline: float = Field(0.5, ge=0.0)


class Reinforce(Method):
    """REINFORCE with a constant baseline: A = R(τ) − b on every token of τ; it tags odd
    trajectories in their variant and records a plain view for them, to show both reach its rows."""

    def __init__(self, cfg: Any):
        super().__init__(cfg)
        self.calls: list[str] = []
        self.seen_seeds: list[int] = []

    def begin_iteration(self, iteration: int, seeds: Sequence[int]):
        self.calls.append("begin")
        self.seen_seeds = list(seeds)
        return lambda g, i, task_type: Variant(meta={"odd": True}, views={"plain": None}) if i % 2 else Variant()

    def prepare(self, batch, ctx) -> Prepared:
        self.calls.append("prepare")
        totals = {t.traj_id: t.total_reward for t in batch.trajectories}
        rows = []
        for r in batch.rows:
            n = len(r.response_ids)
            adv = totals[r.traj_id] - self.algo.baseline
            rows.append(TrainRow(dict(r.prompts), list(r.response_ids),
                                 {ADVANTAGES: [adv] * n, OLD_LOGPROBS: list(r.behavior_logprobs)}))
        odd_rows = sum(1 for r in batch.rows if r.meta.get("odd") and "plain" in r.prompts)
        return Prepared(rows, LossPlan({"pg": 1.0}), {"reinforce/odd_rows": float(odd_rows),
                                                      "reinforce/adv_mean": float(np.mean([r.fields[ADVANTAGES][0] for r in rows]))})

    def end_iteration(self, ctx) -> None:
        self.calls.append("end")

    def status(self, row: Mapping[str, Any]) -> list[str]:
        return [f"odd {row['reinforce/odd_rows']:.0f}"]

    def state_dict(self) -> dict[str, Any]:
        return {"calls": len(self.calls)}


@pytest.fixture
def reinforce():
    register_method("reinforce", ReinforceConfig, Reinforce)
    yield
    unregister_method("reinforce")


def test_an_outside_method_validates_its_own_config(reinforce):
    assert "reinforce" in method_names()
    cfg = load_config(None, ["algo.name=reinforce", "algo.baseline=1.5"])
    assert isinstance(cfg.algo, ReinforceConfig) and cfg.algo.baseline == 1.5
    with pytest.raises(UserError, match=r"unknown key 'algo.gamma'; allowed under 'algo' \(algo.name=reinforce\): "
                                        r"baseline, name"):
        load_config(None, ["algo.name=reinforce", "algo.gamma=0.9"])
    with pytest.raises(ValueError, match="already registered"):
        register_method("reinforce", ReinforceConfig, Reinforce)


def test_an_outside_method_trains_one_iteration_through_the_loop(reinforce, tiny_cfg):
    from siri.train.loop import Trainer, group_seeds
    from siri.utils.metrics import read_metrics

    cfg = tiny_cfg("algo.name=reinforce", "algo.baseline=0", "train.iterations=1")
    trainer = Trainer(cfg)
    assert isinstance(trainer.method, Reinforce)
    trainer.run()
    (row,) = read_metrics(cfg.run_dir / "metrics.jsonl")
    assert row["phase"] == "reinforce" and row["update/pg/loss"] == row["update/pg/loss"]  # a number, not NaN
    assert trainer.method.calls == ["begin", "prepare", "end"]
    assert trainer.method.seen_seeds == group_seeds(cfg.run.seed, 0, cfg.train.groups_per_iter)
    # Trajectories 1 and 3 (odd index in their group of 2) carried the tag and the plain view on every row.
    assert row["reinforce/odd_rows"] == row["train/env_steps"] / 2
    assert "odd" in trainer._status(row)


def test_make_method_builds_the_registered_class():
    cfg = load_config(None, ["algo.name=grpo"])
    from siri.train.methods.rl.method import AdvantageMethod

    assert type(make_method(cfg)) is AdvantageMethod and make_method(cfg).name == "grpo"
