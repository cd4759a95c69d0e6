"""The history window (docs/algorithms.md §0): the prompt shows only the last `h` (observation, action) pairs.

The full history is never concatenated into a prompt: each step's prompt is rebuilt from the task,
this window and the current observation, so every row of a trajectory is a separate, short sample.
"""

from __future__ import annotations

from typing import Sequence

from siri.agent.types import Pair
from siri.utils.errors import UserError

DEFAULT_HISTORY_LEN = 2  # GiGPO's published scripts (docs/algorithms.md §6)


def check_history_len(history_len: int) -> int:
    """`history_len` comes from a config: a non-negative int, else a one-line `UserError`."""
    if isinstance(history_len, bool) or not isinstance(history_len, int) or history_len < 0:
        raise UserError(f"history_len must be an integer >= 0 (0 disables history), got {history_len!r}")
    return history_len


def history_window(history: Sequence[Pair], history_len: int = DEFAULT_HISTORY_LEN) -> tuple[Pair, ...]:
    """The last `history_len` pairs of `history`, oldest first; `history_len=0` gives no history."""
    check_history_len(history_len)
    if history_len == 0:
        return ()
    return tuple((str(obs), str(action)) for obs, action in history[-history_len:])


def first_step_number(step: int, window_len: int) -> int:
    """1-based step number of the first pair in a window of `window_len` ending at `step` steps taken.

    Pair k (1-based) is the observation seen before action k, so the window of the last
    `window_len` of `step` steps starts at `step - window_len + 1`.
    """
    if window_len > step:
        raise ValueError(f"history window holds {window_len} pairs but only {step} step(s) were taken")
    return step - window_len + 1
