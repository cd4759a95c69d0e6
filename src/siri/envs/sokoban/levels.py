"""Procedural Sokoban rooms by reverse play, after gym-sokoban 0.0.6's `room_utils.generate_room`
(docs/environments.md, "Sokoban": "rooms by reverse play from a solved state with a bounded search depth
and a local RNG").

The procedure, step by step as in gym-sokoban:
1. topology: a random walk of `num_gen_steps` steps (default int(1.7 * (height + width))) over the
   interior stamps one of five 3x3 floor masks at each position, changing direction with probability
   `p_change_directions` (0.35); the border is wall;
2. placement: the player on a random floor cell, then each target on a random remaining floor cell
   (a room with no more floor cells than boxes + 1 is rejected);
3. reverse play: from the solved state (a box on every target) a depth-first search over the player's
   four pulls and four plain moves, each state visited once, at most `search_depth` - 2 moves deep and
   300 000 states; every state gets the score `pulls * displacement`, where displacement is the summed
   Manhattan distance of each box from its starting target, and 0 unless every target is empty and the
   player stands on none; the best-scored state (the first reached on ties) is the starting state;
4. a room whose best score is 0 is redrawn (gym-sokoban tries 4 rooms, then raises and resets again;
   here one local RNG simply keeps drawing, so the result stays a function of the seed).

Note on the score: gym-sokoban's code names the multiplier "box_swaps" (pulls that switch to another
box), but its recursion passes the root's `last_pull` down unchanged, so every pull counts; we compute
what the reference computes. Every level made here is solvable: pushes undo the pulls.

Differences kept on purpose: one `random.Random` instead of the global `random`/`numpy.random` state
(the exact rooms for a seed therefore differ from gym-sokoban's, the distribution does not), and
`search_depth` defaults to 30 (verl-agent's Sokoban config for 6x6 rooms with 1 box) where gym-sokoban's
own search uses 300. verl-agent's extra random walk of the player after reverse play is not done.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from typing import Callable

from siri.envs.base import EnvError
from siri.envs.sokoban.room import DIRECTIONS, Level, Pos, Room, State

# Floor masks stamped around the walk's position (row offsets -1..1, col offsets -1..1).
_MASKS: tuple[tuple[Pos, ...], ...] = (
    ((0, -1), (0, 0), (0, 1)),
    ((-1, 0), (0, 0), (1, 0)),
    ((0, -1), (0, 0), (1, 0)),
    ((0, -1), (0, 0), (1, -1), (1, 0)),
    ((0, 0), (0, 1), (1, 0)),
)
_WALK_DIRECTIONS: tuple[Pos, ...] = ((1, 0), (0, 1), (-1, 0), (0, -1))
# gym-sokoban's reverse-play action order: pulls up, down, left, right, then moves up, down, left, right.
_REVERSE_ORDER: tuple[Pos, ...] = tuple(DIRECTIONS[a] for a in ("up", "down", "left", "right"))
MAX_EXPLORED_STATES = 300_000
MAX_ROOM_DRAWS = 1_000


@dataclass(frozen=True)
class LevelConfig:
    """How rooms are drawn; `num_gen_steps=None` means gym-sokoban's int(1.7 * (height + width))."""

    height: int = 6
    width: int = 6
    num_boxes: int = 1
    search_depth: int = 30
    p_change_directions: float = 0.35
    num_gen_steps: int | None = None

    def walk_steps(self) -> int:
        if self.num_gen_steps is not None:
            return self.num_gen_steps
        return int(1.7 * (self.height + self.width))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_config(cfg: LevelConfig) -> LevelConfig:
    """Reject settings the generator cannot honour (wrong types included), naming the allowed range."""
    for name in ("num_boxes", "search_depth"):
        if not _is_int(getattr(cfg, name)):
            raise EnvError(f"{name} must be an int, got {getattr(cfg, name)!r}")
    if cfg.num_gen_steps is not None and not _is_int(cfg.num_gen_steps):
        raise EnvError(f"num_gen_steps must be an int or null, got {cfg.num_gen_steps!r}")
    if isinstance(cfg.p_change_directions, bool) or not isinstance(cfg.p_change_directions, (int, float)):
        raise EnvError(f"p_change_directions must be a number in [0, 1], got {cfg.p_change_directions!r}")
    if not (5 <= cfg.height <= 30 and 5 <= cfg.width <= 30):
        raise EnvError(f"room size must be between 5 and 30 on each side, got {cfg.height}x{cfg.width}")
    interior = (cfg.height - 2) * (cfg.width - 2)
    if not 1 <= cfg.num_boxes <= min(10, interior - 2):
        raise EnvError(
            f"num_boxes must be between 1 and {min(10, interior - 2)} for a "
            f"{cfg.height}x{cfg.width} room, got {cfg.num_boxes}"
        )
    if not 3 <= cfg.search_depth <= 300:
        raise EnvError(f"search_depth must be between 3 and 300, got {cfg.search_depth}")
    if not 0.0 <= cfg.p_change_directions <= 1.0:
        raise EnvError(f"p_change_directions must be in [0, 1], got {cfg.p_change_directions}")
    if cfg.num_gen_steps is not None and not 1 <= cfg.num_gen_steps <= 10_000:
        raise EnvError(f"num_gen_steps must be between 1 and 10000, got {cfg.num_gen_steps}")
    return cfg


def topology(rng: random.Random, cfg: LevelConfig) -> frozenset[Pos]:
    """Step 1: the floor cells carved by gym-sokoban's masked random walk (border excluded)."""
    h, w = cfg.height, cfg.width
    direction = rng.choice(_WALK_DIRECTIONS)
    row, col = rng.randint(1, h - 1), rng.randint(1, w - 1)
    floor: set[Pos] = set()
    for _ in range(cfg.walk_steps()):
        if rng.random() < cfg.p_change_directions:
            direction = rng.choice(_WALK_DIRECTIONS)
        row = max(min(row + direction[0], h - 2), 1)
        col = max(min(col + direction[1], w - 2), 1)
        floor.update((row + dr, col + dc) for dr, dc in rng.choice(_MASKS))
    return frozenset((r, c) for r, c in floor if 0 < r < h - 1 and 0 < c < w - 1)


def layout_key(floor: frozenset[Pos], cfg: LevelConfig) -> int:
    """A stable hash of a wall layout, used to hold whole layouts out for the unseen split."""
    text = "\n".join(
        "".join("_" if (r, c) in floor else "#" for c in range(cfg.width)) for r in range(cfg.height)
    )
    return zlib.crc32(text.encode())


def place(rng: random.Random, floor: frozenset[Pos], num_boxes: int) -> tuple[Pos, frozenset[Pos]] | None:
    """Step 2: player, then targets, on distinct random floor cells; None if the room is too small."""
    cells = sorted(floor)
    if len(cells) <= num_boxes + 1:
        return None
    player = cells.pop(rng.randrange(len(cells)))
    targets = [cells.pop(rng.randrange(len(cells))) for _ in range(num_boxes)]
    return player, frozenset(targets)


@dataclass(frozen=True)
class _Node:
    """A reverse-play search node: the state, each box's starting target (gym-sokoban's box_mapping),
    the cells of boxes pulled at least once, and the number of pulls on the path."""

    state: State
    origin: dict[Pos, Pos]
    pulled: frozenset[Pos]
    pulls: int


def _score(room: Room, state: State, origin: dict[Pos, Pos], pulls: int) -> int:
    """gym-sokoban's room score: 0 unless all targets are empty and uncovered by the player."""
    if state.boxes & room.targets or state.player in room.targets:
        return 0
    displacement = sum(abs(b[0] - t[0]) + abs(b[1] - t[1]) for b, t in origin.items())
    return pulls * displacement


def _reverse_move(room: Room, node: _Node, d: Pos, pull: bool) -> _Node | None:
    """One reverse step: the player walks to a free cell and, for a pull, drags the box behind it."""
    state = node.state
    pr, pc = state.player
    nxt = (pr + d[0], pc + d[1])
    if room.is_wall(nxt) or nxt in state.boxes:
        return None
    behind = (pr - d[0], pc - d[1])
    if pull and behind in state.boxes:
        boxes = (state.boxes - {behind}) | {state.player}
        origin = {(state.player if b == behind else b): t for b, t in node.origin.items()}
        pulled = (node.pulled - {behind}) | {state.player}
        return _Node(State(nxt, frozenset(boxes)), origin, frozenset(pulled), node.pulls + 1)
    return _Node(State(nxt, state.boxes), node.origin, node.pulled, node.pulls)


def reverse_play(room: Room, player: Pos, search_depth: int) -> tuple[State, int]:
    """Step 3: depth-first reverse play from the solved state; the best-scored state and its score.

    A state is seen once, keyed as gym-sokoban keys it: its room array marks boxes that were ever pulled
    (code 3) apart from boxes never moved (code 4), so the key holds the cells of pulled boxes too.
    """
    root = _Node(State(player, room.targets), {t: t for t in room.targets}, frozenset(), 0)
    best: list = [root.state, -1]
    explored: set[tuple[State, frozenset[Pos]]] = set()

    def dfs(node: _Node, ttl: int) -> None:
        ttl -= 1
        key = (node.state, node.pulled)
        if ttl <= 0 or len(explored) >= MAX_EXPLORED_STATES or key in explored:
            return
        score = _score(room, node.state, node.origin, node.pulls)
        if score > best[1]:
            best[0], best[1] = node.state, score
        explored.add(key)
        for pull in (True, False):
            for d in _REVERSE_ORDER:
                nxt = _reverse_move(room, node, d, pull)
                if nxt is not None:
                    dfs(nxt, ttl)

    dfs(root, search_depth)
    return best[0], best[1]


def generate(
    rng: random.Random, cfg: LevelConfig, accept_layout: Callable[[int], bool] = lambda key: True
) -> Level:
    """A solvable level drawn with `rng`; `accept_layout(layout_key)` filters wall layouts (splits)."""
    for _ in range(MAX_ROOM_DRAWS):
        floor = topology(rng, cfg)
        if not accept_layout(layout_key(floor, cfg)):
            continue
        placed = place(rng, floor, cfg.num_boxes)
        if placed is None:
            continue
        player, targets = placed
        walls = frozenset(
            (r, c) for r in range(cfg.height) for c in range(cfg.width) if (r, c) not in floor
        )
        room = Room(cfg.height, cfg.width, walls, targets)
        state, score = reverse_play(room, player, cfg.search_depth)
        if score > 0:
            return Level(room, state)
    raise EnvError(
        f"could not generate a {cfg.height}x{cfg.width} room with {cfg.num_boxes} boxes in "
        f"{MAX_ROOM_DRAWS} draws; use a bigger room or fewer boxes"
    )
