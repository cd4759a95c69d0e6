"""Experiment trackers beside `metrics.jsonl` (docs/run-directory.md "Trackers"): TensorBoard and
Weights & Biases receive the config when they open, then every numeric key of each metrics row at
step `iteration`, and are closed when training ends. `metrics.jsonl` stays the source of truth; a
tracker is a view of it, so each is one small class with `log` and `close`.

Both write inside the run directory only (`RUN_DIR/tensorboard`, `RUN_DIR/wandb`). A W&B run keeps
one id, stored in `RUN_DIR/wandb/run_id`, so `siri train --resume` continues the same W&B run.
"""

from __future__ import annotations

import importlib
import math
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Protocol

import yaml

from siri.utils.atomic import atomic_write_text
from siri.utils.errors import UserError, install_hint
from siri.utils.textfiles import read_utf8

if TYPE_CHECKING:
    from siri.config import Config

WANDB_ID_FILE = "run_id"
PACKAGES = {"tensorboard": "torch.utils.tensorboard", "wandb": "wandb"}  # run.<key> -> the module it needs
HINTS = {"tensorboard": install_hint("tensorboard"), "wandb": install_hint("wandb")}  # run.<key> -> its extra


class Tracker(Protocol):
    def log(self, scalars: Mapping[str, float], step: int) -> None: ...

    def close(self) -> None: ...


def numeric(row: Mapping[str, Any]) -> dict[str, float]:
    """The keys of a metrics row a tracker can plot: finite ints and floats (bools and text are not)."""
    return {k: v for k, v in row.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def row_step(row: Mapping[str, Any]) -> int:
    """A row's step for the trackers: its `iteration`, which every RL row has."""
    step = row.get("iteration")
    if not isinstance(step, int) or isinstance(step, bool):
        raise ValueError(f"a metrics row sent to trackers needs an integer 'iteration' (its step), got {step!r}")
    return step


def missing_package(key: str) -> UserError:
    return UserError(f"run.{key} needs the {key} package: {HINTS[key]}")


def require_packages(cfg: Config) -> None:
    """Fail in one line before any work starts when a tracker `cfg.run` turns on is not installed."""
    for key, module in PACKAGES.items():
        if getattr(cfg.run, key):
            try:
                importlib.import_module(module)
            except ImportError:
                raise missing_package(key) from None


class TensorBoardTracker:
    """Scalars under their metrics keys; the config as a text entry named `config`."""

    def __init__(self, folder: Path, config: Mapping[str, Any]):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # pragma: no cover - optional extra
            raise missing_package("tensorboard") from None
        self._writer = SummaryWriter(str(folder))
        text = yaml.safe_dump(dict(config), sort_keys=False)
        self._writer.add_text("config", "".join("    " + line for line in text.splitlines(True)))  # markdown code

    def log(self, scalars: Mapping[str, float], step: int) -> None:
        for key, value in scalars.items():
            self._writer.add_scalar(key, value, step)
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


class WandbTracker:
    """One W&B run named `run.name`, its files in `RUN_DIR/wandb`, resumed by the id stored there.

    `mode` None lets W&B decide (the WANDB_MODE variable, else online); WANDB_ENTITY and the other
    WANDB_* variables keep their usual meaning.
    """

    def __init__(self, run_dir: Path, name: str, config: Mapping[str, Any], project: str, mode: str | None):
        try:
            import wandb
        except ImportError:
            raise missing_package("wandb") from None
        folder = Path(run_dir) / "wandb"
        folder.mkdir(parents=True, exist_ok=True)
        run_id = stored_run_id(folder / WANDB_ID_FILE)
        self._run = wandb.init(project=project, name=name, id=run_id, resume="allow",
                               dir=str(Path(run_dir).resolve()), config=dict(config), allow_val_change=True,
                               mode=mode)

    def log(self, scalars: Mapping[str, float], step: int) -> None:
        self._run.log(dict(scalars), step=step)

    def close(self) -> None:
        self._run.finish()


def stored_run_id(path: Path) -> str:
    """The id saved at `path`, or a new random one (12 hex digits) saved there first: before the
    tracker opens, so a run killed at any point resumes under the same id."""
    if path.is_file():
        run_id = read_utf8(path).strip()
        if run_id:
            return run_id
    run_id = secrets.token_hex(6)
    atomic_write_text(path, run_id + "\n")
    return run_id


def open_trackers(cfg: Config, run_dir: Path) -> list[Tracker]:
    """The trackers `cfg.run` turns on, opened with the resolved config; none by default."""
    config = cfg.model_dump(mode="json")
    opened: list[Tracker] = []
    try:
        if cfg.run.tensorboard:
            opened.append(TensorBoardTracker(run_dir / "tensorboard", config))
        if cfg.run.wandb:
            opened.append(WandbTracker(run_dir, cfg.run.name, config, cfg.run.wandb_project, cfg.run.wandb_mode))
    except BaseException:
        for tracker in opened:
            tracker.close()
        raise
    return opened
