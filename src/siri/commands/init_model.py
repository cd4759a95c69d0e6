"""`siri init-model`: build a tiny model preset offline (tokenizer trained on the environments' text)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "init-model",
        help="build a tiny model preset offline, in Hugging Face format",
        description="Build a small Qwen2-architecture model with a tokenizer trained locally on the "
        "environments' text, saved in Hugging Face format (loads with AutoModelForCausalLM and "
        "AutoTokenizer, no network).",
    )
    p.add_argument("--preset", default="tiny", help="model size preset: tiny (default) or small")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--seed", type=int, default=0, help="weight initialization seed")
    p.add_argument("--overwrite", action="store_true",
                   help="write into a non-empty --out, replacing only the model's files (others are kept)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from siri.policy.presets import init_model

    path = init_model(args.preset, args.out, seed=args.seed, overwrite=args.overwrite)
    print(f"wrote {args.preset} model to {path}")
    return 0
