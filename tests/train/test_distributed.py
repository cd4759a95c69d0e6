"""Several processes on CPU (gloo, 2 processes; docs/architecture.md "Many processes"): one sharded
update on half the rows each equals the one-process update on all of them; a 2-process `siri train`
killed with SIGKILL resumes and continues its metrics; SIRI runs with rank 0 deciding its bank."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file, save_file

from siri.algos.registry import ADVANTAGES, INT_WEIGHTS, OLD_LOGPROBS, REF_LOGPROBS
from siri.policy.loading import load_policy
from siri.train.batch import TrainRow
from siri.train.update import LossPlan, UpdateSettings, policy_update

WORLD = 2
LR = 0.5  # plain SGD: a gradient off by any factor moves the weights differently (AdamW's first step would not)
PLAN = LossPlan(coefs={"pg": 1.0, "kl": 0.1, "entropy": 0.01, "internalization": 0.5},
                mask_fields={"internalization": "int_mask"},
                params={"pg": {"clip_low": 0.2, "clip_high": 0.28}})
# One mini-batch of all 8 rows, micro-batches of 2: rank 0 (5 rows) runs 3 micro-batches, rank 1 (3 rows)
# 2 and one zero-weight pass; only rank 0's rows have the plain view the internalization term reads.
SETTINGS = UpdateSettings(mini_batch_rows=64, micro_batch_rows=2, grad_clip=1e9)
PROBE = ("push the box up", "<action>up</action>")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _join(rank: int, port: int) -> None:
    """What torchrun sets for each process."""
    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
                       "LOCAL_RANK": str(rank), "WORLD_SIZE": str(WORLD)})
    torch.set_num_threads(1)


def _rows(tok) -> list[TrainRow]:
    texts = ["push every box onto a target", "up down left", "You see a wall.", "move the box right",
             "the target is below", "left left up", "a box is next to you", "go down now"]
    rows = []
    for k, text in enumerate(texts):
        prompt, resp = tok.encode(text), tok.encode(f"<action>{['up', 'down', 'left', 'right'][k % 4]}</action>")
        n = len(resp)
        fields = {ADVANTAGES: [1.0 - 0.3 * k] * n, OLD_LOGPROBS: [-6.0 + 0.1 * k] * n,
                  REF_LOGPROBS: [-6.5 + 0.05 * k] * n}
        plain = k < 2
        fields[INT_WEIGHTS] = [0.8 if plain else 0.0] * n
        fields["int_mask"] = [1.0 if plain else 0.0] * n
        prompts = {"sampled": prompt, **({"plain": prompt[1:]} if plain else {})}
        rows.append(TrainRow(prompts=prompts, response_ids=resp, fields=fields))
    return rows


def _probe_logprobs(model, tok) -> torch.Tensor:
    from siri.policy.scoring import score

    return score(model, [tok.encode(PROBE[0])], [tok.encode(PROBE[1])])[0]


def _update_worker(rank: int, port: int, model_dir: str, out: str) -> None:
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    from siri.policy.sharding import gathered, shard_model
    from siri.skills.generators.self import frozen_copy
    from siri.train.distributed import init_world, shutdown

    _join(rank, port)
    world = init_world("cpu")
    model, tok = load_policy(model_dir, "cpu")
    shard_model(model, "cpu", WORLD)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    rows = _rows(tok)
    mine = rows[:5] if rank == 0 else rows[5:]
    metrics = policy_update(model, optimizer, mine, PLAN, SETTINGS, tok.pad_token_id,
                            torch.Generator().manual_seed(rank), sync=world)
    full = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    with gathered(model):
        probe = _probe_logprobs(frozen_copy(model), tok)  # a plain copy of the gathered weights
    if rank == 0:
        save_file({k: v.clone().contiguous() for k, v in full.items()}, f"{out}/params.safetensors")
        Path(out, "result.json").write_text(json.dumps({"metrics": metrics, "probe": probe.tolist()}))
    shutdown()


def test_two_process_update_equals_the_one_process_update_on_the_union_of_rows(tiny_model_dir, tmp_path):
    model, tok = load_policy(tiny_model_dir, "cpu")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    one = policy_update(model, optimizer, _rows(tok), PLAN, SETTINGS, tok.pad_token_id, torch.Generator().manual_seed(0))
    mp.spawn(_update_worker, args=(_free_port(), str(tiny_model_dir), str(tmp_path)), nprocs=WORLD, join=True)
    two = load_file(str(tmp_path / "params.safetensors"))
    result = json.loads((tmp_path / "result.json").read_text())
    after = model.state_dict()
    assert set(two) == set(after)
    moved = max(float((after[k] - before[k]).abs().max()) for k in after)
    error = max(float((two[k] - after[k]).abs().max()) for k in after)
    assert moved > 1e-2, "the update must move the weights for the comparison to mean anything"
    assert error < 1e-5, f"2-process weights differ from the 1-process ones by {error:.2e}"
    for key in ("loss", "pg/loss", "kl/loss", "entropy/loss", "internalization/loss", "grad_norm"):
        assert result["metrics"][key] == pytest.approx(one[key], rel=1e-5, abs=1e-6), key
    probe = _probe_logprobs(model, tok)
    assert torch.allclose(torch.tensor(result["probe"]), probe, atol=1e-5)


# ---- the `siri train` command under torchrun ----------------------------------------------------
def _overrides(model_dir: Path, out: Path, *extra: str) -> list[str]:
    return ["env.name=sokoban", "env.max_steps=3", f"model.path={model_dir}", f"run.out_dir={out}", "run.name=d",
            "run.progress=false", "run.threads=1", "run.device=cpu", "train.iterations=3", "train.groups_per_iter=2",
            "train.group_size=2", "train.lr=1e-3", "train.micro_batch_rows=4", "train.mini_batch_rows=6",
            "train.kl_coef=0.01", "sampling.max_new_tokens=6", "eval.episodes=2", *extra]


def _torchrun(overrides: list[str], *flags: str, failpoint: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SIRI_FAILPOINT"}
    env["OMP_NUM_THREADS"] = "1"
    if failpoint:
        env["SIRI_FAILPOINT"] = failpoint  # each process sends itself SIGKILL there, as `kill -9` would
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={WORLD}",
           "-m", "siri.cli", "train", "--no-final-eval", *flags, *overrides]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=400)


@pytest.mark.slow  # two torchrun launches of 2 processes each: about a minute on 2 loaded cores
def test_a_killed_two_process_run_resumes_and_continues_its_metrics(tiny_model_dir, tmp_path):
    from siri.train.checkpoint import latest_checkpoint, load_checkpoint
    from siri.utils.errors import UserError
    from siri.utils.metrics import read_metrics

    overrides = _overrides(tiny_model_dir, tmp_path, "train.iterations=2")
    killed = _torchrun(overrides, failpoint="update@2")  # in iteration 1, after checkpoint 0
    assert killed.returncode != 0
    assert f"exitcode  : -{int(signal.SIGKILL)}" in killed.stderr, killed.stderr[-2000:]
    run_dir = tmp_path / "d"
    assert [r["iteration"] for r in read_metrics(run_dir / "metrics.jsonl")] == [0]
    assert latest_checkpoint(run_dir / "checkpoints").name == "iter_000000"

    resumed = _torchrun(overrides, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "after iteration 0" in resumed.stdout and resumed.stdout.count("resuming") == 1  # rank 0 speaks
    rows = read_metrics(run_dir / "metrics.jsonl")
    assert [r["iteration"] for r in rows] == [0, 1]
    assert all(r["train/env_steps"] == 2 * 2 * 3 for r in rows)  # both ranks' groups: 2 groups x 2 x 3 steps
    assert [r["env_steps_total"] for r in rows] == [12, 24]  # the loop's state came back with the checkpoint
    ckpt = latest_checkpoint(run_dir / "checkpoints")
    assert ckpt.name == "iter_000001"
    assert json.loads((ckpt / "state.json").read_text())["world_size"] == WORLD
    assert sorted(p.name for p in (ckpt / "rng").iterdir()) == [
        "rank_00000.json", "rank_00000.safetensors", "rank_00001.json", "rank_00001.safetensors"]
    # The consolidated model loads like any Hugging Face model; one process may not resume the shards.
    model, _ = load_policy(ckpt / "model", "cpu")
    with pytest.raises(UserError, match="written by several processes"):
        load_checkpoint(ckpt, model, torch.optim.AdamW(model.parameters()), None)


# ---- SIRI ---------------------------------------------------------------------------------------
SKILL = "Push the box toward the target before you walk around it."


def _siri_worker(rank: int, port: int, overrides: list[str], out: str) -> None:
    from siri.config import load_config
    from siri.train.distributed import shutdown
    from siri.train.loop import Trainer

    _join(rank, port)
    trainer = Trainer(load_config(None, overrides))
    trainer.method.bank.add_candidates("sokoban", [SKILL], "extractive")  # the same bank on every rank
    trainer.run()
    Path(out, f"state_{rank}.json").write_text(json.dumps(trainer.method.state_dict(), sort_keys=True))
    shutdown()


def test_siri_runs_under_two_processes_with_one_bank(tiny_model_dir, tmp_path):
    from siri.skills.records import read_skills
    from siri.utils.metrics import read_metrics

    overrides = _overrides(tiny_model_dir, tmp_path, "algo.name=siri", "algo.generator=extractive",
                           "algo.warmup=false", "algo.phase1_max_iters=1", "algo.n_eval=2", "train.iterations=2",
                           "train.group_size=4", "train.kl_coef=0")
    mp.spawn(_siri_worker, args=(_free_port(), overrides, str(tmp_path)), nprocs=WORLD, join=True)
    run_dir = tmp_path / "d"
    rows = read_metrics(run_dir / "metrics.jsonl")
    assert [r["phase"] for r in rows] == ["phase1", "phase2"]
    assert rows[0]["paired/groups"] == 2.0  # group 0 (rank 0) and group 1 (rank 1), judged on rank 0
    (skill,) = read_skills(run_dir / "skills.jsonl")
    evals = [(e["iteration"], e["group"]) for e in skill.evaluations]
    assert sorted(evals)[:2] == [(0, 0), (0, 1)] and len(evals) == len(set(evals))  # each group once
    states = [json.loads((tmp_path / f"state_{r}.json").read_text()) for r in range(WORLD)]
    assert states[0] == states[1]  # rank 1 holds rank 0's decisions
    assert states[0]["bank"]["skills"][0]["evaluations"] == skill.evaluations  # the file is that bank
