"""`siri quickstart [--out DIR]`: the whole SIRI pipeline on the built-in tiny model, on CPU.

Stages (each skipped when its output already exists, so an interrupted quickstart picks up where it
stopped): build the tiny preset offline -> SFT warm start on household oracle demonstrations ->
evaluate the SFT start -> SIRI Phases 0-2 -> evaluate the plain-prompt policy on held-out seeds, and
at the milestones (the end of Phase 0; the warm start with the run's best active skills in its prompt) ->
report.md with plots. Settings come from the shipped `quickstart` preset (the knowledge testbed,
docs/experiments.md); overrides apply to the SFT and SIRI stages alike.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from siri.commands.common import add_config_option, quiet_overrides, say

PRESET = "quickstart"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "quickstart",
        help="the whole SIRI pipeline on the built-in tiny model and household env (CPU, minutes)",
        description="Build the tiny model, warm-start it with SFT, run SIRI's three phases on the "
        "household environment, evaluate the plain-prompt policy on held-out seeds and write "
        "report.md with plots. Re-running continues an interrupted quickstart.",
    )
    p.add_argument("--out", default="runs/quickstart", help="output directory (default runs/quickstart)")
    add_config_option(p, default=PRESET)
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted config overrides")
    p.set_defaults(func=run)


def _stage(args: argparse.Namespace, name: str) -> float:
    say(args, f"\n== {name}")
    return time.perf_counter()


def run(args: argparse.Namespace) -> int:
    from siri.config import load_config
    from siri.policy.presets import init_model
    from siri.report.markdown import write_report
    from siri.train.loop import Trainer
    from siri.commands.eval import eval_skills
    from siri.evaluation.milestones import milestone_evals
    from siri.evaluation.table import print_eval
    from siri.sft.run import run_sft

    start = time.perf_counter()
    out = Path(args.out)
    common = quiet_overrides(args, [f"run.out_dir={out}", *args.overrides])
    iterations = load_config(args.config, common).train.iterations  # validate everything before any work

    base = out / "models" / "tiny"
    t = _stage(args, "1/4 tiny model")
    if not (base / "config.json").exists():
        init_model("tiny", base, seed=0)
    say(args, f"model at {base} ({time.perf_counter() - t:.0f}s)")

    sft_cfg = load_config(args.config, [f"model.path={base}", "run.name=sft", *common])
    sft_model = out / "sft" / "model"
    t = _stage(args, "2/4 SFT warm start on oracle demonstrations")
    if not (sft_model / "config.json").exists():
        sft_model = run_sft(sft_cfg, overwrite=True)  # its own stage folder: an interrupted SFT starts again
    say(args, f"warm-started model at {sft_model} ({time.perf_counter() - t:.0f}s)")

    # every checkpoint is kept: Phase 0's end is evaluated from its own
    train_cfg = load_config(args.config, [f"model.path={sft_model}", "run.name=siri", "algo.name=siri", *common,
                                          "train.checkpoint_every=1", f"train.keep_checkpoints={max(iterations, 1)}"])
    t = _stage(args, "3/4 SIRI: GiGPO warm-up, skill mining and validation, internalization")
    resume = (train_cfg.run_dir / "config.yaml").exists()  # an interrupted stage continues
    trainer = Trainer(train_cfg, resume=resume)
    sft_eval = trainer.run_dir / "eval" / "sft_start.json"
    if not sft_eval.exists() and trainer.start == 0:
        say(args, "evaluating the SFT start (plain prompt, held-out seeds)")
        trainer.save_eval(trainer.evaluate(), "sft_start")
    trainer.run()
    say(args, f"trained ({time.perf_counter() - t:.0f}s)")

    t = _stage(args, "4/4 held-out evaluation (plain prompt) and report")
    result = trainer.final_eval()
    print_eval(result)
    milestone_evals(train_cfg, trainer.run_dir, sft_model, lambda: eval_skills(trainer.run_dir), trainer.save_eval)
    report = write_report(trainer.run_dir)
    say(args, f"\nquickstart done in {(time.perf_counter() - start) / 60:.1f} min")
    print(f"report: {report}")
    return 0
