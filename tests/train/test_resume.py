"""Checkpoints and resume: after `kill -9` in the middle of an iteration, `--resume` continues from the
last complete checkpoint and the metrics continue the interrupted run's exactly."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from siri.train.checkpoint import latest_checkpoint
from siri.train.loop import Trainer
from siri.utils.metrics import read_metrics

TIMING = ("time/",)


def _comparable(rows):
    return [{k: v for k, v in r.items() if not k.startswith(TIMING)} for r in rows]


def _cli(config: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "siri.cli", "train", "--config", str(config), "--no-final-eval", *extra]


def _write_config(cfg, path: Path) -> Path:
    path.write_text(yaml.safe_dump(cfg.model_dump(mode="json")))
    return path


def test_checkpoint_holds_model_optimizer_rng_and_iteration(tiny_cfg):
    cfg = tiny_cfg("train.iterations=1")
    Trainer(cfg).run()
    ckpt = latest_checkpoint(cfg.run_dir / "checkpoints")
    assert ckpt is not None and ckpt.name == "iter_000000"
    assert (ckpt / "model" / "model.safetensors").exists() and (ckpt / "model" / "tokenizer.json").exists()
    assert {p.name for p in ckpt.iterdir()} == {"model", "optimizer.safetensors", "trainer.json", "state.json",
                                                 "complete.json"}  # no pickle anywhere
    assert json.loads((ckpt / "state.json").read_text())["iteration"] == 0
    marker = json.loads((ckpt / "complete.json").read_text())
    assert marker["files"]["model/model.safetensors"] == (ckpt / "model" / "model.safetensors").stat().st_size


def test_existing_run_needs_resume(tiny_cfg):
    from siri.utils.errors import UserError

    cfg = tiny_cfg("train.iterations=1")
    Trainer(cfg).run()
    with pytest.raises(UserError, match="--resume"):
        Trainer(cfg)


def test_kill_9_mid_iteration_then_resume_continues_the_metrics(tiny_cfg, tmp_path):
    iterations = 4
    # Reference: one uninterrupted run.
    ref_cfg = tiny_cfg(f"train.iterations={iterations}", "run.name=ref", "run.threads=1")
    Trainer(ref_cfg).run()
    reference = _comparable(read_metrics(ref_cfg.run_dir / "metrics.jsonl"))
    assert [r["iteration"] for r in reference] == list(range(iterations))

    # Same config in a subprocess, killed with SIGKILL once iteration 1 is checkpointed.
    cfg = tiny_cfg(f"train.iterations={iterations}", "run.name=killed", "run.threads=1")
    config = _write_config(cfg, tmp_path / "killed.yaml")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(_cli(config), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    ckpts = cfg.run_dir / "checkpoints"
    deadline = time.time() + 240
    while time.time() < deadline:
        latest = latest_checkpoint(ckpts)
        if latest is not None and latest.name == "iter_000001":
            break
        if proc.poll() is not None:
            pytest.fail("training finished before it could be killed")
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert latest_checkpoint(ckpts).name == "iter_000001"
    interrupted = read_metrics(cfg.run_dir / "metrics.jsonl")
    assert len(interrupted) < iterations

    done = subprocess.run(_cli(config, "--resume"), capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "resuming" in done.stdout
    resumed = _comparable(read_metrics(cfg.run_dir / "metrics.jsonl"))
    assert [r["iteration"] for r in resumed] == list(range(iterations))
    assert resumed == reference


def test_env_step_budget_stops_after_the_crossing_iteration_and_checkpoints_it(tiny_cfg):
    # 2 groups x 2 rollouts of at most 3 steps: 4..12 env steps an iteration, so a budget of 13 is
    # crossed in iteration 1 or 2, long before train.iterations=10.
    cfg = tiny_cfg("train.iterations=10", "train.max_env_steps=13", "train.checkpoint_every=100")
    Trainer(cfg).run()
    rows = [json.loads(line) for line in (cfg.run_dir / "metrics.jsonl").read_text().splitlines()]
    totals = [r["env_steps_total"] for r in rows]
    assert totals[-1] >= 13 and all(t < 13 for t in totals[:-1])
    assert 2 <= len(rows) <= 4
    ckpt = latest_checkpoint(cfg.run_dir / "checkpoints")
    assert ckpt is not None and json.loads((ckpt / "state.json").read_text())["iteration"] == rows[-1]["iteration"]
    Trainer(cfg, resume=True).run()  # the budget is spent: resuming adds no iteration
    assert len((cfg.run_dir / "metrics.jsonl").read_text().splitlines()) == len(rows)
