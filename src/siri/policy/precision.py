"""Mixed precision: float32 master weights, forward passes in the configured dtype (docs/architecture.md
"Precision").

Why: AdamW stepping bfloat16 weights in place loses small updates. bfloat16 keeps 8 significant bits,
so a weight moves only when its step is at least half the spacing of the numbers near it (2^-9 to
2^-8 of its magnitude); at lr 1e-6 almost every step rounds back to the old value
(`benchmarks/master_weights.py` measures it). A trained model therefore keeps its parameters,
gradients and AdamW state in float32 and runs its forward passes under `torch.autocast` in the
configured dtype: the matrix products run in bfloat16 (or float16), and the gradient flows back
through the casts to the float32 weights.

The model carries its compute dtype as an attribute (`COMPUTE_DTYPE`), set by `siri.policy.loading`.
Every forward pass of the policy layer (sampler, scorer, shared-prefix scorer) runs inside
`autocast(model)`, so copies of the model (the KL reference, a teacher snapshot, a skill generator's
snapshot) compute the same way. A model without the attribute runs as it is: float32 runs, and models
loaded for inference in their own dtype, are not touched.

Saving (`save_pretrained`) writes the weights in the compute dtype, as a Hugging Face model of that
dtype; `save_master`/`load_master` keep the float32 weights for an exact resume.
"""

from __future__ import annotations

import contextlib
import copy
import os
from pathlib import Path

import torch
from safetensors.torch import load_model, save_model

COMPUTE_DTYPE = "siri_compute_dtype"  # attribute name on a model whose weights are float32 masters


def set_compute_dtype(model: torch.nn.Module, dtype: torch.dtype) -> None:
    """Mark `model` (float32 weights) to compute in `dtype`; float32 leaves it unmarked."""
    if dtype == torch.float32:
        if hasattr(model, COMPUTE_DTYPE):
            delattr(model, COMPUTE_DTYPE)
        return
    setattr(model, COMPUTE_DTYPE, dtype)


def weight_dtype(model: torch.nn.Module) -> torch.dtype:
    """The dtype of the model's (first) floating-point parameter."""
    return next(p.dtype for p in model.parameters() if p.is_floating_point())


def compute_dtype(model: torch.nn.Module) -> torch.dtype:
    """The dtype the forward passes run in (and checkpoints are written in)."""
    return getattr(model, COMPUTE_DTYPE, None) or weight_dtype(model)


def has_master_weights(model: torch.nn.Module) -> bool:
    """Whether the weights are kept in a wider dtype than the model computes in."""
    return compute_dtype(model) != weight_dtype(model)


def autocast(model: torch.nn.Module) -> contextlib.AbstractContextManager:
    """`torch.autocast` to the model's compute dtype, or a no-op for a model that computes in its own.

    Enter it around forward passes only, never around a backward pass, and never across a no-grad and
    a grad forward: autocast reuses its casts of the weights until the outermost context exits."""
    dtype = getattr(model, COMPUTE_DTYPE, None)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(next(model.parameters()).device.type, dtype=dtype)


def cast_state_dict(model: torch.nn.Module, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """The state dict on CPU with floating-point tensors in `dtype`. Entries that share storage (tied
    embeddings) stay one tensor, so the saver still sees the tie and writes it once."""
    out: dict[str, torch.Tensor] = {}
    done: dict[tuple, torch.Tensor] = {}
    for name, t in model.state_dict().items():
        key = (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape), tuple(t.stride()))
        if key not in done:
            t = t.detach()
            done[key] = t.to("cpu", dtype) if t.is_floating_point() else t.cpu()
        out[name] = done[key]
    return out


def save_pretrained(model, directory: str | os.PathLike[str]) -> None:
    """The model as a Hugging Face model directory in its compute dtype (config.json says which).

    A model without master weights is saved as it is (`model.save_pretrained`)."""
    if not has_master_weights(model):
        model.save_pretrained(directory)
        return
    dtype = compute_dtype(model)
    model.save_pretrained(directory, state_dict=cast_state_dict(model, dtype))
    config = copy.deepcopy(model.config)  # save_pretrained wrote the parameters' dtype (float32)
    config.dtype = str(dtype).removeprefix("torch.")
    config.save_pretrained(directory)


def save_master(model: torch.nn.Module, path: str | os.PathLike[str]) -> None:
    """Every weight in its own (float32) dtype, one file, tied tensors once (for resuming exactly)."""
    save_model(model, str(path))


def load_master(model: torch.nn.Module, path: str | os.PathLike[str]) -> None:
    """Load `save_master`'s file into `model` in place; a ValueError names what does not fit."""
    if not Path(path).is_file():
        raise FileNotFoundError(str(path))
    try:
        missing, unexpected = load_model(model, str(path), strict=False)
    except RuntimeError as e:  # a shape that does not fit
        raise ValueError(f"weights do not fit the model: {str(e).strip().splitlines()[-1].strip()}") from None
    if missing or unexpected:
        raise ValueError(f"weights do not fit the model (missing {sorted(missing)[:3]}, "
                         f"unexpected {sorted(unexpected)[:3]})")
