"""Chaos: a run killed with SIGKILL at a named point (`siri.utils.failpoints`) and resumed ends with
exactly the metrics, checkpoint and files of a run that was never killed: no duplicate or missing
rows, no damaged checkpoint loaded, no temporary folder left (docs/run-directory.md "Resuming")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from siri.train.checkpoint import damage, latest_checkpoint
from siri.train.loop import Trainer
from siri.utils.metrics import read_metrics_counted

ITERATIONS = 4
# Point -> which time it is reached. Iteration 0 runs before any checkpoint exists.
SHORT = ["rollout@1", "checkpoint:marker@2", "update@3"]
ALL = SHORT + [
    "update@1", "metrics@1", "checkpoint:model@1", "checkpoint:optimizer@1", "checkpoint:trainer@1",
    "checkpoint:state@1", "checkpoint:marker@1", "checkpoint:rename@1", "checkpoint:latest@1",
    "checkpoint:prune@2", "rollout@3", "checkpoint:model@3", "metrics@4",
]


def _rows(run_dir: Path) -> tuple[list[dict], int]:
    rows, bad = read_metrics_counted(run_dir / "metrics.jsonl")
    return [{k: v for k, v in r.items() if not k.startswith("time/")} for r in rows], bad


def _train(config: Path, *extra: str, failpoint: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SIRI_FAILPOINT"}
    if failpoint:
        env["SIRI_FAILPOINT"] = failpoint
    cmd = [sys.executable, "-m", "siri.cli", "train", "--config", str(config), "--no-final-eval", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def _leftovers(run_dir: Path) -> list[str]:
    return sorted(p.name for d in (run_dir, run_dir / "checkpoints") if d.is_dir() for p in d.iterdir()
                  if p.name.startswith("."))


@pytest.fixture(scope="module")
def reference(tiny_model_dir, tmp_path_factory):
    from siri.config import load_config

    out = tmp_path_factory.mktemp("chaos")
    overrides = ["env.name=sokoban", "env.max_steps=3", f"model.path={tiny_model_dir}", f"run.out_dir={out}",
                 "run.progress=false", "run.threads=1", f"train.iterations={ITERATIONS}", "train.groups_per_iter=2",
                 "train.group_size=2", "train.lr=1e-3", "train.micro_batch_rows=4", "train.mini_batch_rows=6",
                 "sampling.max_new_tokens=6", "eval.episodes=2"]
    cfg = load_config(None, [*overrides, "run.name=ref"])
    Trainer(cfg).run()
    rows, bad = _rows(cfg.run_dir)
    assert bad == 0 and [r["iteration"] for r in rows] == list(range(ITERATIONS))
    weights = (latest_checkpoint(cfg.run_dir / "checkpoints") / "model" / "model.safetensors").read_bytes()
    return out, overrides, rows, weights


def _kill_and_resume(reference, point: str) -> dict:
    out, overrides, ref_rows, ref_weights = reference
    name = "k_" + point.replace(":", "_").replace("@", "_")
    config = out / f"{name}.yaml"
    config.write_text(yaml.safe_dump(_cfg_dict(overrides, name)))
    killed = _train(config, failpoint=point)
    assert killed.returncode == -signal.SIGKILL, f"{point} was not reached: {killed.stderr[-500:]}"
    run_dir = out / name
    resumed = _train(config, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    rows, bad = _rows(run_dir)
    iters = [r["iteration"] for r in rows]
    ckpt = latest_checkpoint(run_dir / "checkpoints")
    return {
        "duplicate_rows": len(iters) - len(set(iters)),
        "missing_rows": len(set(range(ITERATIONS)) - set(iters)),
        "rows_differ": int(rows != ref_rows),
        "unreadable_lines": bad,
        "damaged_checkpoint": int(ckpt is None or damage(ckpt) is not None),
        "weights_differ": int(ckpt is None or (ckpt / "model" / "model.safetensors").read_bytes() != ref_weights),
        "leftovers": len(_leftovers(run_dir)),
    }


def _cfg_dict(overrides: list[str], name: str) -> dict:
    from siri.config import load_config

    return load_config(None, [*overrides, f"run.name={name}"]).model_dump(mode="json")


@pytest.mark.parametrize("point", SHORT)
def test_kill_at_a_point_then_resume_equals_an_uninterrupted_run(reference, point):
    assert _kill_and_resume(reference, point) == {
        "duplicate_rows": 0, "missing_rows": 0, "rows_differ": 0, "unreadable_lines": 0,
        "damaged_checkpoint": 0, "weights_differ": 0, "leftovers": 0}


@pytest.mark.slow
@pytest.mark.parametrize("point", [p for p in ALL if p not in SHORT])
def test_kill_anywhere_then_resume_equals_an_uninterrupted_run(reference, point):
    assert _kill_and_resume(reference, point) == {
        "duplicate_rows": 0, "missing_rows": 0, "rows_differ": 0, "unreadable_lines": 0,
        "damaged_checkpoint": 0, "weights_differ": 0, "leftovers": 0}
