"""Is the self-distillation teacher a better policy than the student? Evaluate the teacher's prompt.

Why: Skill-SD and OPSD distill the policy's own distribution under an augmented prompt (a structured
skill from the library; the oracle's solution plan) into the plain-prompt student. The pull can only
help if the policy *acts better* with that prompt. This plays the same checkpoint on the same
held-out seeds three ways, as the teachers condition it, and prints held-out success of each:

- `plain`: the student's prompt;
- `library`: a structured skill of the Skill-SD library (`--library`, a skills.jsonl) in the acting
  prompt, one arm drawn uniformly per episode (the teacher averaged over the arms UCB cycles through);
- `patterns`: the same arms, only their success patterns as one-line skills (`--max-patterns` K:
  the first K), as the teacher shows them with `algo.teacher_skill_form=patterns`;
- `plan`: OPSD's privileged information, the oracle's solution plan from the episode's initial state.

    .venv/bin/python benchmarks/teacher_as_policy.py --checkpoint runs/models/sokoban_sft/model \
        --config sokoban_tiny_opsd --library runs/i6_skill_sd_s0/skills.jsonl --episodes 500

The OPD teacher is a separate checkpoint: evaluate it with `siri eval` instead. Measured on the
Sokoban tiny SFT start, 500 held-out episodes: plain 0.416, library (seed 0's 21 arms) 0.424, plan
0.390; the OPD teacher checkpoint (`siri eval`, 500 episodes: 0.528 against the start's 0.430) is
the only teacher that acts better than the student.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from siri.config import load_config
from siri.policy.loading import load_policy
from siri.rollout.engine import Variant
from siri.skills import SkillLibrary
from siri.evaluation.evaluate import eval_settings, evaluate
from siri.train.methods.distill.oracle import PlanSource


def library_variants(path: str, seed: int, form: str = "structured", max_patterns: int | None = None):
    """One arm per episode, shown as the teacher shows it (`algo.teacher_skill_form`): the structured
    skill, or its first `max_patterns` success patterns as one-line skills."""
    library = SkillLibrary.load(path)
    rng = np.random.default_rng(seed)

    def variant(_g: int, _i: int, task_type: str) -> Variant:
        arms = library.arms(task_type)
        if not arms:
            return Variant()
        skill = library.structured(arms[int(rng.integers(len(arms)))].id)
        return Variant(skills=skill if form == "structured" else skill.success_patterns[:max_patterns])

    return variant, len(library)


def plan_variants(cfg, episodes: int):
    """Episode g of a single-batch evaluation is held-out seed g (`evaluate` uses seeds 0..N-1)."""
    source = PlanSource(cfg.env.name, dict(cfg.env.options), cfg.env.max_steps, cfg.algo.oracle,
                        cfg.algo.plan_max_actions, split=cfg.eval.split)
    plans = {seed: source.text(seed) for seed in range(episodes)}

    def variant(g: int, _i: int, _task_type: str) -> Variant:
        return Variant(skills=(plans[g],)) if plans[g] else Variant()

    return variant, sum(p is not None for p in plans.values())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", required=True, help="a model directory")
    p.add_argument("--config", default="sokoban_tiny_opsd")
    p.add_argument("--library", help="a Skill-SD skills.jsonl (omit to skip the `library` row)")
    p.add_argument("--episodes", type=int, default=200)
    p.add_argument("--modes", default="plain,library,plan",
                   help="plain, library (structured arms), patterns (arms' success patterns as lines), plan")
    p.add_argument("--max-patterns", type=int, default=None, help="patterns mode: the first K success patterns")
    p.add_argument("--out", default="benchmarks/results/teacher_as_policy.json", help="where the JSON goes")
    args = p.parse_args()
    cfg = load_config(args.config)
    model, tokenizer = load_policy(args.checkpoint, cfg.run.device, cfg.model.dtype)
    settings = eval_settings(cfg)
    results = {}
    for mode in args.modes.split(","):
        note = ""
        if mode == "plain":
            fn = None
        elif mode == "library":
            if not args.library:
                continue
            fn, n = library_variants(args.library, cfg.run.seed)
            note = f"{n} arms"
        elif mode == "patterns":
            if not args.library:
                continue
            fn, n = library_variants(args.library, cfg.run.seed, "patterns", args.max_patterns)
            note = f"{n} arms, success patterns {args.max_patterns or 'all'}"
        elif mode == "plan":
            fn, n = plan_variants(cfg, args.episodes)
            note = f"{n} of {args.episodes} episodes have a plan"
        else:
            raise SystemExit(f"unknown mode {mode!r}; allowed: plain, library, patterns, plan")
        res = evaluate(model, tokenizer, settings, args.episodes, batch_episodes=args.episodes,
                       seed=cfg.run.seed, variant_fn=fn)
        row = res.table["all"]
        results[mode] = {**row, "invalid_ratio": res.invalid_ratio, "mean_steps": res.mean_steps, "note": note}
        print(f"{mode:8s} {row['success']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]  "
              f"invalid {res.invalid_ratio:.3f}  steps {res.mean_steps:.1f}  {note}", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"checkpoint": args.checkpoint, "library": args.library, "results": results}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
