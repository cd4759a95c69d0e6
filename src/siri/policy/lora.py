"""LoRA: train low-rank adapters on a frozen base model, through `peft` (docs/architecture.md "LoRA").

With `model.lora_rank > 0`, `siri train` wraps the policy in peft's LoRA model: every targeted linear
layer W x becomes W x + (alpha / rank) B A x, where only A (rank × in) and B (out × rank) are trained
(B starts at zero, so the first forward pass is the base model's). The base weights stay frozen in
`model.dtype`: no gradients, no AdamW state and no float32 master copy for them, which is where LoRA
saves memory. Under `model.master_weights` the adapters are float32 and the forward passes run under
autocast in `model.dtype` (`siri.policy.precision`), as a full model's master weights do.

The KL reference is the same model with its adapters switched off (`base_only`), not a second copy.
Dropout is 0: the sampler's and the scorer's log-probs must be the same function of the weights.

A checkpoint's `model/` holds the adapter only (`adapter_config.json`, naming the base model's
absolute path or hub id, and `adapter_model.safetensors`, float32 under master weights) and the
tokenizer. `load_policy` reads such a directory as the base model plus the adapter (`siri eval`,
`siri serve`, an OPD teacher); a resume loads the adapter weights into the freshly built adapters;
`siri export` writes base and adapter merged into one plain Hugging Face model.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Iterator

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from siri.policy.loading import load_policy, resolve_dtype
from siri.policy.precision import set_compute_dtype
from siri.utils.errors import UserError, install_hint

ALL_LINEAR = "all-linear"
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


def require_peft(rank: int) -> None:
    """One line before any work when LoRA is asked for and `peft` is not installed."""
    if rank > 0 and importlib.util.find_spec("peft") is None:
        raise UserError(f"model.lora_rank > 0 needs the peft package: {install_hint('peft')}")


def is_lora(model: Any) -> bool:
    """Whether `model` is a peft model (adapters on a base). Without peft imported, none can be."""
    peft = sys.modules.get("peft")
    return peft is not None and isinstance(model, peft.PeftModel)


def is_adapter_dir(path: str | os.PathLike[str]) -> bool:
    return (Path(path) / ADAPTER_CONFIG).is_file()


def is_model_dir(path: str | os.PathLike[str]) -> bool:
    """A directory `load_policy` reads: a Hugging Face model or a LoRA adapter."""
    return (Path(path) / "config.json").is_file() or is_adapter_dir(path)


def base_only(model: Any) -> contextlib.AbstractContextManager:
    """Inside: a LoRA model computes as its base (adapters off). Any other model as it is."""
    return model.disable_adapter() if is_lora(model) else contextlib.nullcontext()


def trainable_parameters(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The parameters the optimizer steps: all of a full model, the adapters of a LoRA model."""
    return [p for p in model.parameters() if p.requires_grad]


def linear_layer_names(model: torch.nn.Module) -> list[str]:
    """Names (last path part) of the linear layers LoRA can target: every one but the output head."""
    from transformers.pytorch_utils import Conv1D  # GPT-2 style models' linear layers

    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    return sorted({name.rsplit(".", 1)[-1] for name, m in model.named_modules()
                   if isinstance(m, (torch.nn.Linear, Conv1D)) and m is not head})


def check_targets(model: torch.nn.Module, targets: str | list[str]) -> None:
    """`model.lora_target_modules` against the model's linear layers; one line naming the allowed ones."""
    if targets == ALL_LINEAR:
        return
    allowed = linear_layer_names(model)
    bad = [t for t in targets if t not in allowed]
    if bad:
        raise UserError(f"model.lora_target_modules: {bad[0]!r} is not a linear layer of this model; "
                        f"allowed: {ALL_LINEAR}, {', '.join(allowed)}")


def attach_lora(model: PreTrainedModel, rank: int, alpha: int, targets: str | list[str],
                adapter_dtype: torch.dtype) -> Any:
    """`model` (frozen from now on) wrapped with fresh trainable adapters in `adapter_dtype`."""
    require_peft(rank)
    from peft import LoraConfig, get_peft_model

    if is_lora(model):
        raise UserError("model.path is a LoRA adapter; train on its merged model instead (siri export)")
    check_targets(model, targets)
    config = LoraConfig(r=rank, lora_alpha=alpha, target_modules=targets, lora_dropout=0.0, bias="none",
                        task_type="CAUSAL_LM")
    with _quiet_peft():
        wrapped = get_peft_model(model, config, autocast_adapter_dtype=False)
    for p in trainable_parameters(wrapped):
        p.data = p.data.to(adapter_dtype)
    wrapped.peft_config["default"].base_model_name_or_path = _base_reference(model.name_or_path)
    return wrapped


def load_lora_trainable(model_cfg: Any, device: str) -> tuple[Any, PreTrainedTokenizerBase]:
    """The policy to train with LoRA (`model_cfg` is the config's `model` section): the base in
    `model.dtype`, adapters in float32 under master weights (forward passes then autocast to
    `model.dtype`), else in `model.dtype`."""
    require_peft(model_cfg.lora_rank)
    dtype = resolve_dtype(model_cfg.dtype)
    model, tokenizer = load_policy(model_cfg.path, device, model_cfg.dtype,
                                   gradient_checkpointing=model_cfg.gradient_checkpointing)
    masters = model_cfg.master_weights and dtype != torch.float32
    wrapped = attach_lora(model, model_cfg.lora_rank, model_cfg.lora_alpha, model_cfg.lora_target_modules,
                          torch.float32 if masters else dtype)
    if masters:
        set_compute_dtype(wrapped, dtype)
    return wrapped, tokenizer


@contextlib.contextmanager
def _quiet_peft() -> Iterator[None]:
    """peft (0.21) reads transformers' `is_gradient_checkpointing`, renamed in 5.x with a FutureWarning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        yield


def _base_reference(name: str) -> str:
    """A local base model as an absolute path (an adapter is read from anywhere), a hub id as it is."""
    path = Path(name).expanduser()
    return str(path.resolve()) if path.is_dir() else name


def adapter_base(directory: str | os.PathLike[str]) -> str:
    """The base model an adapter directory was trained on (its `adapter_config.json`)."""
    file = Path(directory) / ADAPTER_CONFIG
    try:
        base = json.loads(file.read_text(encoding="utf-8")).get("base_model_name_or_path")
    except (OSError, ValueError, AttributeError) as e:
        raise UserError(f"{file} cannot be read ({type(e).__name__})") from None
    if not isinstance(base, str) or not base:
        raise UserError(f"{file} names no base model (base_model_name_or_path)")
    return base


def load_with_adapter(directory: str | os.PathLike[str], device: str = "auto", dtype: str = "float32",
                      **kwargs: Any) -> tuple[Any, PreTrainedTokenizerBase]:
    """(base model + the adapter at `directory`, the base's tokenizer), in eval mode, adapters frozen."""
    require_peft(1)
    from peft import PeftModel

    base = adapter_base(directory)
    if not Path(base).expanduser().exists() and base.startswith(("/", ".", "~")):
        raise UserError(f"the LoRA adapter at {directory} was trained on {base}, which does not exist")
    model, tokenizer = load_policy(base, device, dtype, **kwargs)
    try:
        with _quiet_peft():
            model = PeftModel.from_pretrained(model, str(directory), is_trainable=False)
    except (OSError, ValueError, RuntimeError, KeyError) as e:
        first = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
        raise UserError(f"the LoRA adapter at {directory} does not load on {base} ({first})") from None
    return model.eval(), tokenizer


def save_adapter(model: Any, directory: str | os.PathLike[str]) -> None:
    """The adapter weights in their own dtype and `adapter_config.json` (naming the base model)."""
    model.save_pretrained(str(directory))


def load_adapter_weights(model: Any, directory: str | os.PathLike[str]) -> None:
    """`save_adapter`'s weights into `model`'s adapters in place (resume); a ValueError names the misfit."""
    from peft import get_peft_model_state_dict, set_peft_model_state_dict
    from safetensors.torch import load_file

    file = Path(directory) / ADAPTER_WEIGHTS
    if not file.is_file():
        raise ValueError(f"{file.name} is missing: the checkpoint holds no LoRA adapter (a run with "
                         f"model.lora_rank = 0 wrote it)")
    saved, want = load_file(str(file)), get_peft_model_state_dict(model)
    missing, unexpected = sorted(set(want) - set(saved)), sorted(set(saved) - set(want))
    if missing or unexpected:
        raise ValueError(f"adapter weights do not fit the model (missing {missing[:2]}, unexpected {unexpected[:2]})")
    wrong = [k for k in want if tuple(want[k].shape) != tuple(saved[k].shape)]
    if wrong:
        raise ValueError(f"adapter weight {wrong[0]} has shape {tuple(saved[wrong[0]].shape)}, the model's is "
                         f"{tuple(want[wrong[0]].shape)} (another model.lora_rank?)")
    set_peft_model_state_dict(model, saved)


def merged_model(directory: str | os.PathLike[str], dtype: str = "float32") -> tuple[PreTrainedModel,
                                                                                  PreTrainedTokenizerBase]:
    """(plain model with the adapter at `directory` added into its weights, tokenizer), on CPU in `dtype`."""
    model, tokenizer = load_with_adapter(directory, "cpu", dtype)
    return model.merge_and_unload(), tokenizer
