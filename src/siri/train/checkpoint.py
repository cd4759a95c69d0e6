"""Checkpoints written so that nothing is lost and nothing runs that was not asked for
(docs/run-directory.md "checkpoints/").

`iter_NNNNNN/` holds the model (Hugging Face safetensors in `model.dtype`, and tokenizer; under LoRA
the adapter only, `siri.policy.lora`), with mixed precision also `master.safetensors` (the float32
weights that training steps, so a resume continues from them exactly rather than from their 16-bit
rounding), `optimizer.safetensors` and `trainer.json` (optimizer and RNG states: tensors in
safetensors, the rest plain JSON, so loading never unpickles), `state.json` (iteration, loop and
method state) and, written last, `complete.json` (every file's size). The folder is filled under a temporary name and renamed into place, so it
appears whole or not at all; the marker also catches a file damaged afterwards (truncated weights).

Resume takes the newest checkpoint whose marker holds and whose files load; a damaged one is named in
one line and the next older one is tried. The `latest` file is written for people and tools; resume
never reads it (its contents could point anywhere).
"""

from __future__ import annotations

import json
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from siri.policy.lora import is_lora, load_adapter_weights, save_adapter
from siri.policy.precision import has_master_weights, load_master, save_master, save_pretrained
from siri.utils.atomic import atomic_dir, atomic_write_json, atomic_write_text
from siri.utils.errors import UserError
from siri.utils.failpoints import reach

LATEST = "latest"
MASTER = "master.safetensors"  # float32 weights of a mixed-precision run (siri.policy.precision)
MARKER = "complete.json"
FORMAT = 2
_NAME = re.compile(r"^iter_(\d{6,})$")


class CheckpointError(UserError):
    """A checkpoint that cannot be used; the message names the file."""


@dataclass
class Restored:
    iteration: int  # the last completed iteration
    path: Path
    state: dict[str, Any]  # method / loop state saved with the checkpoint


def iteration_of(path: Path) -> int | None:
    m = _NAME.match(path.name)
    return int(m.group(1)) if m else None


# ---- optimizer and RNG states without pickle -------------------------------------------------------
def _flatten_optimizer(sd: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors as `state.<param>.<name>`; scalars and param groups as JSON."""
    tensors, scalars = {}, {}
    for idx, entry in sd["state"].items():
        for name, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{idx}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(idx), {})[name] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("state."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value
    for idx, entry in meta["scalars"].items():
        state.setdefault(int(idx), {}).update(entry)
    return {"state": state, "param_groups": meta["param_groups"]}


def rng_state(rng: torch.Generator | None) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    version, mt, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    tensors = {"rng.torch": torch.get_rng_state()}
    if rng is not None:
        tensors["rng.generator"] = rng.get_state()
    return tensors, {"python": [version, list(mt), gauss],
                     "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)]}


def set_rng_state(tensors: dict[str, torch.Tensor], meta: dict[str, Any], rng: torch.Generator | None) -> None:
    version, mt, gauss = meta["python"]
    random.setstate((version, tuple(mt), gauss))
    kind, keys, pos, has_gauss, cached = meta["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(tensors["rng.torch"])
    if rng is not None and "rng.generator" in tensors:
        rng.set_state(tensors["rng.generator"])


# ---- writing ----------------------------------------------------------------------------------
def _sizes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*")) if p.is_file()}


def save_checkpoint(ckpt_root: Path, iteration: int, model, tokenizer, optimizer, rng,
                    state: dict[str, Any], keep: int = 1) -> Path:
    """Write checkpoint `iter_{iteration:06d}` completely, point `latest` at it, prune older ones."""
    ckpt_root = Path(ckpt_root)
    target = ckpt_root / f"iter_{iteration:06d}"
    with atomic_dir(target) as tmp:
        reach("checkpoint:model")
        (save_adapter if is_lora(model) else save_pretrained)(model, tmp / "model")  # LoRA: the adapter only
        tokenizer.save_pretrained(tmp / "model")
        if has_master_weights(model):
            save_master(model, tmp / MASTER)
        reach("checkpoint:optimizer")
        opt_tensors, opt_meta = _flatten_optimizer(optimizer.state_dict())
        rng_tensors, rng_meta = rng_state(rng)
        save_file({**opt_tensors, **rng_tensors}, str(tmp / "optimizer.safetensors"))
        reach("checkpoint:trainer")
        atomic_write_json(tmp / "trainer.json", {"optimizer": opt_meta, "rng": rng_meta})
        reach("checkpoint:state")
        atomic_write_json(tmp / "state.json", {"iteration": iteration, "state": state})
        write_marker(tmp, iteration)
    publish(ckpt_root, target, keep)
    return target


def write_marker(tmp: Path, iteration: int) -> None:
    """The completeness marker, written last inside the checkpoint's temporary folder: a folder
    without it is never read (one process or several, `siri.train.dist_checkpoint`)."""
    reach("checkpoint:marker")
    atomic_write_json(tmp / MARKER, {"format": FORMAT, "iteration": iteration, "files": _sizes(tmp)})
    reach("checkpoint:rename")


def publish(ckpt_root: Path, target: Path, keep: int) -> None:
    """After the folder is in place: point `latest` at it, then prune older checkpoints."""
    reach("checkpoint:latest")
    atomic_write_text(ckpt_root / LATEST, target.name + "\n")
    reach("checkpoint:prune")
    prune(ckpt_root, target, keep)


def prune(ckpt_root: Path, written: Path, keep: int) -> None:
    """Keep `written` and the `keep - 1` newest complete checkpoints before it; remove the others,
    including any numbered after it (left by a run that resumed from before them)."""
    older = [p for p in complete_checkpoints(ckpt_root) if iteration_of(p) < iteration_of(written)]
    kept = {written, *(older[-(keep - 1):] if keep > 1 else [])}
    for p in Path(ckpt_root).iterdir():
        if iteration_of(p) is not None and p.is_dir() and p not in kept:
            shutil.rmtree(p, ignore_errors=True)


# ---- finding and loading ------------------------------------------------------------------------
def damage(path: Path) -> str | None:
    """Why checkpoint `path` is not complete (naming the file), or None when its marker holds."""
    marker = Path(path) / MARKER
    try:
        meta = json.loads(marker.read_text(encoding="utf-8"))
        files = meta["files"]
    except FileNotFoundError:
        return f"{marker.name} is missing (the write did not finish)"
    except (OSError, ValueError, KeyError, TypeError):
        return f"{marker.name} is unreadable"
    for rel, size in files.items():
        f = Path(path) / rel
        if not f.is_file():
            return f"{rel} is missing"
        if f.stat().st_size != size:
            return f"{rel} has {f.stat().st_size} bytes, {size} were written"
    return None


def complete_checkpoints(ckpt_root: Path) -> list[Path]:
    """Checkpoints whose marker holds, oldest first."""
    root = Path(ckpt_root)
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and iteration_of(p) is not None and damage(p) is None]
    return sorted(found, key=iteration_of)


def latest_checkpoint(ckpt_root: Path) -> Path | None:
    """The newest complete checkpoint (by iteration), or None."""
    done = complete_checkpoints(ckpt_root)
    return done[-1] if done else None


def _read(path: Path, reader: Callable[[Path], Any]) -> Any:
    try:
        return reader(path)
    except (OSError, ValueError, KeyError, TypeError, SafetensorError) as e:
        raise CheckpointError(f"{path} cannot be read ({type(e).__name__}: {str(e).splitlines()[0][:120]})") from None


def load_checkpoint(path: Path, model, optimizer, rng) -> Restored:
    """Load weights, optimizer and RNG states in place; returns the iteration and saved state.
    Raises `CheckpointError` (one line naming the file) for anything damaged or not fitting."""
    path = Path(path)
    why = damage(path)
    if why is not None:
        raise CheckpointError(f"checkpoint {path} is damaged: {why}")
    if (path / "dcp").is_dir():  # sharded over several processes (siri.train.dist_checkpoint)
        raise UserError(f"checkpoint {path} was written by several processes; resume it under torchrun with "
                        f"as many processes, or start a new run.name")
    if is_lora(model):
        _read(path / "model", lambda p: load_adapter_weights(model, p))
    elif (path / MASTER).is_file():
        _read(path / MASTER, lambda p: load_master(model, p))
    else:
        _load_model_dir(model, path)
    tensors = _read(path / "optimizer.safetensors", lambda p: load_file(str(p)))
    trainer = _read(path / "trainer.json", lambda p: json.loads(p.read_text(encoding="utf-8")))
    meta = _read(path / "state.json", lambda p: json.loads(p.read_text(encoding="utf-8")))
    try:
        optimizer.load_state_dict(_unflatten_optimizer(tensors, trainer["optimizer"]))
        set_rng_state(tensors, trainer["rng"], rng)
        iteration = int(meta["iteration"])
    except (KeyError, ValueError, TypeError, RuntimeError) as e:
        raise CheckpointError(f"checkpoint {path}: trainer.json does not fit this run ({str(e).splitlines()[0][:120]})") from None
    return Restored(iteration=iteration, path=path, state=meta.get("state", {}))


def _load_model_dir(model, path: Path) -> None:
    """The weights of `path/model/` (cast to the model's dtype, as `load_state_dict` copies them)."""
    files = sorted((path / "model").glob("*.safetensors"))
    if not files:
        raise CheckpointError(f"checkpoint {path} has no model weights (model/*.safetensors)")
    weights: dict[str, torch.Tensor] = {}
    for f in files:
        weights.update(_read(f, lambda p: load_file(str(p))))
    _load_weights(model, weights, path)


def _load_weights(model, weights: dict[str, torch.Tensor], path: Path) -> None:
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    wrong = [k for k, v in weights.items() if k in shapes and tuple(v.shape) != shapes[k]]
    if wrong:
        raise CheckpointError(f"checkpoint {path} does not fit the model: {wrong[0]} has shape "
                              f"{tuple(weights[wrong[0]].shape)}, the model's is {shapes[wrong[0]]}")
    missing, unexpected = model.load_state_dict(weights, strict=False)
    missing = [k for k in missing if not _is_tied(model, k)]
    if missing or unexpected:
        raise CheckpointError(f"checkpoint {path} does not fit the model (missing {missing[:3]}, unexpected {unexpected[:3]})")


def restore_newest(ckpt_root: Path, model, optimizer, rng, echo: Callable[[str], None] = print) -> Restored | None:
    """Load the newest checkpoint that loads, naming each damaged one passed over in one line.
    None when the run has no checkpoint; a `CheckpointError` when it has some and none loads."""
    root = Path(ckpt_root)
    candidates = sorted((p for p in root.iterdir() if p.is_dir() and iteration_of(p) is not None),
                        key=iteration_of, reverse=True) if root.is_dir() else []
    errors = []
    for path in candidates:
        try:
            return load_checkpoint(path, model, optimizer, rng)
        except CheckpointError as e:
            errors.append(str(e))
            echo(f"warning: {e}; trying an older checkpoint")
    if errors:
        raise CheckpointError(f"no checkpoint in {root} can be loaded ({len(errors)} damaged); the newest: {errors[0]}")
    return None


def _is_tied(model, key: str) -> bool:
    """Tied output embeddings are not saved separately; they are not missing."""
    return key == "lm_head.weight" and bool(getattr(model.config, "tie_word_embeddings", False))
