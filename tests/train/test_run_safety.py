"""Nothing lost, nothing run that was not asked for: output folders, checkpoints found by their marker,
pruning, leftovers, damaged files, changed configs on resume, run names, and no unpickling."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest

from siri.train.checkpoint import CheckpointError, complete_checkpoints, damage, latest_checkpoint
from siri.train.loop import Trainer
from siri.utils.errors import UserError
from siri.utils.metrics import read_metrics


def _iters(run_dir: Path) -> list[int]:
    return [r["iteration"] for r in read_metrics(run_dir / "metrics.jsonl")]


def test_init_model_refuses_a_folder_it_did_not_write_and_overwrite_keeps_other_files(tmp_path):
    from siri.cli import main
    from siri.policy.presets import init_model

    out = tmp_path / "v"
    (out / "sub").mkdir(parents=True)
    (out / "notes.txt").write_text("keep")
    with pytest.raises(UserError, match="is not empty; refusing to write into it"):
        init_model("tiny", out, texts=["push box left right"] * 20)
    assert main(["init-model", "--out", str(out)]) == 2
    init_model("tiny", out, texts=["push box left right"] * 20, overwrite=True)
    assert (out / "notes.txt").read_text() == "keep" and (out / "sub").is_dir() and (out / "config.json").is_file()


def test_resume_finds_the_newest_complete_checkpoint_without_latest(tiny_cfg):
    cfg = tiny_cfg("train.iterations=3", "train.keep_checkpoints=2")
    Trainer(cfg).run()
    ckpts = cfg.run_dir / "checkpoints"
    assert [p.name for p in complete_checkpoints(ckpts)] == ["iter_000001", "iter_000002"]
    (ckpts / "latest").unlink()
    (ckpts / "iter_000002" / "complete.json").unlink()  # as if killed before the marker
    trainer = Trainer(tiny_cfg("train.iterations=4", "train.keep_checkpoints=2"), resume=True)
    assert trainer.start == 2 and _iters(cfg.run_dir) == [0, 1]
    trainer.run()
    # The stale unmarked iter_000002 was replaced; pruning kept the one just written and the one before.
    assert [p.name for p in complete_checkpoints(ckpts)] == ["iter_000002", "iter_000003"]
    assert _iters(cfg.run_dir) == [0, 1, 2, 3]


def test_pruning_keeps_the_checkpoint_just_written_over_later_numbered_ones(tiny_cfg):
    cfg = tiny_cfg("train.iterations=1")
    Trainer(cfg).run()
    ckpts = cfg.run_dir / "checkpoints"
    shutil.copytree(ckpts / "iter_000000", ckpts / "iter_000007")  # a later, stale one
    shutil.rmtree(ckpts / "iter_000007" / "model")
    Trainer(tiny_cfg("train.iterations=2"), resume=True).run()  # iter 7 is damaged: resumes from 0
    assert [p.name for p in ckpts.iterdir() if p.name.startswith("iter_")] == ["iter_000001"]


def test_a_kill_before_the_first_checkpoint_leaves_no_stale_rows(tiny_cfg):
    cfg = tiny_cfg("train.iterations=2", "train.checkpoint_every=100")
    trainer = Trainer(cfg)
    trainer.metrics.write(trainer.iteration(0))  # iteration 0 ran, then the process died: no checkpoint
    assert _iters(cfg.run_dir) == [0]
    resumed = Trainer(cfg, resume=True)
    assert resumed.start == 0 and _iters(cfg.run_dir) == []
    resumed.run()
    assert _iters(cfg.run_dir) == [0, 1]


def test_leftover_temporary_writes_are_removed_on_resume(tiny_cfg, capsys):
    cfg = tiny_cfg("train.iterations=1")
    Trainer(cfg).run()
    ckpts = cfg.run_dir / "checkpoints"
    (ckpts / ".iter_000001.abc123.tmp" / "model").mkdir(parents=True)
    (ckpts / ".latest.x1.tmp").write_text("iter_000001\n")
    (cfg.run_dir / ".metrics.jsonl.q9.tmp").write_text("{}")
    (cfg.run_dir / ".mine.txt").write_text("not ours")
    Trainer(tiny_cfg("train.iterations=1"), resume=True)
    assert "removed 3 unfinished writes" in capsys.readouterr().out
    assert sorted(p.name for p in ckpts.iterdir()) == ["iter_000000", "latest"]
    assert (cfg.run_dir / ".mine.txt").exists()  # never deletes what it did not write


def test_garbled_and_binary_metrics_lines_are_counted_not_fatal(tiny_cfg, capsys):
    cfg = tiny_cfg("train.iterations=2")
    Trainer(cfg).run()
    with open(cfg.run_dir / "metrics.jsonl", "ab") as f:
        f.write(b'{"iteration": 9, "torn\n\xff\xfe\x00binary\n[1, 2]\n')
    Trainer(cfg, resume=True)
    assert "dropped 3 unreadable lines" in capsys.readouterr().out
    assert _iters(cfg.run_dir) == [0, 1]


def test_a_truncated_weights_file_is_named_and_the_previous_checkpoint_is_used(tiny_cfg, capsys):
    cfg = tiny_cfg("train.iterations=2", "train.keep_checkpoints=2")
    Trainer(cfg).run()
    weights = cfg.run_dir / "checkpoints" / "iter_000001" / "model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    assert "model/model.safetensors has 1000 bytes" in damage(weights.parent.parent)
    trainer = Trainer(cfg, resume=True)
    out = capsys.readouterr().out
    assert "iter_000001 is damaged: model/model.safetensors has 1000 bytes" in out and trainer.start == 1
    assert _iters(cfg.run_dir) == [0]


def test_a_garbled_file_of_the_same_size_is_one_line_naming_it(tiny_cfg):
    from siri.train.checkpoint import restore_newest

    cfg = tiny_cfg("train.iterations=1")
    trainer = Trainer(cfg)
    trainer.run()
    trainer_json = cfg.run_dir / "checkpoints" / "iter_000000" / "trainer.json"
    trainer_json.write_bytes(b"\xff" * trainer_json.stat().st_size)
    with pytest.raises(CheckpointError, match=r"trainer.json cannot be read") as err:
        restore_newest(cfg.run_dir / "checkpoints", trainer.model, trainer.optimizer, trainer.rng, echo=lambda s: None)
    assert "\n" not in str(err.value)


def test_resume_refuses_a_changed_setting_and_applies_a_resumable_one(tiny_cfg, capsys):
    cfg = tiny_cfg("train.iterations=1")
    Trainer(cfg).run()
    with pytest.raises(UserError, match=r"--resume: train.lr was 0.001 in this run and is 0.0001 now"):
        Trainer(tiny_cfg("train.iterations=1", "train.lr=1e-4"), resume=True)
    assert "lr: 0.001" in (cfg.run_dir / "config.yaml").read_text()  # nothing written before the check
    with pytest.raises(UserError, match=r"model.path was"):
        Trainer(tiny_cfg("train.iterations=1", f"model.path={cfg.run_dir}"), resume=True)
    Trainer(tiny_cfg("train.iterations=3", "eval.episodes=5"), resume=True)
    assert "train.iterations: 1 -> 3" in capsys.readouterr().out
    assert "iterations: 3" in (cfg.run_dir / "config.yaml").read_text()


def test_resume_needs_a_run_and_sft_refuses_an_existing_one(tiny_cfg, tmp_path):
    from siri.sft.run import run_sft

    with pytest.raises(UserError, match="holds no run"):
        Trainer(tiny_cfg("run.name=never"), resume=True)
    cfg = tiny_cfg("train.iterations=1")
    Trainer(cfg).run()
    with pytest.raises(UserError, match="already holds a run"):
        run_sft(cfg)


@pytest.mark.parametrize("name", ["../../x", "a/b", "..", ".hidden", "x\\y"])
def test_run_name_is_one_folder(tiny_cfg, name):
    with pytest.raises(UserError, match=r"^config error: run.name: must be one folder name"):
        tiny_cfg(f"run.name={name}")


class _Payload:
    """Unpickling this touches a file: the attack a pickled checkpoint allows."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (Path.write_text, (Path(self.path), "pwned"))


def test_a_crafted_pickle_in_a_checkpoint_is_never_loaded(tiny_cfg, tmp_path):
    cfg = tiny_cfg("train.iterations=1")
    Trainer(cfg).run()
    ckpt = latest_checkpoint(cfg.run_dir / "checkpoints")
    touched = tmp_path / "touched"
    for name in ("trainer.pt", "optimizer.pt", "rng.pkl"):
        (ckpt / name).write_bytes(pickle.dumps(_Payload(str(touched))))
    Trainer(tiny_cfg("train.iterations=2"), resume=True).run()
    assert not touched.exists()
    src = Path(__file__).resolve().parents[2] / "src"
    assert not [p for p in src.rglob("*.py") if "torch.load(" in p.read_text() or "pickle.load" in p.read_text()]


def test_latest_pointing_outside_the_run_is_ignored(tiny_cfg, tmp_path):
    other = tiny_cfg("train.iterations=2", "run.name=other")
    Trainer(other).run()
    cfg = tiny_cfg("train.iterations=1")
    Trainer(cfg).run()
    (cfg.run_dir / "checkpoints" / "latest").write_text(str(other.run_dir / "checkpoints" / "iter_000001") + "\n")
    assert Trainer(cfg, resume=True).start == 1  # its own iter_000000, not the other run's iter_000001


def test_eval_of_an_sft_model_uses_that_runs_config_and_writes_under_the_run(tiny_model_dir, tmp_path):
    import yaml

    from siri.cli import main
    from siri.config import load_config, save_config

    run = tmp_path / "sft_run"
    shutil.copytree(tiny_model_dir, run / "model")
    save_config(load_config(None, ["env.name=sokoban", "env.max_steps=2", "sampling.max_new_tokens=4",
                                   "run.progress=false", "eval.batch_episodes=2"]), run / "config.yaml")
    assert main(["eval", "--checkpoint", str(run / "model"), "--episodes", "2"]) == 0
    result = json.loads((run / "eval" / "sokoban_eval.json").read_text())
    assert result["episodes"] == 2 and "sokoban" in result["success"]
    assert not (run / "model" / "eval").exists()
    bare = tmp_path / "bare"
    shutil.copytree(tiny_model_dir, bare)
    assert main(["eval", "--checkpoint", str(bare), "--episodes", "2"]) == 2  # no run, no --config: refused
    assert yaml.safe_load((run / "config.yaml").read_text())["env"]["name"] == "sokoban"


def test_a_checkpoint_of_another_model_is_one_line(tiny_cfg, tmp_path):
    from siri.policy.loading import load_policy
    from siri.policy.presets import init_model
    from siri.train.checkpoint import load_checkpoint

    cfg = tiny_cfg("train.iterations=1")
    trainer = Trainer(cfg)
    trainer.run()
    other, _ = load_policy(init_model("tiny", tmp_path / "other", texts=["a b c d e f g"] * 20), device="cpu")
    with pytest.raises(CheckpointError, match=r"does not fit the model: model.embed_tokens.weight has shape") as err:
        load_checkpoint(latest_checkpoint(cfg.run_dir / "checkpoints"), other, trainer.optimizer, trainer.rng)
    assert "\n" not in str(err.value)
