"""`siri export --checkpoint DIR --out DIR [--dtype D]`: a plain Hugging Face model directory
(docs/architecture.md "LoRA").

A LoRA checkpoint holds only its adapter; export adds the adapter into the base model's weights
(peft's merge) and writes one model + tokenizer that loads with `AutoModelForCausalLM.from_pretrained`
and nothing of this project. A full checkpoint is written as it is, in `--dtype`."""

from __future__ import annotations

import argparse

DTYPES = ("float32", "bfloat16", "float16")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write a checkpoint as a plain Hugging Face model (LoRA adapters merged)",
        description="Write the model of a checkpoint (a model directory, a checkpoint iter_*/ or a run directory, "
        "its latest checkpoint) as a Hugging Face model directory with its tokenizer. A LoRA checkpoint's "
        "adapter is merged into its base model's weights, so the result needs neither peft nor siri.",
    )
    p.add_argument("--checkpoint", required=True,
                   help="a model directory, a checkpoint (iter_*/) or a run directory (its latest checkpoint)")
    p.add_argument("--out", required=True, help="the folder to write (must be absent or empty, unless --overwrite)")
    p.add_argument("--dtype", choices=DTYPES, default=None,
                   help="dtype of the written weights (default: the run's model.dtype, float32 without a run)")
    p.add_argument("--overwrite", action="store_true", help="write into a non-empty --out (replaces files of the same name)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from siri.commands.eval import resolve_model_dir
    from siri.config import load_config
    from siri.policy.loading import load_policy
    from siri.policy.lora import is_adapter_dir, merged_model
    from siri.utils.atomic import check_output_dir, output_dir

    model_dir, run_dir = resolve_model_dir(Path(args.checkpoint))
    check_output_dir(args.out, args.overwrite)  # before the long work
    dtype = args.dtype
    if dtype is None:
        saved = run_dir / "config.yaml" if run_dir is not None else None
        dtype = load_config(saved).model.dtype if saved is not None and saved.is_file() else "float32"
    lora = is_adapter_dir(model_dir)
    model, tokenizer = merged_model(model_dir, dtype) if lora else load_policy(str(model_dir), "cpu", dtype)
    with output_dir(args.out, args.overwrite) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    print(f"wrote {args.out} ({'adapter merged into its base, ' if lora else ''}{dtype}) from {model_dir}")
    return 0
