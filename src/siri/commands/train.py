"""`siri train --config FILE [key=value ...] [--resume]`: RL training (GRPO, GiGPO, …)."""

from __future__ import annotations

import argparse

from siri.commands.common import add_config_option, quiet_overrides


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a policy with RL (algo.name picks the method)",
        description="Run the RL loop of a config: group rollouts, advantages, PPO-style updates, "
        "metrics.jsonl, periodic evaluation and atomic checkpoints in RUN_DIR=run.out_dir/run.name.",
    )
    add_config_option(p)
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted overrides, e.g. train.lr=1e-6")
    p.add_argument("--resume", action="store_true", help="continue from the run's last complete checkpoint")
    p.add_argument("--no-final-eval", action="store_true", help="skip the held-out evaluation at the end")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from siri.config import load_config
    from siri.train.loop import Trainer
    from siri.evaluation.table import print_eval

    from siri.train.distributed import shutdown

    cfg = load_config(args.config, quiet_overrides(args, args.overrides))
    try:
        trainer = Trainer(cfg, resume=args.resume)  # under torchrun: one process of several
        run_dir = trainer.run()
        result = None if args.no_final_eval else trainer.final_eval()
        if trainer.world.is_main:
            if result is not None:
                print_eval(result)
            print(f"run directory: {run_dir}")
    finally:
        shutdown()
    return 0
