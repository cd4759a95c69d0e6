"""Held-out evaluations of a finished SIRI run at its milestones, for the quickstart's report
(docs/run-directory.md "Report"): the policy at the end of Phase 0 (its checkpoint), and the SFT warm
start with each task type's best active skill of the run's bank in its prompt, beside the plain-prompt
evaluations the run already wrote (`sft_start`, `final_<split>`).

Why after the run and not during it: the trainer is blind to the method and its phases; the phases
are in metrics.jsonl and the policies in the checkpoints, so a milestone is evaluated from what the
run left on disk, with the same settings and seeds as every other evaluation of the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from siri.evaluation.evaluate import EvalResult, eval_settings, evaluate, skill_variants
from siri.policy.lora import is_model_dir
from siri.rollout.engine import VariantFn
from siri.utils.errors import UserError
from siri.utils.textfiles import read_jsonl

PHASE0_END = "phase0_end"
SFT_WITH_SKILLS = "sft_start_skills"


def last_iteration_of(metrics: Path, phase: str) -> int | None:
    """The last iteration whose metrics row has `phase`, or None when the run has none (or no metrics)."""
    if not metrics.exists():
        return None
    its = [row["iteration"] for _, row in read_jsonl(metrics, "metrics file", skip_bad=True)
           if isinstance(row, dict) and row.get("phase") == phase and isinstance(row.get("iteration"), int)]
    return max(its) if its else None


def _evaluate(cfg: Any, model_dir: Path, variant_fn: VariantFn | None = None) -> EvalResult:
    """The model at `model_dir` on the run's held-out evaluation (its settings, episodes and seed)."""
    from siri.policy.loading import load_policy

    model, tokenizer = load_policy(str(model_dir), cfg.run.device, cfg.model.dtype)
    return evaluate(model, tokenizer, eval_settings(cfg), cfg.eval.episodes, cfg.eval.batch_episodes,
                    seed=cfg.run.seed, variant_fn=variant_fn)


def phase0_end_eval(cfg: Any, run_dir: Path) -> EvalResult | None:
    """The plain-prompt evaluation of the checkpoint of the last Phase-0 iteration; None when the run
    had no Phase 0 (the no-warm-up ablation)."""
    it = last_iteration_of(run_dir / "metrics.jsonl", "phase0")
    if it is None:
        return None
    model_dir = run_dir / "checkpoints" / f"iter_{it:06d}" / "model"
    if not is_model_dir(model_dir):
        raise UserError(f"the end of Phase 0 (iteration {it}) has no checkpoint at {model_dir}; "
                        f"keep it with train.checkpoint_every=1 and train.keep_checkpoints >= train.iterations")
    return _evaluate(cfg, model_dir)


def with_skills_eval(cfg: Any, model_dir: Path, skills: dict[str, str]) -> EvalResult | None:
    """The evaluation of the model at `model_dir` with each task type's skill of `skills` in its
    prompt (plain prompt for the others); None when there is no skill."""
    return _evaluate(cfg, model_dir, skill_variants(skills)) if skills else None


def milestone_evals(cfg: Any, run_dir: Path, sft_model: Path, skills: Callable[[], dict[str, str]],
                    save: Callable[[EvalResult, str], None], echo: Callable[[str], None] = print) -> None:
    """Write `phase0_end` and `sft_start_skills` into the run's eval/ (each skipped when already there;
    a milestone that cannot be evaluated is said, not raised, so the report is still written).
    `skills` reads the bank's best active skill per task type, only when that evaluation is to do."""
    def done(name: str) -> bool:
        return (run_dir / "eval" / f"{name}.json").exists()

    if not done(PHASE0_END):
        try:
            result = phase0_end_eval(cfg, run_dir)
        except UserError as err:
            echo(f"no end-of-Phase-0 evaluation: {err}")
        else:
            if result is None:
                echo("no Phase 0 in this run: no end-of-Phase-0 evaluation")
            else:
                save(result, PHASE0_END)
    if not done(SFT_WITH_SKILLS):
        result = with_skills_eval(cfg, sft_model, skills())
        if result is None:
            echo("no active skill in the bank: no with-skill evaluation of the warm start")
        else:
            save(result, SFT_WITH_SKILLS)
