"""FSDP2 sharding of a policy across processes (docs/architecture.md "Many processes"), with PyTorch's
`torch.distributed.fsdp.fully_shard` and nothing home-made.

- `shard_model` shards every decoder layer, then the rest of the model (embeddings, final norm and
  the output head stay in one group, so tied embeddings stay one parameter). Gradients are summed
  over the ranks, not averaged: the update divides by global token counts itself
  (`siri.train.update`). Under float32 master weights FSDP's `MixedPrecisionPolicy` computes in
  `model.dtype` and reduces gradients in float32, in place of `torch.autocast`.
- `gathered(*models)` holds every parameter whole on every rank for the block, so the ranks may run
  different numbers of forward passes (sampling, scoring, evaluation, mining): a sharded forward is
  a collective and would need every rank to call it the same number of times. The update runs
  sharded, with the same number of forward and backward passes on every rank.
- `plain_copy` builds an ordinary (unsharded) frozen model from a gathered one: FSDP modules cannot be
  deep-copied, and a teacher or skill generator snapshot needs a copy.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Iterator

import torch

from siri.policy.precision import COMPUTE_DTYPE


def _fsdp_class() -> type | None:
    """FSDP2's module class; None on a torch without it (one process needs none of this module)."""
    try:
        from torch.distributed.fsdp import FSDPModule
    except ImportError:
        return None
    return FSDPModule


def is_sharded(model: torch.nn.Module | None) -> bool:
    fsdp = _fsdp_class()
    return fsdp is not None and isinstance(model, fsdp)


def _fsdp_modules(model: torch.nn.Module) -> list:
    fsdp = _fsdp_class()
    return [m for m in model.modules() if isinstance(m, fsdp)] if fsdp is not None else []


def _decoder_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The modules transformers itself keeps whole when it splits a model (`_no_split_modules`:
    the decoder layers)."""
    names = set(getattr(model, "_no_split_modules", None) or ())
    layers = [m for m in model.modules() if type(m).__name__ in names]
    if not layers:
        raise ValueError(f"{type(model).__name__} names no decoder layer class (_no_split_modules); cannot shard it")
    return layers


def shard_model(model: torch.nn.Module, device_type: str, world_size: int) -> torch.nn.Module:
    """Shard `model` in place over `world_size` ranks of the default process group; returns it."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    mesh = init_device_mesh(device_type, (world_size,))
    compute = getattr(model, COMPUTE_DTYPE, None)  # set on float32 masters of a 16-bit model.dtype
    policy = MixedPrecisionPolicy(param_dtype=compute, reduce_dtype=torch.float32) if compute else MixedPrecisionPolicy()
    if compute is not None:
        delattr(model, COMPUTE_DTYPE)  # FSDP casts now; autocast on top would cast twice
    for layer in _decoder_layers(model):
        fully_shard(layer, mesh=mesh, mp_policy=policy)
    fully_shard(model, mesh=mesh, mp_policy=policy)
    for m in _fsdp_modules(model):
        m.set_gradient_divide_factor(1.0)  # a sum over ranks: the loss is already divided by global counts
        m.set_force_sum_reduction_for_comms(True)  # plain SUM collectives (gloo has no pre-multiplied sum)
    return model


@contextlib.contextmanager
def gathered(*models: torch.nn.Module | None) -> Iterator[None]:
    """Every sharded model among `models` whole on every rank inside the block (see the module
    docstring); unsharded models are left alone. Every rank must enter the block (the gathering is a
    collective); inside it each rank computes on its own."""
    modules = [(m, m is model) for model in models if is_sharded(model) for m in _fsdp_modules(model)]
    for m, _ in modules:
        m.set_reshard_after_forward(False, recurse=False)
    for m, _ in modules:
        m.unshard()
    try:
        yield
    finally:
        for m, root in modules:  # back to FSDP's default: the root keeps its weights for the backward
            m.reshard()
            m.set_reshard_after_forward(not root, recurse=False)


def plain_copy(model: torch.nn.Module) -> torch.nn.Module:
    """An unsharded copy of a gathered sharded model, in eval mode without gradients, in the dtype
    the model computes in. No collective runs: it reads this rank's whole parameters."""
    from transformers import AutoModelForCausalLM

    params = dict(model.named_parameters())
    if any(type(p).__name__ == "DTensor" for p in params.values()):
        raise RuntimeError("plain_copy needs the model gathered (siri.policy.sharding.gathered)")
    device = next(iter(params.values())).device
    with torch.device("meta"):
        copy_ = AutoModelForCausalLM.from_config(model.config)
    copy_.to_empty(device=device)
    copy_.tie_weights()  # tied embeddings are one parameter, listed once (as in the source)
    left = [name for name, _ in copy_.named_parameters() if name not in params]
    if left:
        raise RuntimeError(f"plain_copy: the copy has parameters the model lacks: {left[:3]}")
    with torch.no_grad():
        for name, p in copy_.named_parameters():
            p.data = params[name].detach().clone()
        for name, b in model.named_buffers():
            owner, _, leaf = name.rpartition(".")
            copy_.get_submodule(owner)._buffers[leaf] = b.detach().clone()
    copy_.generation_config = copy.deepcopy(model.generation_config)
    copy_.requires_grad_(False)
    return copy_.eval()
