"""Atomic writes leave the old or the new file, never half of one; metrics rows survive torn lines."""

import json
import os

import pytest

from siri.utils.atomic import atomic_dir, atomic_write_json, atomic_write_text
from siri.utils.errors import install_hint
from siri.utils.metrics import MetricsWriter, read_metrics
from siri.utils.trackers import TensorBoardTracker


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "a" / "f.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert os.listdir(target.parent) == ["f.txt"]


def test_failed_write_keeps_old_content(tmp_path, monkeypatch):
    target = tmp_path / "f.json"
    atomic_write_json(target, {"a": 1})

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_json(target, {"a": 2})
    monkeypatch.undo()
    assert json.loads(target.read_text()) == {"a": 1}
    assert os.listdir(tmp_path) == ["f.json"]


def test_atomic_dir_swaps_whole_directory(tmp_path):
    ckpt = tmp_path / "ckpt"
    with atomic_dir(ckpt) as d:
        (d / "x").write_text("1")
    with pytest.raises(RuntimeError):
        with atomic_dir(ckpt) as d:
            (d / "x").write_text("2")
            raise RuntimeError("crash mid-save")
    assert (ckpt / "x").read_text() == "1"
    with atomic_dir(ckpt) as d:
        (d / "y").write_text("3")
    assert sorted(os.listdir(ckpt)) == ["y"]
    assert sorted(os.listdir(tmp_path)) == ["ckpt"]


def test_metrics_rows_nan_to_null_and_torn_line_ignored(tmp_path):
    w = MetricsWriter(tmp_path / "metrics.jsonl")
    w.write({"iteration": 0, "loss": 1.5})
    w.write({"iteration": 1, "loss": float("nan")})
    with open(tmp_path / "metrics.jsonl", "a") as f:
        f.write('{"iteration": 2, "lo')  # a crash in the middle of a write
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert rows == [{"iteration": 0, "loss": 1.5}, {"iteration": 1, "loss": None}]


def test_metrics_truncate_after_resume_point(tmp_path):
    w = MetricsWriter(tmp_path / "m.jsonl")
    for i in range(5):
        w.write({"iteration": i})
    w.truncate_after(2)
    assert [r["iteration"] for r in read_metrics(tmp_path / "m.jsonl")] == [0, 1, 2]


def test_atomic_files_get_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "r.md", "x")
        with atomic_dir(tmp_path / "d") as d:
            (d / "f").write_text("1")
    finally:
        os.umask(old)
    assert (tmp_path / "r.md").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o755


def test_tensorboard_logging_when_installed(tmp_path):
    pytest.importorskip("tensorboard", reason=f"optional extra: {install_hint('tensorboard')}")
    w = MetricsWriter(tmp_path / "m.jsonl", [TensorBoardTracker(tmp_path / "tb", {"run": {"name": "x"}})])
    w.write({"iteration": 0, "loss": 1.0})
    w.close()
    assert any((tmp_path / "tb").iterdir())


def test_tensorboard_missing_is_a_clear_error(tmp_path, monkeypatch):
    import builtins

    from siri.utils.errors import UserError

    real_import = builtins.__import__

    def no_tb(name, *args, **kwargs):
        if name.startswith("torch.utils.tensorboard"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tb)
    with pytest.raises(UserError) as err:
        TensorBoardTracker(tmp_path / "tb", {})
    assert str(err.value).endswith("pip install 'siri-rl[tensorboard]' (in a source checkout: pip install -e '.[tensorboard]')")
