"""OPSD's privileged information (docs/algorithms.md §5): the oracle's solution plan for a task.

OPSD's teacher is the policy itself with fixed privileged information in its prompt. Here that
information is the environment oracle's complete solution from the task's initial state, found by
replaying the oracle on a private copy of the environment reset with the same seed, and rendered as
one line of the teacher prompt's skills block. It is fixed per task: every step of every trajectory
of the group sees the same plan (ours: the plan is not re-computed from the student's current state).
A task the oracle does not solve within the episode's step limit gets no plan (its rows are not
distilled). Plans are cached by seed.
"""

from __future__ import annotations

from typing import Any

from siri.envs import EnvError, make_env, make_oracle, oracle_kinds
from siri.utils.errors import UserError

PLAN_PREFIX = "A solution to this task from its initial state"


def oracle_plan(env: Any, seed: int, kind: str | None = None) -> list[str] | None:
    """The actions the oracle plays from `env.reset(seed)` to a win, or None if it does not win."""
    last = env.reset(int(seed))
    oracle = make_oracle(env, kind)
    actions: list[str] = []
    while not last.done:
        action = oracle.act(last)
        actions.append(action)
        last = env.step(action)
    return actions if last.won else None


def render_plan(actions: list[str], max_actions: int) -> str:
    """`A solution to this task from its initial state (N actions): a1 -> a2 -> ...` (cut at max_actions)."""
    shown = actions[:max_actions]
    more = " -> ..." if len(actions) > max_actions else ""
    return f"{PLAN_PREFIX} ({len(actions)} actions): {' -> '.join(shown)}{more}"


class PlanSource:
    """Rendered oracle plans per seed of `split` (training: "train"), from one private environment of
    the run's spec."""

    def __init__(self, env_name: str, env_options: dict[str, Any], max_steps: int, kind: str | None,
                 max_actions: int, split: str = "train"):
        kinds = oracle_kinds(env_name)
        if kind is not None and kind not in kinds:
            raise UserError(f"algo.oracle: unknown oracle {kind!r} for {env_name}; allowed: {', '.join(kinds)}")
        self.env = make_env(env_name, split=split, max_steps=max_steps, **env_options)
        self.kind, self.max_actions = kind, max_actions
        self._cache: dict[int, str | None] = {}

    def text(self, seed: int) -> str | None:
        if seed not in self._cache:
            try:
                plan = oracle_plan(self.env, seed, self.kind)
            except EnvError:  # e.g. a search limit: no privileged information for this task
                plan = None
            self._cache[seed] = render_plan(plan, self.max_actions) if plan else None
        return self._cache[seed]
