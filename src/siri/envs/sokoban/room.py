"""Pure Sokoban dynamics and rewards, as gym-sokoban 0.0.6 computes them (docs/environments.md, "Sokoban").

A `Room` is the fixed part (walls, targets); a `State` is the movable part (player, boxes); a `Level` is a
room with a starting state. Everything here is immutable and side-effect free, so the generator, the
environment and the BFS oracle share one definition of a move.

gym-sokoban's rules, read from `gym_sokoban/envs/sokoban_env.py` (`_push`, `_move`, `_calc_reward`):
- a directional action pushes the box in front of the player when the cell behind it is floor or an
  empty target, otherwise it moves the player when the cell in front is floor or an empty target,
  otherwise nothing happens;
- every step costs -0.1; +1 when the number of boxes on targets went up, -1 when it went down;
  +10 when every target holds a box (the episode then ends).
Cells outside the grid count as walls (gym-sokoban's rooms are always walled in, so this only matters for
hand-made rooms).
"""

from __future__ import annotations

from dataclasses import dataclass

from siri.envs.base import EnvError

Pos = tuple[int, int]

# (row, col) change of each action; gym-sokoban's CHANGE_COORDINATES for up/down/left/right.
DIRECTIONS: dict[str, Pos] = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
ACTIONS: tuple[str, ...] = tuple(sorted(DIRECTIONS))  # ("down", "left", "right", "up")

# gym-sokoban's SokobanEnv constants.
STEP_PENALTY = -0.1
REWARD_BOX_ON_TARGET = 1.0
PENALTY_BOX_OFF_TARGET = -1.0
REWARD_FINISHED = 10.0

# Text symbols (docs/environments.md, "Sokoban"), the grid lookup of the GiGPO/RAGEN text mode.
WALL, FLOOR, TARGET, BOX, BOX_ON_TARGET, PLAYER, PLAYER_ON_TARGET = "#", "_", "O", "X", "√", "P", "S"


@dataclass(frozen=True)
class Room:
    """The fixed part of a level: grid size, wall cells and target cells (every other cell is floor)."""

    height: int
    width: int
    walls: frozenset[Pos]
    targets: frozenset[Pos]

    def inside(self, pos: Pos) -> bool:
        return 0 <= pos[0] < self.height and 0 <= pos[1] < self.width

    def is_wall(self, pos: Pos) -> bool:
        """Walls and everything outside the grid block movement."""
        return pos in self.walls or not self.inside(pos)

    def floor_cells(self) -> list[Pos]:
        """Every non-wall cell in row-major order (targets included)."""
        return [
            (r, c) for r in range(self.height) for c in range(self.width) if (r, c) not in self.walls
        ]


@dataclass(frozen=True)
class State:
    """The movable part: where the player stands and where the boxes are."""

    player: Pos
    boxes: frozenset[Pos]


@dataclass(frozen=True)
class Level:
    """A room with its starting state; `validate_level` checks one built by hand."""

    room: Room
    state: State


@dataclass(frozen=True)
class Move:
    """What one action did: the new state and whether the player / a box moved."""

    state: State
    moved_player: bool
    moved_box: bool


def _free(room: Room, boxes: frozenset[Pos], pos: Pos) -> bool:
    """gym-sokoban's `room_state in [1, 2]`: floor or an empty target (the player never blocks itself)."""
    return not room.is_wall(pos) and pos not in boxes


def apply_action(room: Room, state: State, action: str) -> Move:
    """One gym-sokoban push action (1-4): push the box in front if it can move, else try to walk.

    `action` must be one of DIRECTIONS; the environment maps anything else to gym-sokoban's no-op.
    """
    dr, dc = DIRECTIONS[action]
    pr, pc = state.player
    front = (pr + dr, pc + dc)
    if front in state.boxes:
        beyond = (pr + 2 * dr, pc + 2 * dc)
        if _free(room, state.boxes, beyond):
            boxes = (state.boxes - {front}) | {beyond}
            return Move(State(front, frozenset(boxes)), True, True)
        return Move(state, False, False)  # a blocked box also blocks the walk
    if _free(room, state.boxes, front):
        return Move(State(front, state.boxes), True, False)
    return Move(state, False, False)


def boxes_on_target(room: Room, state: State) -> int:
    return len(state.boxes & room.targets)


def is_solved(room: Room, state: State) -> bool:
    """gym-sokoban's `_check_if_all_boxes_on_target`: no target is left empty or hidden by the player."""
    return room.targets <= state.boxes


def step_reward(room: Room, on_target_before: int, after: State) -> float:
    """gym-sokoban's `_calc_reward` for one step, given the box-on-target count before it."""
    reward = STEP_PENALTY
    on_target_now = boxes_on_target(room, after)
    if on_target_now > on_target_before:
        reward += REWARD_BOX_ON_TARGET
    elif on_target_now < on_target_before:
        reward += PENALTY_BOX_OFF_TARGET
    if is_solved(room, after):
        reward += REWARD_FINISHED
    return reward


def cell_symbol(room: Room, state: State, pos: Pos) -> str:
    if pos in room.walls:
        return WALL
    on_target = pos in room.targets
    if pos == state.player:
        return PLAYER_ON_TARGET if on_target else PLAYER
    if pos in state.boxes:
        return BOX_ON_TARGET if on_target else BOX
    return TARGET if on_target else FLOOR


def render(room: Room, state: State) -> str:
    """The text grid: one row per line, one symbol per cell, no separators."""
    return "\n".join(
        "".join(cell_symbol(room, state, (r, c)) for c in range(room.width)) for r in range(room.height)
    )


def validate_level(level: Level) -> Level:
    """Reject hand-made levels the dynamics cannot play, with a message naming the problem."""
    room, state = level.room, level.state
    if room.height < 1 or room.width < 1:
        raise EnvError(f"room must be at least 1x1, got {room.height}x{room.width}")
    cells = [state.player, *state.boxes, *room.walls, *room.targets]
    outside = [p for p in cells if not room.inside(p)]
    if outside:
        raise EnvError(f"cell {outside[0]} is outside the {room.height}x{room.width} grid")
    if room.is_wall(state.player):
        raise EnvError(f"the player {state.player} stands on a wall")
    if state.player in state.boxes:
        raise EnvError(f"the player {state.player} stands on a box")
    on_walls = sorted(state.boxes & room.walls) or sorted(room.targets & room.walls)
    if on_walls:
        raise EnvError(f"box or target {on_walls[0]} is on a wall")
    if not state.boxes:
        raise EnvError("a level needs at least one box")
    if len(state.boxes) != len(room.targets):
        raise EnvError(
            f"a level needs as many targets as boxes, got {len(room.targets)} targets and "
            f"{len(state.boxes)} boxes"
        )
    if is_solved(room, state):
        raise EnvError("the level is already solved: every box is on a target")
    return level


def make_level(
    walls: set[Pos] | frozenset[Pos],
    targets: set[Pos] | frozenset[Pos],
    player: Pos,
    boxes: set[Pos] | frozenset[Pos],
    height: int,
    width: int,
) -> Level:
    """Build and validate a level from explicit cells (row, col), rows counted from the top."""
    room = Room(height, width, frozenset(walls), frozenset(targets))
    return validate_level(Level(room, State(tuple(player), frozenset(boxes))))  # type: ignore[arg-type]
