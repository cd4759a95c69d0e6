"""The `demo` SFT kind: behaviour cloning on oracle demonstrations (docs/architecture.md "Models").

The configured oracle plays `sft.episodes` train seeds of the configured environment. At each step the
prompt is built exactly as the rollout builds it (docs/algorithms.md §0: task, last `env.history`
(observation, action) pairs, current observation; `agent.build_prompt` + the chat template) and the
response is `<action>{label}</action>`.

Noise (ours): with probability `sft.noise` the action *executed* at a step is not the oracle's: with
probability `sft.noise_repeat` it repeats the previous executed action (the typical mistake of a weak
policy; in household it usually answers "Nothing happens."), else it is a random visible admissible
action. Without such states in the data, a cloned policy that slips once keeps copying its last
action from the history and never recovers. The oracle is asked at every step (so its memory sees every
observation, and every step has the oracle's answer). What is learned at a noisy step is a switch:
- `sft.train_on_noise: false` (default): the label stays the oracle's action. Noise only perturbs the
  visited states, so the model also sees how to recover from detours (DART-style), and never learns a
  random action.
- `sft.train_on_noise: true`: the label is the executed noisy action (label noise): a cruder policy.
The history shown in later prompts holds the executed actions, as it would in a rollout.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from siri.agent import build_prompt
from siri.agent.templates import drawable_actions
from siri.config import Config
from siri.envs import Env, StepResult, agent_env_name, make_env, make_oracle, oracle_kinds
from siri.envs.base import EnvError
from siri.sft.data import BuildContext, SFTExample, register_builder

# Offset so the noise stream of run seed s is not the oracle's or the env's stream s.
_NOISE_SEED_SALT = 7_919


@dataclass(frozen=True)
class DemoStep:
    """One demonstrated step: what the agent saw, what the oracle said, what was executed."""

    seed: int
    t: int
    result: StepResult  # the observation the prompt shows (before the action)
    history: tuple[tuple[str, str], ...]  # (observation, executed action) pairs before this step
    oracle_action: str
    action: str  # executed: the oracle's, or a random one at a noisy step
    noisy: bool


def make_demo_env(cfg: Config) -> Env:
    """The configured environment on its train split, with the demonstrations' step limit (`sft.max_steps`:
    a limit longer than the rollout's lets every demonstration reach the task's last steps, which a
    tight limit cuts off in most blind searches) and otherwise the rollout's own arguments."""
    max_steps = cfg.sft.max_steps or cfg.env.max_steps
    return make_env(cfg.env.name, split="train", max_steps=max_steps, **cfg.env.options)


def check_oracle(env_name: str, kind: str) -> None:
    """Unknown oracle kind for this env -> one-line EnvError naming the allowed ones."""
    kinds = oracle_kinds(env_name)
    if kind not in kinds:
        raise EnvError(f"unknown oracle {kind!r} for {env_name} (sft.oracle); allowed: {', '.join(kinds)}")


def noise_choices(env_name: str, admissible: Sequence[str]) -> list[str]:
    """Actions a noisy step may draw: those the prompt lists (household hides `help`), minus shop's
    `search[<your query>]` placeholder, which is a prompt marker, not an action."""
    return drawable_actions(env_name, admissible)


@dataclass(frozen=True)
class DemoEpisode:
    steps: list[DemoStep]
    won: bool


def noisy_action(
    env_name: str, result: StepResult, history: Sequence[tuple[str, str]], repeat: float, rng: random.Random
) -> str | None:
    """The action of a noisy step: the previous one again (probability `repeat`), else a random
    visible admissible one; None when there is nothing to draw from."""
    if history and rng.random() < repeat:
        return history[-1][1]
    choices = noise_choices(agent_env_name(env_name), result.admissible_actions)
    return rng.choice(choices) if choices else None


def play_demo(
    env: Env, oracle_kind: str | Callable[[Env], Any], seed: int, noise: float, rng: random.Random,
    repeat: float = 0.0,
) -> DemoEpisode:
    """Play one episode of `seed` with the oracle (a registered kind, or a function that makes one for
    the env just reset); a step is noisy with probability `noise`."""
    result = env.reset(seed)
    oracle = oracle_kind(env) if callable(oracle_kind) else make_oracle(env, oracle_kind)
    history: list[tuple[str, str]] = []
    steps: list[DemoStep] = []
    while not result.done:
        label = oracle.act(result)
        action, noisy = label, False
        if noise > 0 and rng.random() < noise:
            drawn = noisy_action(env.name, result, history, repeat, rng)
            if drawn is not None:
                action, noisy = drawn, True
        steps.append(DemoStep(seed, len(steps), result, tuple(history), label, action, noisy))
        history.append((result.observation, action))
        result = env.step(action)
    return DemoEpisode(steps, result.won)


def step_prompt(cfg: Config, step: DemoStep, skills: Sequence[str] | None = None) -> str:
    """The user prompt of a step, exactly as the rollout renders it: plain, or with a skills block."""
    r = step.result
    return build_prompt(
        agent_env_name(cfg.env.name),
        task=r.task,
        observation=r.observation,
        admissible=r.admissible_actions,
        history=step.history,
        step=step.t,
        think=cfg.env.think,
        skills=list(skills) if skills else None,
        history_len=cfg.env.history,
    )


@register_builder("demo")
def build_demo_examples(ctx: BuildContext) -> list[SFTExample]:
    """Demonstrations on train seeds 0 .. sft.episodes-1 (see the module docstring).

    With `env.think` on, the response carries an empty `<think></think>` before the action (ours: the
    oracle gives no reasoning; the parser then accepts the format).
    """
    cfg, sft = ctx.cfg, ctx.cfg.sft
    check_oracle(cfg.env.name, sft.oracle)
    env = make_demo_env(cfg)
    rng = random.Random(cfg.run.seed * 1_000_003 + _NOISE_SEED_SALT)
    think = "" if cfg.env.think else None
    examples: list[SFTExample] = []
    won = noisy = 0
    for seed in range(sft.episodes):
        episode = play_demo(env, sft.oracle, seed, sft.noise, rng, sft.noise_repeat)
        won += int(episode.won)
        for step in episode.steps:
            label = step.action if sft.train_on_noise else step.oracle_action
            noisy += step.noisy
            meta = {"seed": seed, "t": step.t, "label": label, "oracle_action": step.oracle_action,
                    "action": step.action, "noisy": step.noisy, "task_type": step.result.task_type}
            examples.append(SFTExample(ctx.prompt_ids(step_prompt(cfg, step)),
                                       ctx.action_response_ids(label, think), "demo", meta))
    ctx.stats.update({
        "demo/episodes": sft.episodes,
        "demo/oracle_success": won / sft.episodes,
        "demo/noisy_steps": noisy,
    })
    return examples
