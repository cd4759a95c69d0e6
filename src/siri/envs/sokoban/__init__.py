"""Sokoban, faithful to gym-sokoban's dynamics and rewards (docs/environments.md, "Sokoban")."""

from siri.envs.sokoban.env import SokobanEnv
from siri.envs.sokoban.oracle import BFSOracle, SearchLimitError, solve
from siri.envs.sokoban.room import Level, Room, State, make_level, render
from siri.envs.sokoban.xsb import parse_xsb, to_xsb

__all__ = [
    "BFSOracle",
    "Level",
    "Room",
    "SearchLimitError",
    "SokobanEnv",
    "State",
    "make_level",
    "parse_xsb",
    "render",
    "solve",
    "to_xsb",
]
