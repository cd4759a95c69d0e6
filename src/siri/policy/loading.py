"""Load any Hugging Face causal LM with its tokenizer (docs/architecture.md "Models").

Nothing outside this module knows which model is in use: a tiny preset directory, a fine-tuned
checkpoint and `Qwen/Qwen2.5-7B-Instruct` all go through `load_policy`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import warnings
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from siri.policy.precision import set_compute_dtype
from siri.utils.errors import UserError, install_hint

DEVICES = ("auto", "cpu", "cuda")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
# `owner/name` (or a bare name) made of the characters the Hub allows.
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")


def resolve_device(device: str) -> torch.device:
    """`auto` = CUDA when available, else CPU; `cuda:N` picks a GPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        return torch.device("cpu")
    if device == "cuda" or re.fullmatch(r"cuda:\d+", device):
        if not torch.cuda.is_available():
            raise UserError(f"device {device!r} requested but CUDA is not available; use device=cpu or auto")
        index, count = torch.device(device).index, torch.cuda.device_count()
        if index is not None and index >= count:
            raise UserError(f"device {device!r} requested but this machine has {count} GPU(s): cuda:0..cuda:{count - 1}")
        return torch.device(device)
    raise UserError(f"unknown device {device!r}; allowed: {', '.join(DEVICES)} (or cuda:N)")


def resolve_dtype(dtype: str) -> torch.dtype:
    try:
        return DTYPES[dtype]
    except KeyError:
        raise UserError(f"unknown dtype {dtype!r}; allowed: {', '.join(DTYPES)}") from None


def _check_source(name: str) -> str:
    """A local directory, or something that can only be a hub id; anything else is a one-line error."""
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir() or not (path / "config.json").exists():
            raise UserError(f"model path {name!r} is not a Hugging Face model directory (no config.json)")
        return str(path)
    if not _HUB_ID.match(name):
        raise UserError(f"model path {name!r} does not exist (and is not a hub id like 'Qwen/Qwen2.5-7B-Instruct')")
    return name


def prepare_tokenizer(tokenizer: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    """Pad with eos when the tokenizer has no pad token; pad on the left (generation batches)."""
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise UserError("the tokenizer has neither a pad token nor an eos token; cannot batch prompts")
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return tokenizer


def load_policy(
    path_or_hub_id: str | os.PathLike[str],
    device: str = "auto",
    dtype: str = "float32",
    *,
    master_weights: bool = False,
    gradient_checkpointing: bool = False,
    **model_kwargs: Any,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load (model, tokenizer) from a local directory or a hub id, in eval mode on `device`.

    Float32 is the default: it keeps sampler and scorer log-probs equal to ~1e-6 on CPU. With
    `master_weights` (a model to train) and a 16-bit `dtype`, the weights are loaded in float32 and
    the forward passes compute in `dtype` (`siri.policy.precision`); without it the weights are
    loaded in `dtype`. The weights go straight to `device` (docs/architecture.md "Precision"):
    on a GPU, transformers places each tensor there as it reads it (with `accelerate` installed),
    with no full copy in CPU memory. `gradient_checkpointing` recomputes each decoder layer's
    activations in the backward pass instead of keeping them. Extra keyword arguments go to
    `AutoModelForCausalLM.from_pretrained` (e.g. attn_implementation). A LoRA adapter directory
    loads as its base model plus the adapter (`siri.policy.lora`).
    """
    from siri.policy.lora import is_adapter_dir, load_with_adapter  # (lora.py imports this module)

    if is_adapter_dir(path_or_hub_id):  # a LoRA checkpoint: its base model plus the adapter
        return load_with_adapter(path_or_hub_id, device, dtype, master_weights=master_weights,
                                 gradient_checkpointing=gradient_checkpointing, **model_kwargs)
    torch_device = resolve_device(device)
    torch_dtype = resolve_dtype(dtype)
    source = _check_source(os.fspath(path_or_hub_id))
    load_dtype = torch.float32 if master_weights else torch_dtype
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=load_dtype,
                                                     **_placement(torch_device), **model_kwargs)
    except (OSError, ValueError) as e:  # missing files, offline hub, not a causal LM
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"could not load model {source!r} (not a local directory; hub: {first})") from e
    prepare_tokenizer(tokenizer)
    gen = model.generation_config
    if gen is not None and gen.pad_token_id is None:
        gen.pad_token_id = tokenizer.pad_token_id
    if master_weights:
        set_compute_dtype(model, torch_dtype)
    if gradient_checkpointing:
        enable_gradient_checkpointing(model)
    return model.to(torch_device).eval(), tokenizer


def _placement(device: torch.device) -> dict[str, Any]:
    """`from_pretrained` keywords that load every tensor straight onto `device`. On CPU that is where
    tensors are made anyway; elsewhere transformers needs `accelerate` for it, and without it the
    model is read into CPU memory and moved (a warning says so)."""
    if device.type == "cpu":
        return {}
    if importlib.util.find_spec("accelerate") is None:
        warnings.warn(f"loading the model through CPU memory before moving it to {device}: "
                      f"{install_hint('gpu')} loads it straight onto the device", stacklevel=3)
        return {}
    return {"device_map": device}


def enable_gradient_checkpointing(model: PreTrainedModel) -> None:
    """Recompute activations in the backward pass (non-reentrant checkpoints, PyTorch's recommended
    kind). Only a forward with gradients checkpoints; sampling and scoring without gradients run
    as usual, key/value cache included."""
    kwargs = {"use_reentrant": False}
    if hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5.x
        model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)


def gradient_checkpointing_on(model: torch.nn.Module) -> bool:
    """Whether any layer of `model` recomputes its activations in the backward pass."""
    return any(getattr(m, "gradient_checkpointing", False) is True for m in model.modules())


def configure_threads(model: PreTrainedModel, threads: int = 0) -> int:
    """Set torch's CPU threads to `threads` if > 0; 0 (auto) keeps torch's default, one per core.

    Measured on 2 cores with no other job (tiny household preset): a `siri train` iteration takes
    19.0 s on one thread and 11.8 s on two (1.6x; benchmarks/iteration_breakdown.py --each), an SFT
    of 156 steps 62 s and 40 s. When several jobs share the cores, give each `run.threads=1`:
    oversubscribed OpenMP threads spin and slow every job down."""
    if threads > 0:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def eos_token_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """Every id that ends a response: the generation config's eos ids (chat models add the end-of-turn
    token there, e.g. `<|im_end|>`) plus the tokenizer's eos."""
    ids: list[int] = []
    gen = getattr(model, "generation_config", None)
    gen_eos = getattr(gen, "eos_token_id", None)
    if isinstance(gen_eos, int):
        ids.append(gen_eos)
    elif gen_eos is not None:
        ids.extend(int(i) for i in gen_eos)
    if tokenizer.eos_token_id is not None:
        ids.append(int(tokenizer.eos_token_id))
    return sorted(set(ids))


def chat_prompt_ids(tokenizer: PreTrainedTokenizerBase, user_text: str, system: str | None = None) -> list[int]:
    """Token ids of a one-turn chat prompt, ending with the assistant generation prompt.

    The template is rendered to text and encoded without extra special tokens: templates that
    contain a BOS already write it, so no second one is added.
    """
    if not getattr(tokenizer, "chat_template", None):
        raise UserError("the tokenizer has no chat template; use an instruct/chat model or a siri preset")
    messages = ([{"role": "system", "content": system}] if system is not None else []) + [
        {"role": "user", "content": user_text}
    ]
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return list(tokenizer.encode(text, add_special_tokens=False))
