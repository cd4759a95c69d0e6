"""Checkpoints of a run in several processes (docs/run-directory.md "Several processes"), with
`torch.distributed.checkpoint` (DCP) for the sharded weights and optimizer state.

`iter_NNNNNN/` holds, besides `state.json` and the `complete.json` marker of one-process checkpoints:

- `dcp/`: the model's weights and the optimizer's tensors as every rank holds them (its shards),
  written by DCP's safetensors writer: one file per rank, the shard layout in each file's JSON header,
  so loading reads no pickle;
- `trainer.json`: the optimizer's parameter groups and scalars (JSON);
- `rng/rank_NNNNN.safetensors`, `rng/rank_NNNNN.json`: each rank's torch, Python and NumPy RNG states;
- `model/`: the whole model in `model.dtype` and the tokenizer, gathered to rank 0 and written by it,
  so `siri eval`, `siri serve` and other runs read it as from a one-process run.

Rank 0 makes the temporary folder and tells the others its name; every rank writes its files; after a
barrier rank 0 writes the marker, renames the folder into place, updates `latest` and prunes, exactly
as in one process (`siri.train.checkpoint`). A resume needs the number of processes that wrote the
checkpoint: DCP could reshard, but the per-rank RNG streams and group split could not continue.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

import torch
import torch.distributed.checkpoint as dcp
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch.distributed.checkpoint import HuggingFaceStorageReader, HuggingFaceStorageWriter
from torch.distributed.checkpoint.api import CheckpointException
from torch.distributed.checkpoint.state_dict import (StateDictOptions, get_model_state_dict,
                                                     get_optimizer_state_dict, set_model_state_dict,
                                                     set_optimizer_state_dict)

from siri.train.checkpoint import (CheckpointError, Restored, _read, damage, iteration_of, publish, rng_state,
                                   set_rng_state, write_marker)
from siri.train.distributed import World
from siri.train.parallel import check_world_size
from siri.utils.atomic import atomic_dir, atomic_write_json
from siri.utils.failpoints import reach

DCP_DIR = "dcp"
RNG_DIR = "rng"


def _storage_key(t: torch.Tensor) -> tuple:
    local = t.to_local() if hasattr(t, "to_local") else t
    return (local.untyped_storage().data_ptr(), local.storage_offset(), tuple(local.shape))


def _flat(model: torch.nn.Module, optimizer: torch.optim.Optimizer):
    """(model state, optimizer state, the tensors of both under one flat namespace, the optimizer's
    groups and non-tensor state as JSON). Tied weights appear once (safetensors refuses shared storage)."""
    msd = get_model_state_dict(model)
    osd = get_optimizer_state_dict(model, optimizer)
    flat: dict[str, torch.Tensor] = {}
    seen: set[tuple] = set()
    for name, t in msd.items():
        key = _storage_key(t)
        if key not in seen:
            seen.add(key)
            flat[f"model.{name}"] = t
    scalars: dict[str, dict[str, Any]] = {}
    for fqn, entry in osd["state"].items():
        for name, value in entry.items():
            if isinstance(value, torch.Tensor):
                flat[f"optim.{fqn}.{name}"] = value
            else:
                scalars.setdefault(fqn, {})[name] = value
    return msd, osd, flat, {"param_groups": osd["param_groups"], "scalars": scalars}


def _rank_file(world: World, suffix: str) -> str:
    return f"{RNG_DIR}/rank_{world.rank:05d}.{suffix}"


def save_hf_model(model: torch.nn.Module, full: dict[str, torch.Tensor], directory: Path, dtype: torch.dtype) -> None:
    """The gathered weights as a Hugging Face model directory in `dtype` (tied weights written once)."""
    from huggingface_hub import save_torch_state_dict

    tied = getattr(model, "_tied_weights_keys", None) if getattr(model.config, "tie_word_embeddings", False) else None
    drop = set(tied or ())
    weights = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in full.items() if k not in drop}
    directory.mkdir(parents=True, exist_ok=True)
    save_torch_state_dict(weights, directory, metadata={"format": "pt"})
    config = copy.deepcopy(model.config)
    config.dtype = str(dtype).removeprefix("torch.")
    config.save_pretrained(directory)
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.save_pretrained(directory)


def _fill(tmp: Path, iteration: int, model, tokenizer, optimizer, rng, state, world: World, dtype) -> None:
    reach("checkpoint:model")
    full = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    if world.is_main:
        save_hf_model(model, full, tmp / "model", dtype)
        tokenizer.save_pretrained(tmp / "model")
    del full
    reach("checkpoint:optimizer")
    _, _, flat, opt_meta = _flat(model, optimizer)
    dcp.save(flat, storage_writer=HuggingFaceStorageWriter(str(tmp / DCP_DIR), save_distributed=True))
    rng_tensors, rng_meta = rng_state(rng)
    (tmp / RNG_DIR).mkdir(exist_ok=True)
    save_file(rng_tensors, str(tmp / _rank_file(world, "safetensors")))
    atomic_write_json(tmp / _rank_file(world, "json"), rng_meta)
    reach("checkpoint:trainer")
    if world.is_main:
        atomic_write_json(tmp / "trainer.json", {"optimizer": opt_meta})
        reach("checkpoint:state")
        atomic_write_json(tmp / "state.json", {"iteration": iteration, "world_size": world.size, "state": state})
    world.barrier()  # every rank's files are complete before the marker lists them


def save_sharded(ckpt_root: Path, iteration: int, model, tokenizer, optimizer, rng, state: dict[str, Any],
                 keep: int, world: World, dtype: torch.dtype) -> Path:
    """Write checkpoint `iter_{iteration:06d}` of a sharded run (every rank calls it)."""
    ckpt_root = Path(ckpt_root)
    target = ckpt_root / f"iter_{iteration:06d}"
    if world.is_main:
        with atomic_dir(target) as tmp:
            world.broadcast(str(tmp))
            _fill(tmp, iteration, model, tokenizer, optimizer, rng, state, world, dtype)
            write_marker(tmp, iteration)
        publish(ckpt_root, target, keep)
    else:
        tmp = Path(world.broadcast(None))
        _fill(tmp, iteration, model, tokenizer, optimizer, rng, state, world, dtype)
    world.barrier()  # the checkpoint is in place before any rank goes on
    return target


def _json(path: Path) -> Any:
    return _read(path, lambda p: json.loads(p.read_text(encoding="utf-8")))


def load_sharded(path: Path, model, optimizer, rng, world: World) -> Restored:
    """Load a sharded checkpoint in place on every rank; `CheckpointError` names what does not load."""
    meta = _json(path / "state.json")
    check_world_size(int(meta.get("world_size", 1)) if isinstance(meta, dict) else 1, world, path)
    if not (path / DCP_DIR).is_dir():
        raise CheckpointError(f"checkpoint {path} has no {DCP_DIR}/ folder (sharded weights)")
    msd, _, flat, _ = _flat(model, optimizer)
    try:
        dcp.load(flat, storage_reader=HuggingFaceStorageReader(str(path / DCP_DIR)))
    except (CheckpointException, OSError, ValueError, KeyError, RuntimeError, SafetensorError) as e:
        raise CheckpointError(f"checkpoint {path}: {DCP_DIR}/ cannot be read ({str(e).splitlines()[0][:120]})") from None
    set_model_state_dict(model, msd)
    trainer = _json(path / "trainer.json")
    tensors = _read(path / _rank_file(world, "safetensors"), lambda p: load_file(str(p)))
    rng_meta = _json(path / _rank_file(world, "json"))
    try:
        set_optimizer_state_dict(model, optimizer, _nest(flat, trainer["optimizer"]))
        set_rng_state(tensors, rng_meta, rng)
        iteration = int(meta["iteration"])
    except (KeyError, ValueError, TypeError, RuntimeError) as e:
        raise CheckpointError(f"checkpoint {path}: trainer.json does not fit this run ({str(e).splitlines()[0][:120]})") from None
    return Restored(iteration=iteration, path=path, state=meta.get("state", {}))


def _nest(flat: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, dict[str, Any]] = {}
    for key, value in flat.items():
        if key.startswith("optim."):
            fqn, name = key[len("optim."):].rsplit(".", 1)
            state.setdefault(fqn, {})[name] = value
    for fqn, entry in meta["scalars"].items():
        state.setdefault(fqn, {}).update(entry)
    return {"state": state, "param_groups": meta["param_groups"]}


def restore_sharded(ckpt_root: Path, model, optimizer, rng, world: World,
                    echo: Callable[[str], None] = print) -> Restored | None:
    """`siri.train.checkpoint.restore_newest` for a sharded run: the newest checkpoint that loads on
    every rank (rank 0 judges the markers; a rank that fails to load fails them all)."""
    root = Path(ckpt_root)
    candidates = sorted((p for p in root.iterdir() if p.is_dir() and iteration_of(p) is not None),
                        key=iteration_of, reverse=True) if root.is_dir() else []
    errors: list[str] = []
    for path in world.broadcast(candidates):
        why = world.broadcast(damage(path) if world.is_main else None)
        error = f"checkpoint {path} is damaged: {why}" if why else None
        restored = None
        if error is None:
            try:
                restored = load_sharded(path, model, optimizer, rng, world)
            except CheckpointError as e:
                error = str(e)
            failed = [e for e in world.all_gather(error) if e]
            error = failed[0] if failed else None
        if error is None:
            return restored
        errors.append(error)
        if world.is_main:
            echo(f"warning: {error}; trying an older checkpoint")
    if errors:
        raise CheckpointError(f"no checkpoint in {root} can be loaded ({len(errors)} damaged); the newest: {errors[0]}")
    return None
