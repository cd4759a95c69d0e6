"""Breadth-first search over (player, boxes): a shortest solution in moves (docs/environments.md, "Sokoban":
"Oracle: breadth-first search over (player, boxes), returning a shortest solution").

Every action is one move (a walk or a push), as the environment counts steps, so plain BFS over single
moves gives a move-optimal plan. States where a box stands on a "dead" cell (one from which no push
sequence can bring a box to any target, whatever the other boxes do) are pruned: no solution passes
through them, so optimality is kept.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from siri.envs.base import EnvError, StepResult
from siri.envs.sokoban.room import ACTIONS, DIRECTIONS, Level, Pos, Room, State, apply_action, is_solved

DEFAULT_MAX_STATES = 2_000_000


class SearchLimitError(EnvError):
    """The search visited `max_states` states without finishing: neither a plan nor a proof of none."""


def live_cells(room: Room) -> frozenset[Pos]:
    """Cells from which a lone box can be pushed onto some target: reverse pulls from every target."""
    live = set(room.targets)
    frontier = list(room.targets)
    while frontier:
        br, bc = frontier.pop()
        for dr, dc in DIRECTIONS.values():
            prev = (br - dr, bc - dc)  # the box came from here, pushed in direction (dr, dc)...
            pusher = (br - 2 * dr, bc - 2 * dc)  # ...by a player standing here
            if prev not in live and not room.is_wall(prev) and not room.is_wall(pusher):
                live.add(prev)
                frontier.append(prev)
    return frozenset(live)


def solve(level: Level, max_states: int = DEFAULT_MAX_STATES) -> list[str] | None:
    """A shortest action list that solves `level`, None if it is unsolvable.

    Raises SearchLimitError when more than `max_states` states would be needed to decide.
    """
    room, start = level.room, level.state
    if is_solved(room, start):
        return []
    live = live_cells(room)
    if not start.boxes <= live:
        return None
    parent: dict[State, tuple[State, str] | None] = {start: None}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        for action in ACTIONS:
            move = apply_action(room, state, action)
            nxt = move.state
            if not move.moved_player or nxt in parent:
                continue
            if move.moved_box and not nxt.boxes <= live:
                continue
            parent[nxt] = (state, action)
            if is_solved(room, nxt):
                return _path(parent, nxt)
            if len(parent) > max_states:
                raise SearchLimitError(f"BFS gave up after {max_states} states; raise max_states")
            queue.append(nxt)
    return None


def _path(parent: dict[State, tuple[State, str] | None], end: State) -> list[str]:
    actions: list[str] = []
    link = parent[end]
    while link is not None:
        state, action = link
        actions.append(action)
        link = parent[state]
    return actions[::-1]


class BFSOracle:
    """Plays a SokobanEnv optimally from its current state (it reads the env: it is an oracle).

    The plan is computed once and replayed; if the env's state is not the one the plan expects (someone
    else stepped it), it plans again. From a state with no solution it answers the first admissible
    action, which keeps an episode going without pretending to solve it.
    """

    def __init__(self, env: Any, max_states: int = DEFAULT_MAX_STATES):
        self.env = env
        self.max_states = max_states
        self._plan: list[str] = []
        self._expected: State | None = None

    def act(self, last: StepResult) -> str:
        room, state = self.env.room, self.env.state
        if state != self._expected or not self._plan:
            self._plan = solve(Level(room, state), self.max_states) or []
        if not self._plan:
            return ACTIONS[0]
        action = self._plan.pop(0)
        self._expected = apply_action(room, state, action).state
        return action
