"""`siri eval --checkpoint DIR --env … --split eval|unseen --episodes N`: plain-prompt success.

`--skills PATH` evaluates the same policy with skills in its prompts instead (each task type's best
active skill), which is how SIRI's "Phase-1 policy with vs without skills" is measured (§4)."""

from __future__ import annotations

import argparse
from pathlib import Path

from siri.commands.common import CONFIG_HELP, quiet_overrides, say
from siri.envs.registry import env_names


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="evaluate a policy on held-out tasks (plain prompt)",
        description="Roll out a policy on held-out seeds with the plain prompt and report success per "
        "task type with 95% confidence intervals, mean score, mean steps and the invalid-action ratio. "
        "Writes JSON next to the checkpoint (or to --out).",
    )
    p.add_argument("--checkpoint", required=True,
                   help="a model directory, a checkpoint (iter_*/) or a run directory (its latest checkpoint)")
    p.add_argument("--env", choices=env_names(), help="environment (default: the run's)")
    p.add_argument("--split", choices=("train", "eval", "unseen"), default="eval")
    p.add_argument("--episodes", type=int, default=200)
    p.add_argument("--config", metavar="FILE|PRESET",
                   help=f"env and sampling settings: {CONFIG_HELP}; default: the run's config, if any")
    p.add_argument("--temperature", type=float, default=None, help="sampling temperature (default eval.temperature)")
    p.add_argument("--out", help="where to write the JSON result")
    p.add_argument("--skills", metavar="PATH",
                   help="put each task type's best active skill in the prompt: a skills.jsonl, a run directory "
                   "(its skills.jsonl) or a checkpoint directory (the bank saved with it)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted config overrides")
    p.set_defaults(func=run)


def resolve_model_dir(path: Path) -> tuple[Path, Path | None]:
    """(model directory, the run directory that wrote it, if any) from a model directory (a run's
    `model/` from SFT, or a checkpoint's `model/`), a checkpoint directory or a run directory."""
    from siri.policy.lora import is_model_dir  # a Hugging Face model or a LoRA adapter
    from siri.train.checkpoint import iteration_of, latest_checkpoint
    from siri.utils.errors import UserError

    if is_model_dir(path):
        if iteration_of(path.parent) is not None:  # RUN/checkpoints/iter_N/model
            return path, path.parent.parent.parent
        return path, path.parent if (path.parent / "config.yaml").is_file() else None  # RUN/model (SFT)
    if iteration_of(path) is not None and is_model_dir(path / "model"):  # RUN/checkpoints/iter_N
        return path / "model", path.parent.parent
    latest = latest_checkpoint(path / "checkpoints")
    if latest is not None:  # an RL run: its newest complete checkpoint
        return latest / "model", path
    if is_model_dir(path / "model"):  # an SFT run
        return path / "model", path if (path / "config.yaml").is_file() else None
    raise UserError(f"no model found at {path}: expected a model directory, a checkpoint or a run directory")


def read_bank(path: Path):
    """The SIRI skill bank at `path`: a skills.jsonl file, a run directory or a checkpoint directory."""
    import json

    from siri.skills import SkillBank
    from siri.utils.errors import UserError

    if (path / "state.json").exists():
        bank = json.loads((path / "state.json").read_text()).get("state", {}).get("method", {}).get("bank")
        if bank is None:
            raise UserError(f"--skills: checkpoint {path} holds no skill bank (not a SIRI run)")
        return SkillBank.from_state_dict(bank)
    file = path / "skills.jsonl" if path.is_dir() else path
    if not file.is_file():
        raise UserError(f"--skills: no skill bank at {path}; expected a skills.jsonl, a run or a checkpoint directory")
    return SkillBank.load(file)


def eval_skills(path: Path) -> dict[str, str]:
    """Task type -> text of its best active skill (highest U), for task types that have one."""
    bank = read_bank(path)
    best = {t: bank.best_active(t) for t in bank.task_types()}
    return {t: s.text for t, s in best.items() if s is not None}


def run(args: argparse.Namespace) -> int:
    from siri.config import load_config
    from siri.policy.loading import load_policy
    from siri.evaluation.evaluate import eval_settings, evaluate
    from siri.evaluation.table import print_eval
    from siri.utils.atomic import atomic_write_json
    from siri.utils.errors import UserError
    from siri.utils.metrics import progress

    if args.episodes < 1:
        raise UserError(f"--episodes must be >= 1, got {args.episodes}")
    model_dir, run_dir = resolve_model_dir(Path(args.checkpoint))
    saved = run_dir / "config.yaml" if run_dir is not None and (run_dir / "config.yaml").is_file() else None
    if args.config is None and saved is None and args.env is None:
        raise UserError(f"{model_dir} was not written by a run (no config.yaml beside it): pass --config (or --env) "
                        f"to say what to evaluate it on")
    config_path = args.config or (str(saved) if saved else None)
    overrides = list(args.overrides) + [f"eval.split={args.split}", f"eval.episodes={args.episodes}"]
    if args.env:
        overrides.append(f"env.name={args.env}")
    if args.temperature is not None:
        overrides.append(f"eval.temperature={args.temperature}")
    cfg = load_config(config_path, quiet_overrides(args, overrides))
    variant_fn = None
    if args.skills:
        from siri.evaluation.evaluate import skill_variants

        skills = eval_skills(Path(args.skills))
        say(args, "skills in the prompt: " + ("; ".join(f"{t}: {x}" for t, x in sorted(skills.items()))
                                              or "none (no active skill): plain prompts"))
        variant_fn = skill_variants(skills)
    model, tokenizer = load_policy(str(model_dir), cfg.run.device, cfg.model.dtype)
    with progress(disable=not cfg.run.progress) as bar:
        task = bar.add_task(f"eval {cfg.env.name}/{args.split}", total=args.episodes, status="")
        result = evaluate(model, tokenizer, eval_settings(cfg), args.episodes, cfg.eval.batch_episodes,
                          seed=cfg.run.seed, on_batch=lambda n: bar.advance(task, n), variant_fn=variant_fn)
    print_eval(result)
    name = f"{cfg.env.name}_{args.split}{'_skills' if args.skills else ''}.json"
    out = Path(args.out) if args.out else (run_dir or cfg.run_dir) / "eval" / name
    atomic_write_json(out, result.to_json())
    print(f"wrote {out}")
    return 0
