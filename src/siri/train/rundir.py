"""Opening a run directory for training (docs/run-directory.md "Resuming"): a new run never writes
over an old one, `--resume` needs a run to resume, and a resumed run keeps its settings.

On resume the saved `config.yaml` is compared with the new config. Only the keys of
`RESUMABLE` may differ (how long to train, how often to evaluate and checkpoint, evaluation
settings, display, and gradient checkpointing, which changes memory and time but not the step);
any other difference would silently mix two settings in one run (the optimizer, for one, keeps the
checkpoint's learning rate), so it is refused in one line naming the key.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from siri.config import Config, load_config, save_config
from siri.utils.dotted import dotted
from siri.utils.errors import UserError

RESUMABLE = (
    "run.progress", "run.threads", "run.tensorboard", "run.wandb", "model.gradient_checkpointing",
    "train.iterations", "train.max_env_steps", "train.eval_every", "train.checkpoint_every",
    "train.keep_checkpoints", "eval.",
)
LOCATION = ("run.name", "run.out_dir")  # they say where the run is, not how it runs
# Leftovers of atomic writes killed midway in a run directory or its checkpoints/ folder: only the
# names this project's writers make (`.NAME.<random>.tmp`, and `atomic_dir`'s `.iter_N.old`).
_LEFTOVER = re.compile(r"^\.((iter_\d{6,})\.(.+\.tmp|old)|(latest|config\.yaml|metrics\.jsonl|skills\.jsonl)\..+\.tmp)$")


def config_changes(saved: Config, new: Config) -> dict[str, tuple[Any, Any]]:
    """Keys whose values differ between two configs: key -> (saved, new)."""
    a, b = dotted(saved.model_dump(mode="json")), dotted(new.model_dump(mode="json"))
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}


def check_resume_config(saved: Config, new: Config) -> list[str]:
    """The resumable keys that change (to report); raises on any other change."""
    changed = {k: v for k, v in config_changes(saved, new).items() if k not in LOCATION}
    fixed = [k for k in changed if not k.startswith(RESUMABLE)]
    if fixed:
        k = fixed[0]
        raise UserError(f"--resume: {k} was {changed[k][0]!r} in this run and is {changed[k][1]!r} now; a resumed run "
                        f"keeps its settings (may change: {', '.join(RESUMABLE)}*); start a new run.name instead")
    return [f"{k}: {a!r} -> {b!r}" for k, (a, b) in changed.items()]


def holds_run(run_dir: Path) -> bool:
    return any((run_dir / name).exists() for name in ("config.yaml", "metrics.jsonl", "checkpoints"))


def open_run_dir(cfg: Config, resume: bool, echo=print) -> Path:
    """Create (or, with `resume`, reopen) the run directory and write its config.yaml."""
    run_dir = cfg.run_dir
    saved = run_dir / "config.yaml"
    if resume:
        if not saved.is_file():
            raise UserError(f"--resume: {run_dir} holds no run (no config.yaml); drop --resume to start it")
        changes = check_resume_config(load_config(saved), cfg)
        if changes:
            echo("resume with changed settings: " + "; ".join(changes))
    elif holds_run(run_dir):
        raise UserError(f"run directory {run_dir} already holds a run; pass --resume or choose run.name")
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(cfg, saved)
    return run_dir


def clean_leftovers(*folders: Path) -> list[str]:
    """Remove the temporary files and folders of writes that were killed; returns their names."""
    gone = []
    for folder in folders:
        if not Path(folder).is_dir():
            continue
        for p in Path(folder).iterdir():
            if _LEFTOVER.match(p.name):
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
                gone.append(p.name)
    return sorted(gone)
