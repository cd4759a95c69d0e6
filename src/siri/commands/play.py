"""`siri play ENV`: a person (or, with --oracle, the oracle) plays an environment in the terminal."""

from __future__ import annotations

import argparse
import sys
from typing import Callable, TextIO

import yaml

from siri.envs import SPLITS, Env, StepResult, env_names, env_text, make_env, make_oracle
from siri.envs.base import EnvError

Chooser = Callable[[StepResult], "str | None"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "play",
        help="play an environment in the terminal (or watch its oracle)",
        description="Play ENV in the terminal: the observation, the admissible actions, the reward and "
        "whether the episode is done are shown after every step. Type an action, or 'quit'.",
    )
    p.add_argument("env", choices=env_names(), metavar="ENV", help=f"one of: {', '.join(env_names())}")
    p.add_argument("--seed", type=int, default=0, help="task seed (default 0)")
    p.add_argument("--split", choices=SPLITS, default="train", help="train, eval or unseen")
    p.add_argument("--oracle", nargs="?", const="", default=None, metavar="KIND",
                   help="let the oracle play (optionally naming its kind, e.g. searcher)")
    p.add_argument("--max-steps", type=int, default=None, help="episode step limit")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="environment option, e.g. size=small (repeatable)")
    p.set_defaults(func=run)


def parse_options(items: list[str]) -> dict[str, object]:
    """`["size=small", "num_boxes=2"]` -> {"size": "small", "num_boxes": 2} (values read as YAML)."""
    options: dict[str, object] = {}
    for item in items:
        if "=" not in item:
            raise EnvError(f"bad --option {item!r}: expected KEY=VALUE, e.g. size=small")
        key, raw = item.split("=", 1)
        options[key.strip()] = yaml.safe_load(raw)
    return options


def _show(env: Env, result: StepResult, step: int, out: TextIO) -> None:
    print(f"\n--- step {step} | task: {result.task} [{result.task_type}]", file=out)
    print(result.observation, file=out)
    if not result.done:
        shown = env_text(env.name).visible_actions(result.admissible_actions)  # what the agent is shown
        print(f"\nadmissible: {', '.join(shown)}", file=out)


def run_episode(env: Env, first: StepResult, choose: Chooser, out: TextIO | None = None) -> StepResult:
    """Play one episode from `first`, asking `choose` for each action (None quits); prints to `out`
    (standard output by default)."""
    out = out or sys.stdout
    result, step, total = first, 0, 0.0
    _show(env, result, step, out)
    while not result.done:
        action = choose(result)
        if action is None:
            break
        result = env.step(action)
        step += 1
        total += result.reward
        print(f"> {action}", file=out)
        _show(env, result, step, out)
        score = "" if result.task_score is None else f" | score {result.task_score:.3f}"
        print(f"reward {result.reward:+.2f} | return {total:+.2f} | done {result.done}{score}", file=out)
    verdict = "WON" if result.won else "not won"
    print(f"\nepisode over after {step} steps: {verdict} (return {total:+.2f})", file=out)
    return result


def _ask(last: StepResult) -> str | None:
    try:
        text = input("action> ")
    except EOFError:
        return None
    return None if text.strip().lower() in {"quit", "exit"} else text


def run(args: argparse.Namespace) -> int:
    options = parse_options(args.option)
    if args.max_steps is not None:
        options["max_steps"] = args.max_steps
    env = make_env(args.env, split=args.split, **options)
    first = env.reset(args.seed)
    choose: Chooser = _ask
    if args.oracle is not None:
        choose = make_oracle(env, args.oracle or None).act
    run_episode(env, first, choose)
    return 0
