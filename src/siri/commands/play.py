"""`siri play ENV`: a person (or, with --oracle, the oracle) plays an environment in the terminal.

What is shown comes from the environment's `AgentText` (docs/environments.md "Agent interface"): the
actions the agent would see, numbered so a person may type the number, and the env's `legend` (Sokoban's
symbols) once before the first step. An action that is not admissible is marked invalid and still sent:
every environment counts such a step (docs/environments.md "Common contract"), and so does play.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from typing import Callable, Sequence, TextIO

import yaml

from siri.commands.common import is_quiet
from siri.commands.play_screen import Screen
from siri.envs import SPLITS, AgentText, Env, StepResult, env_names, env_text, make_env, make_oracle
from siri.envs.base import EnvError

Chooser = Callable[[StepResult], "str | None"]
QUIT = frozenset({"quit", "exit"})


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "play",
        help="play an environment in the terminal (or watch its oracle)",
        description="Play ENV in the terminal: the observation, the numbered admissible actions, the reward "
        "and whether the episode is done are shown after every step. Type an action or its number, or "
        "'quit'; arrow keys edit the line. An action that is not admissible is marked invalid and, as in "
        "training, still counts as a step. With --quiet: no legend, and with --oracle only the verdict.",
    )
    p.add_argument("env", choices=env_names(), metavar="ENV", help=f"one of: {', '.join(env_names())}")
    p.add_argument("--seed", type=int, default=0, help="task seed (default 0)")
    p.add_argument("--split", choices=SPLITS, default="train", help="train, eval or unseen")
    p.add_argument("--oracle", nargs="?", const="", default=None, metavar="KIND",
                   help="let the oracle play (optionally naming its kind, e.g. searcher)")
    p.add_argument("--max-steps", type=int, default=None, help="episode step limit")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="environment option, e.g. size=small (repeatable)")
    p.add_argument("--width", type=int, default=None,
                   help="wrap text at this many columns (default: the terminal's width)")
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


def enable_line_editing() -> bool:
    """Let arrow keys and history edit the typed line (Python's `readline`, where the platform has it);
    without it an arrow key types `^[[A` into the action. Returns whether line editing is on."""
    try:
        import readline  # noqa: F401  (importing it is what makes input() editable)
    except ImportError:
        return False
    return True


class Asker:
    """Reads the person's action: a number picks the listed action of that number, anything else is the
    action itself. Input that cannot be meant as an action (empty, a number out of range, a placeholder's
    number, terminal escape codes) is explained and asked again, so it costs no step."""

    def __init__(self, text: AgentText, screen: Screen, read: Callable[[str], str] | None = None):
        self.text, self.screen, self.read = text, screen, read  # None: input(), looked up at each call

    def __call__(self, last: StepResult) -> str | None:
        shown = self.text.visible_actions(last.admissible_actions)
        while True:
            try:
                typed = (self.read or input)("action> ").strip()
            except EOFError:
                return None
            if typed.lower() in QUIT:
                return None
            action, problem = self._resolve(typed, shown)
            if problem is None:
                return action
            self.screen.say(problem)

    def _resolve(self, typed: str, shown: Sequence[str]) -> tuple[str, str | None]:
        if not typed:
            return typed, "type an action or its number ('quit' ends the episode)"
        if "\x1b" in typed:
            return typed, "that was a terminal key code (an arrow key?), not an action: nothing was sent"
        if not typed.isdigit():
            return typed, None
        number = int(typed)
        if not 1 <= number <= len(shown):
            return typed, f"no action numbered {number}: the actions are numbered 1 to {len(shown)}"
        action = shown[number - 1]
        if action in self.text.placeholder_actions:
            return action, f"{action} is a form to fill in: type it with your own text in place of <...>"
        return action, None


def _show(env: Env, text: AgentText, result: StepResult, step: int, screen: Screen) -> None:
    screen.line(f"\n--- step {step} of at most {env.max_steps} | task: {result.task} [{result.task_type}]")
    screen.block(result.observation)
    if not result.done:
        screen.line("\nadmissible actions:")
        screen.numbered(text.visible_actions(result.admissible_actions))


def run_episode(env: Env, first: StepResult, choose: Chooser, out: TextIO | None = None, *,
                width: int | None = None, steps: bool = True, legend: bool = True) -> StepResult:
    """Play one episode from `first`, asking `choose` for each action (None quits); prints to `out`
    (standard output by default), wrapped at `width` columns. `steps=False` prints only the verdict;
    `legend=False` leaves out the environment's legend."""
    text = env_text(env.name)
    screen = Screen(out or sys.stdout, width or terminal_width(), quiet=not steps)
    if legend and text.legend:
        screen.block(text.legend)
    result, step, total = first, 0, 0.0
    _show(env, text, result, step, screen)
    while not result.done:
        action = choose(result)
        if action is None:
            break
        valid = text.admits(action, result.admissible_actions)
        result = env.step(action)
        step += 1
        total += result.reward
        screen.line(f"> {action}")
        if not valid:
            screen.say(f"invalid: {action!r} is not an admissible action. The environment answers it as any "
                       f"bad command and the step counts ({step} of at most {env.max_steps} used).")
        score = "" if result.task_score is None else f" | score {result.task_score:.3f}"
        screen.line(f"reward {result.reward:+.2f} | return {total:+.2f} | done {result.done}{score}")
        _show(env, text, result, step, screen)
    verdict = "WON" if result.won else "not won"
    screen.result(f"\nepisode over after {step} steps: {verdict} (return {total:+.2f})")
    return result


def terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def run(args: argparse.Namespace) -> int:
    from siri.utils.errors import UserError

    if args.width is not None and args.width < 20:
        raise UserError(f"--width must be at least 20 columns, got {args.width}")
    options = parse_options(args.option)
    if args.max_steps is not None:
        options["max_steps"] = args.max_steps
    env = make_env(args.env, split=args.split, **options)
    first = env.reset(args.seed)
    quiet = is_quiet(args)
    width = args.width or terminal_width()
    if args.oracle is not None:
        choose: Chooser = make_oracle(env, args.oracle or None).act
    else:
        enable_line_editing()
        screen = Screen(sys.stdout, width, quiet=quiet)
        screen.say("Type an action or its number; 'quit' ends the episode.")
        choose = Asker(env_text(env.name), Screen(sys.stdout, width))
    run_episode(env, first, choose, width=width, steps=not (quiet and args.oracle is not None), legend=not quiet)
    return 0
