"""Random-input fuzzing of any registered environment against the common contract (docs/environments.md,
"Common contract"; run by tests/envs/test_fuzz.py and benchmarks/fuzz_envs.py).

`fuzz_env(name, steps, seed)` plays episodes of `make_env(name, ...)` (random split, step limit and task
seed) with random actions of these kinds:

- `admissible`: one of the admissible actions (a placeholder such as the shop's `search[<your query>]`
  gets words of the observation in place of `<...>`);
- `near_miss`: an admissible action one edit away (a character deleted, inserted, replaced or two
  swapped), with its case changed, with extra or missing spaces, with a prefix or suffix, or with its
  verb kept and its object replaced;
- `unicode`: short strings of CJK, emoji, control characters (NUL included), combining marks, zero-width
  and bidi marks, lone surrogates, full-width forms, case-folding traps (İ, ß, the Kelvin sign), alone
  or spliced into an admissible action;
- `long`: 100 000 characters (one character repeated, admissible actions repeated, random unicode, an
  action padded with spaces, a bracketed argument);
- `empty` and `whitespace`;
- `oracle`: in half of the episodes, most steps are the environment's default oracle's action, so the
  other kinds also hit deep states (objects in hand, item pages with options chosen, boxes near
  targets) and episodes end with a win as well as at the step limit.

Each finished episode is stepped 1-3 more times. After every reset and step it checks the contract
(`check_result`, `check_after_done`) and that nothing raised. Some episodes are replayed on a fresh
environment and must give equal results step by step (determinism, and no state leaking between
episodes of one environment). Nothing here imports an ML library.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from siri.envs.base import SPLITS, StepResult
from siri.envs.registry import env_text, make_env, make_oracle

LONG = 100_000
KINDS = ("admissible", "near_miss", "unicode", "long", "empty", "whitespace")  # and "oracle"
WEIGHTS = (30, 34, 18, 1, 5, 12)
GUIDED_EPISODES, ORACLE_STEPS = 0.5, 0.7  # share of episodes with an oracle; share of its steps it takes
STEP_LIMITS = (1, 2, 5, 10, 30)  # short limits end episodes often, so after-done steps are common
MAX_PROBLEMS = 20  # messages kept per report (every problem is counted)

_POOLS = (
    [chr(c) for c in range(0x4E00, 0x9FFF, 97)],  # CJK ideographs
    [chr(c) for c in range(0x1F300, 0x1FAFF, 13)] + ["\u2764\ufe0f", "\U0001f468\u200d\U0001f469\u200d\U0001f467"],
    [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))],  # C0 (NUL, tab, newline) and C1 controls
    [chr(c) for c in range(0x0300, 0x0370, 7)],  # combining marks
    ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202e", "\u2066", "\ufeff", "\u2028", "\u2029"],
    [chr(c) for c in range(0xD800, 0xE000, 257)],  # lone surrogates (a Python str can hold them)
    [chr(c) for c in range(0xFF01, 0xFF5F)],  # full-width ASCII
    ["\u0130", "\u00df", "\u212a", "\u01c5", "\ufb01", "\u1e9e", "\u03a3", "\uffff", "\U0010ffff", "\ue000"],
    list("[]<>{}()\\/\"'`|;:=#$%&*"),
)
Check = Callable[[StepResult], list[str]]
_SPACES = " \t\n\r\x0b\x0c\u00a0\u3000\u2028\u200b\u1680\u2003"


@dataclass
class FuzzReport:
    """Counts of one fuzz run; `problems` keeps the first `MAX_PROBLEMS` messages."""

    env: str
    steps: int = 0
    episodes: int = 0
    after_done_steps: int = 0
    wins: int = 0
    replays: int = 0
    exceptions: int = 0
    breaks: int = 0
    seconds: float = 0.0
    kinds: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exceptions == 0 and self.breaks == 0

    def note(self, message: str, exception: bool = False) -> None:
        if exception:
            self.exceptions += 1
        else:
            self.breaks += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)

    def row(self) -> dict[str, Any]:
        return {"env": self.env, "steps": self.steps, "episodes": self.episodes,
                "after_done_steps": self.after_done_steps, "wins": self.wins, "replays": self.replays,
                "exceptions": self.exceptions, "invariant_breaks": self.breaks,
                "seconds": round(self.seconds, 2), "kinds": dict(sorted(self.kinds.items())),
                "problems": list(self.problems)}


# ---- the contract -------------------------------------------------------------------------------------

def check_result(r: Any, *, fresh: bool = False, steps: int = 0, max_steps: int | None = None,
                 task: tuple[str, str] | None = None) -> list[str]:
    """What every `StepResult` must satisfy (envs/base.py); [] when it does. `fresh`: it came from a
    reset; `steps`: steps taken since the reset; `task`: the episode's (task, task_type)."""
    if not isinstance(r, StepResult):
        return [f"not a StepResult: {type(r).__name__}"]
    out = []
    for name in ("observation", "anchor", "task", "task_type"):
        value = getattr(r, name)
        if not isinstance(value, str):
            out.append(f"{name} is {type(value).__name__}, not str")
        elif not _encodable(value):
            out.append(f"{name} is not encodable as UTF-8")
    if type(r.reward) is not float or not math.isfinite(r.reward):
        out.append(f"reward {r.reward!r} is not a finite float")
    for name in ("done", "won"):
        if type(getattr(r, name)) is not bool:
            out.append(f"{name} {getattr(r, name)!r} is not a bool")
    acts = r.admissible_actions
    if not isinstance(acts, tuple) or not all(isinstance(a, str) and a for a in acts):
        out.append(f"admissible_actions is not a tuple of non-empty str: {acts!r:.120}")
    elif len(set(acts)) != len(acts):
        dup = sorted(a for a, n in Counter(acts).items() if n > 1)
        out.append(f"admissible_actions repeat {dup[:3]}")
    elif not r.done and not acts:
        out.append("no admissible action while the episode runs")
    if r.task_score is not None and (type(r.task_score) is not float or not math.isfinite(r.task_score)):
        out.append(f"task_score {r.task_score!r} is neither None nor a finite float")
    if not isinstance(r.info, dict) or not all(isinstance(k, str) for k in r.info):
        out.append("info is not a dict with str keys")
    if r.won and not r.done:
        out.append("won but not done")
    if fresh and (r.done or r.won or r.reward != 0.0):
        out.append(f"reset returned done={r.done} won={r.won} reward={r.reward}")
    if max_steps is not None and steps >= max_steps and not r.done:
        out.append(f"not done after {steps} steps with max_steps={max_steps}")
    if task is not None and (r.task, r.task_type) != task:
        out.append(f"task changed within the episode: {task} -> {(r.task, r.task_type)}")
    return out


def check_after_done(r: StepResult, final: StepResult) -> list[str]:
    """A step after the episode ended: the final result again with reward 0 (base.after_done)."""
    out = []
    if r.reward != 0.0:
        out.append(f"after done: reward {r.reward}")
    if r.done is not True:
        out.append("after done: done flipped back to False")
    for name in ("observation", "anchor", "won", "admissible_actions", "task", "task_type", "task_score"):
        if getattr(r, name) != getattr(final, name):
            out.append(f"after done: {name} changed")
    return out


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _sorted(r: StepResult) -> list[str]:
    acts = list(r.admissible_actions)
    return [] if acts == sorted(acts) else ["admissible_actions are not in alphabetical order"]


def _shop_order(r: StepResult) -> list[str]:
    acts, marker = list(r.admissible_actions), "search[<your query>]"
    clicks = acts[1:] if acts[:1] == [marker] else acts
    if any(not (a.startswith("click[") and a.endswith("]")) for a in clicks):
        return ["shop actions are not the search marker first, then click[...] entries"]
    return []


# The order each built-in environment documents for its admissible actions (docs/environments.md):
# household lists them alphabetically, Sokoban's four directions are sorted, the shop lists the search
# bar's marker first and then a click per clickable in page order. The base contract does not fix an
# order (a registered environment may keep its own).
DOCUMENTED_ORDER: dict[str, Check] = {"household": _sorted, "sokoban": _sorted, "shop": _shop_order}


# ---- actions --------------------------------------------------------------------------------------------

def _unicode(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(rng.choice(_POOLS)) for _ in range(n))


def _words(rng: random.Random, last: StepResult, k: int) -> str:
    words = re.findall(r"[A-Za-z0-9]+", last.observation) or ["x"]
    return " ".join(rng.choice(words) for _ in range(k))


def _admissible(rng: random.Random, last: StepResult, placeholders: frozenset[str]) -> str:
    acts = last.admissible_actions or ("look",)
    action = rng.choice(acts)
    if action in placeholders or re.search(r"<[^<>]+>", action):
        action = re.sub(r"<[^<>]+>", lambda _: _words(rng, last, rng.randint(1, 4)), action)
    return action


def _edit(rng: random.Random, a: str) -> str:
    i = rng.randrange(len(a) + 1)
    op = rng.choice(("delete", "insert", "replace", "swap"))
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 []" + a)
    if op == "insert" or not a:
        return a[:i] + letter + a[i:]
    i = min(i, len(a) - 1)
    if op == "delete":
        return a[:i] + a[i + 1:]
    if op == "replace":
        return a[:i] + letter + a[i + 1:]
    j = min(i + 1, len(a) - 1)
    chars = list(a)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def _wrong_object(rng: random.Random, a: str, last: StepResult) -> str:
    """The verb of `a` kept, its object replaced (another action's object, a bumped number, words)."""
    m = re.match(r"([^\s\[]+)([\s\[])(.*?)(\]?)$", a, re.DOTALL)
    if m is None:
        return a + " " + _words(rng, last, 1)
    verb, sep, obj, close = m.groups()
    choice = rng.randrange(3)
    if choice == 0 and last.admissible_actions:
        other = re.match(r"[^\s\[]+[\s\[](.*?)\]?$", rng.choice(last.admissible_actions), re.DOTALL)
        obj = other.group(1) if other else obj
    elif choice == 1 and re.search(r"\d+", obj):
        obj = re.sub(r"\d+", lambda d: str(int(d.group()) + rng.choice((1, 7, 98))), obj, count=1)
    else:
        obj = _words(rng, last, rng.randint(1, 3))
    return verb + sep + obj + close


def _near_miss(rng: random.Random, last: StepResult, placeholders: frozenset[str]) -> str:
    a = _admissible(rng, last, placeholders)
    how = rng.randrange(6)
    if how == 0:
        return _edit(rng, a)
    if how == 1:
        return rng.choice((a.upper(), a.title(), a.swapcase(),
                           "".join(c.upper() if rng.random() < 0.5 else c for c in a)))
    if how == 2:
        spaced = re.sub(r" ", lambda _: rng.choice(("  ", "\t", " \n ", "")), a)
        return rng.choice(("  " + a, a + " \t\n", spaced, a.replace("[", " [ ").replace("]", " ] ")))
    if how == 3:
        return rng.choice(("> ", "'", "\"", "<action>", "I choose: ", "1. ")) + a + \
            rng.choice((".", "'", "\"", "</action>", "!", " now", ""))
    if how == 4:
        return _wrong_object(rng, a, last)
    return a + rng.choice((" ", " and ", "\n", "; ")) + _admissible(rng, last, placeholders)


def _long(rng: random.Random, last: StepResult, placeholders: frozenset[str]) -> str:
    a = _admissible(rng, last, placeholders)
    how = rng.randrange(6)
    if how == 0:
        return rng.choice("a [x\x00上😀 ") * LONG
    if how == 1:
        return ((a + " ") * (LONG // (len(a) + 1) + 1))[:LONG]
    if how == 2:
        return _unicode(rng, LONG)
    if how == 3:
        return a + " " * LONG
    if how == 4:
        verb = re.match(r"[^\s\[]*", a).group()
        return f"{verb}[" + ("word " * (LONG // 5)) + "]"
    return " " * LONG + a


def random_action(rng: random.Random, last: StepResult, placeholders: frozenset[str] = frozenset()) -> tuple[str, str]:
    """(kind, action text) for the next step after `last`."""
    kind = rng.choices(KINDS, WEIGHTS)[0]
    if kind == "admissible":
        return kind, _admissible(rng, last, placeholders)
    if kind == "near_miss":
        return kind, _near_miss(rng, last, placeholders)
    if kind == "unicode":
        text = _unicode(rng, rng.randint(1, 40))
        if rng.random() < 0.5:
            a = _admissible(rng, last, placeholders)
            i = rng.randrange(len(a) + 1)
            text = a[:i] + text + a[i:]
        return kind, text
    if kind == "long":
        return kind, _long(rng, last, placeholders)
    if kind == "empty":
        return kind, ""
    return kind, "".join(rng.choice(_SPACES) for _ in range(rng.randint(1, 12)))


# ---- the run ------------------------------------------------------------------------------------------


def _seed(rng: random.Random) -> int:
    return rng.choice((rng.randrange(1000), rng.randrange(1_000_000), rng.randrange(2**40)))


def _replay(name: str, options: dict[str, Any], seed: int, actions: list[str], results: list[StepResult],
            report: FuzzReport) -> None:
    """The same seed and actions on a fresh environment must give equal results."""
    report.replays += 1
    env = make_env(name, **options)
    again = [env.reset(seed)] + [env.step(a) for a in actions]
    for i, (a, b) in enumerate(zip(again, results)):
        if a != b:
            report.note(f"not deterministic: {options} seed {seed}, result {i} differs "
                        f"(after {actions[i - 1][:60]!r})" if i else f"not deterministic: reset({seed}) {options}")
            return


def fuzz_env(name: str, steps: int = 2000, seed: int = 0, replay_every: int = 5,
             extra_check: Check | None = None, env_options: dict[str, Any] | None = None) -> FuzzReport:
    """Fuzz environment `name` for `steps` steps (after-done steps included); see the module docstring.

    Every `replay_every`-th episode is replayed on a fresh environment. `extra_check` adds the
    environment's own rules (default: its `DOCUMENTED_ORDER` entry, if any). `env_options` are passed to
    every `make_env` (its `env.options`)."""
    extra_check = extra_check or DOCUMENTED_ORDER.get(name)
    rng = random.Random(f"fuzz/{name}/{seed}")
    placeholders = frozenset(env_text(name).placeholder_actions)
    report = FuzzReport(env=name)
    envs: dict[tuple[str, int], Any] = {}
    start = time.perf_counter()
    while report.steps < steps:
        options = {**(env_options or {}), "split": rng.choice(SPLITS), "max_steps": rng.choice(STEP_LIMITS)}
        key = (options["split"], options["max_steps"])
        env = envs.get(key) or envs.setdefault(key, make_env(name, **options))
        task_seed = _seed(rng)
        report.episodes += 1
        actions: list[str] = []
        results: list[StepResult] = []
        try:
            last = env.reset(task_seed)
            results.append(last)
            oracle = make_oracle(env) if rng.random() < GUIDED_EPISODES else None
            _note_all(report, check_result(last, fresh=True), extra_check, last, f"reset({task_seed})")
            task = (last.task, last.task_type)
            extra_after_done = rng.randint(1, 3)
            while report.steps < steps:
                if oracle is not None and not last.done and rng.random() < ORACLE_STEPS:
                    kind, action = "oracle", oracle.act(last)
                else:
                    kind, action = random_action(rng, last, placeholders)
                done_before = last.done
                r = env.step(action)
                report.steps += 1
                report.kinds[kind] += 1
                actions.append(action)
                results.append(r)
                where = f"{options} seed {task_seed} step {len(actions)} {kind} {action[:60]!r}"
                problems = check_result(r, steps=len(actions), max_steps=options["max_steps"], task=task)
                if done_before:
                    report.after_done_steps += 1
                    problems += check_after_done(r, last)
                    extra_after_done -= 1
                _note_all(report, problems, extra_check, r, where)
                if not done_before:
                    last = r
                    report.wins += bool(r.won)
                if (done_before and extra_after_done <= 0) or len(actions) > options["max_steps"] + 5:
                    break
        except Exception as e:  # noqa: BLE001 - counting exceptions is the point
            report.note(f"{type(e).__name__}: {str(e)[:200]} ({options} seed {task_seed}, "
                        f"after {len(actions)} actions, last {actions[-1][:60] if actions else None!r})", True)
            envs.pop(key, None)  # the environment may be broken; the next episode gets a new one
            continue
        if replay_every and report.episodes % replay_every == 0:
            try:
                _replay(name, options, task_seed, actions, results, report)
            except Exception as e:  # noqa: BLE001
                report.note(f"replay raised {type(e).__name__}: {str(e)[:200]}", True)
    report.seconds = time.perf_counter() - start
    return report


def _note_all(report: FuzzReport, problems: list[str], extra: Check | None, r: StepResult, where: str) -> None:
    if extra is not None and isinstance(r, StepResult):
        problems = problems + extra(r)
    for p in problems:
        report.note(f"{p} [{where}]")
