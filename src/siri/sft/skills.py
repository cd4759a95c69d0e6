"""SFT kinds that teach a tiny model SIRI's two skill abilities (docs/algorithms.md §4):

- `skill_demo`: act on a skills block. Oracle demonstrations whose prompts carry a skills block; the
  demonstrated action is the oracle's, which follows the skill because the skill was summarized from
  other oracle demonstrations of the same task type.
- `hint_demo`: follow a location hint (docs/environments.md "Knowledge that pays"). The environment's
  `hinted_demo` draws a location skill at random (not by the placement priors; often wrong) and an
  oracle that searches the hinted place first, then goes on searching; the prompt carries the hint.
  The policy learns that a skill changes what to do, which `skill_demo` cannot teach where the oracle
  would act the same without the skill. Only the first steps of a demonstration depend on its hint;
  `sft.hint_steps` keeps only those, so many hinted episodes cost few examples.
- `summary`: summarize trajectories into skills. The mining prompt over k successful demonstrations of
  one task type, answered with `When <condition>: <strategy>` lines and the end-of-turn token.

Skill texts come from the `extractive` generator, which reads only the demonstrated tasks and actions
(never an observation or hidden environment state). Skills are summarized from a separate block of
train seeds (`SOURCE_OFFSET`), so a prompt's skill never describes the very episode being demonstrated.
"""

from __future__ import annotations

import random
from collections import defaultdict

from siri.agent import EpisodeRecord, build_summary_prompt
from siri.envs import agent_env_name, env_hints
from siri.skills.generators.extractive import ExtractiveGenerator
from siri.sft.data import BuildContext, SFTExample, register_builder
from siri.sft.demo import make_demo_env, play_demo, step_prompt
from siri.utils.errors import UserError

SOURCE_OFFSET = 500_000  # train seeds the skills are summarized from
SKILL_DEMO_OFFSET = 250_000  # train seeds of the skill-conditioned demonstrations
SUMMARY_OFFSET = 750_000  # train seeds of the trajectories shown in summary prompts
HINT_DEMO_OFFSET = 900_000  # train seeds of the hint-following demonstrations


def _records_by_type(ctx: BuildContext, first_seed: int, episodes: int) -> dict[str, list[EpisodeRecord]]:
    """Successful noise-free oracle demonstrations, as records, per task type."""
    cfg = ctx.cfg
    env = make_demo_env(cfg)
    rng = random.Random(cfg.run.seed)
    out: dict[str, list[EpisodeRecord]] = defaultdict(list)
    for seed in range(first_seed, first_seed + episodes):
        ep = play_demo(env, cfg.sft.oracle, seed, 0.0, rng)
        if ep.won and ep.steps:
            first = ep.steps[0].result
            pairs = [(s.result.observation, s.action) for s in ep.steps]
            out[first.task_type].append(EpisodeRecord.from_steps(first.task, pairs, True))
    return out


def skills_by_type(ctx: BuildContext) -> dict[str, list[str]]:
    """Extractive skills of each task type, summarized from `sft.skill_sources` source demonstrations."""
    env_name = agent_env_name(ctx.cfg.env.name)
    gen = ExtractiveGenerator()
    out = {}
    for task_type, records in _records_by_type(ctx, SOURCE_OFFSET, ctx.cfg.sft.skill_sources).items():
        result = gen.generate(task_type, env_name, records[: ctx.cfg.sft.summary_k], ctx.cfg.sft.summary_max_skills)
        if result.skills:
            out[task_type] = result.skills
    return out


def skilled_examples(ctx: BuildContext, steps, skill: str, kind: str, meta: dict) -> list[SFTExample]:
    """One example per demonstrated step, its prompt carrying `skill`; labels as the `demo` kind's."""
    sft = ctx.cfg.sft
    return [SFTExample(ctx.prompt_ids(step_prompt(ctx.cfg, step, [skill])),
                       ctx.action_response_ids(step.action if sft.train_on_noise else step.oracle_action),
                       kind, {**meta, "t": step.t})
            for step in steps]


@register_builder("skill_demo")
def build_skill_demo_examples(ctx: BuildContext) -> list[SFTExample]:
    """Demonstrations under a prompt with one skill of the task type (chosen at random per episode)."""
    cfg, sft = ctx.cfg, ctx.cfg.sft
    skills = skills_by_type(ctx)
    env = make_demo_env(cfg)
    rng = random.Random(cfg.run.seed * 7 + 1)
    examples: list[SFTExample] = []
    for seed in range(SKILL_DEMO_OFFSET, SKILL_DEMO_OFFSET + sft.skill_episodes):
        ep = play_demo(env, sft.oracle, seed, sft.noise, rng, sft.noise_repeat)
        pool = skills.get(ep.steps[0].result.task_type) if ep.steps else None
        if not pool:
            continue
        skill = rng.choice(pool)
        examples += skilled_examples(ctx, ep.steps, skill, "skill_demo", {"seed": seed, "skill": skill})
    ctx.stats["skill_demo/task_types_with_skills"] = float(len(skills))
    return examples


@register_builder("hint_demo")
def build_hint_demo_examples(ctx: BuildContext) -> list[SFTExample]:
    """Demonstrations that follow a random location hint given in the prompt's skills block."""
    cfg, sft = ctx.cfg, ctx.cfg.sft
    hinted = env_hints(cfg.env.name)
    if hinted is None:
        raise UserError(f"sft kind hint_demo needs an environment with location hints; {cfg.env.name} has none")
    env = make_demo_env(cfg)
    rng = random.Random(cfg.run.seed * 13 + 5)
    examples: list[SFTExample] = []
    hints: list[tuple[str, dict[str, str]]] = []  # (skill text, what the oracle follows) per episode

    def follow(env_now):
        text, oracle = hinted(env_now, rng)
        hints.append((text, dict(oracle.hints)))
        return oracle

    won = 0
    for seed in range(HINT_DEMO_OFFSET, HINT_DEMO_OFFSET + sft.hint_episodes):
        ep = play_demo(env, follow, seed, sft.noise, rng, sft.noise_repeat)
        won += int(ep.won)
        skill, followed = hints[-1]
        examples += skilled_examples(ctx, ep.steps[: sft.hint_steps], skill, "hint_demo",
                                     {"seed": seed, "skill": skill, "follows": followed})
    ctx.stats["hint_demo/oracle_success"] = won / max(sft.hint_episodes, 1)
    return examples


def end_of_turn_id(tokenizer) -> int:
    """The token a chat turn ends with (`<|im_end|>` for ChatML templates), else eos."""
    tok_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    return tok_id if isinstance(tok_id, int) and tok_id != tokenizer.unk_token_id else tokenizer.eos_token_id


@register_builder("summary")
def build_summary_examples(ctx: BuildContext) -> list[SFTExample]:
    """Mining prompts over k successes of one task type, answered with that group's extractive skills."""
    cfg = ctx.cfg
    env_name = agent_env_name(cfg.env.name)
    gen = ExtractiveGenerator()
    rng = random.Random(cfg.run.seed * 11 + 3)
    by_type = _records_by_type(ctx, SUMMARY_OFFSET, cfg.sft.summary_sources)
    eot = end_of_turn_id(ctx.tokenizer)
    examples: list[SFTExample] = []
    types = sorted(t for t, recs in by_type.items() if recs)
    for i in range(cfg.sft.summary_examples if types else 0):
        task_type = types[i % len(types)]
        records = rng.sample(by_type[task_type], min(cfg.sft.summary_k, len(by_type[task_type])))
        result = gen.generate(task_type, env_name, records, cfg.sft.summary_max_skills)
        if not result.skills:
            continue
        prompt = build_summary_prompt(env_name, task_type, records, cfg.sft.summary_max_skills)
        answer = list(ctx.tokenizer.encode("\n".join(result.skills), add_special_tokens=False)) + [eot]
        examples.append(SFTExample(ctx.prompt_ids(prompt), answer, "summary", {"task_type": task_type}))
    return examples
