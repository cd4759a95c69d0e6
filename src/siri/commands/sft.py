"""`siri sft`: the SFT warm start on oracle demonstrations (docs/architecture.md "Models", "Commands")."""

from __future__ import annotations

import argparse

from siri.commands.common import add_config_option, quiet_overrides
from siri.config import load_config


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sft",
        help="warm-start a model by behaviour cloning on oracle demonstrations",
        description="Behaviour cloning on oracle demonstrations: the oracle plays sft.episodes train "
        "seeds of env.name, each step's prompt is built as the rollout builds it, and the model "
        "(model.path) learns to answer <action>...</action>. Writes RUN_DIR/config.yaml, "
        "RUN_DIR/metrics.jsonl and the model (sft.out, default RUN_DIR/model).",
    )
    add_config_option(p)
    p.add_argument("--overwrite", action="store_true",
                   help="reuse an existing run.name and model folder, replacing only the files SFT writes")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted overrides, e.g. sft.epochs=3")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, quiet_overrides(args, args.overrides))
    from siri.sft.run import run_sft  # lazy: torch loads only when the command runs

    run_sft(cfg, overwrite=args.overwrite)
    return 0
