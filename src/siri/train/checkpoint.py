"""Checkpoints: model (HF safetensors) + tokenizer + optimizer + RNG states + iteration + method state.

Each checkpoint is written into a temporary directory and renamed into place (`atomic_dir`), then the
`latest` pointer file is replaced atomically, so a run killed at any instant resumes from the last
complete checkpoint.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from siri.utils.atomic import atomic_dir, atomic_write_json, atomic_write_text
from siri.utils.errors import UserError

LATEST = "latest"


@dataclass
class Restored:
    iteration: int  # the last completed iteration
    path: Path
    state: dict[str, Any]  # method / loop state saved with the checkpoint


def rng_state(rng: torch.Generator | None) -> dict[str, Any]:
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "generator": rng.get_state() if rng is not None else None,
    }


def set_rng_state(state: dict[str, Any], rng: torch.Generator | None) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if rng is not None and state.get("generator") is not None:
        rng.set_state(state["generator"])


def save_checkpoint(ckpt_root: Path, iteration: int, model, tokenizer, optimizer, rng,
                    state: dict[str, Any], keep: int = 1) -> Path:
    """Write checkpoint `iter_{iteration:06d}` completely, then point `latest` at it."""
    ckpt_root = Path(ckpt_root)
    target = ckpt_root / f"iter_{iteration:06d}"
    with atomic_dir(target) as tmp:
        model.save_pretrained(tmp / "model", safe_serialization=True)
        tokenizer.save_pretrained(tmp / "model")
        torch.save({"optimizer": optimizer.state_dict(), "rng": rng_state(rng)}, tmp / "trainer.pt")
        atomic_write_json(tmp / "state.json", {"iteration": iteration, "state": state})
    atomic_write_text(ckpt_root / LATEST, target.name + "\n")
    _prune(ckpt_root, keep)
    return target


def _prune(ckpt_root: Path, keep: int) -> None:
    done = sorted(p for p in ckpt_root.glob("iter_*") if (p / "state.json").exists())
    for old in done[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def latest_checkpoint(ckpt_root: Path) -> Path | None:
    pointer = Path(ckpt_root) / LATEST
    if not pointer.exists():
        return None
    path = Path(ckpt_root) / pointer.read_text().strip()
    return path if (path / "state.json").exists() else None


def load_checkpoint(path: Path, model, optimizer, rng) -> Restored:
    """Load weights, optimizer and RNG states in place; returns the iteration and saved state."""
    from safetensors.torch import load_file

    path = Path(path)
    files = sorted((path / "model").glob("*.safetensors"))
    if not files:
        raise UserError(f"checkpoint {path} has no model weights (*.safetensors)")
    weights: dict[str, torch.Tensor] = {}
    for f in files:
        weights.update(load_file(str(f)))
    missing, unexpected = model.load_state_dict(weights, strict=False)
    missing = [k for k in missing if not _is_tied(model, k)]
    if missing or unexpected:
        raise UserError(f"checkpoint {path} does not fit the model (missing {missing[:3]}, unexpected {unexpected[:3]})")
    blob = torch.load(path / "trainer.pt", weights_only=False)
    optimizer.load_state_dict(blob["optimizer"])
    set_rng_state(blob["rng"], rng)
    meta = json.loads((path / "state.json").read_text())
    return Restored(iteration=int(meta["iteration"]), path=path, state=meta.get("state", {}))


def _is_tied(model, key: str) -> bool:
    """Tied output embeddings are not saved separately; they are not missing."""
    return key == "lm_head.weight" and bool(getattr(model.config, "tie_word_embeddings", False))
