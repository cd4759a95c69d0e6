"""The history window (docs/algorithms.md §0): the last h (observation, action) pairs, h = 0 disables it."""

from __future__ import annotations

import pytest

from siri.agent import DEFAULT_HISTORY_LEN, history_window
from siri.agent.history import first_step_number
from siri.utils.errors import UserError

PAIRS = [("o1", "a1"), ("o2", "a2"), ("o3", "a3"), ("o4", "a4"), ("o5", "a5")]


def test_default_is_two() -> None:
    assert DEFAULT_HISTORY_LEN == 2
    assert history_window(PAIRS) == (("o4", "a4"), ("o5", "a5"))


@pytest.mark.parametrize(
    ("n_pairs", "h", "expected"),
    [
        (0, 2, ()),
        (1, 2, (("o1", "a1"),)),
        (2, 2, (("o1", "a1"), ("o2", "a2"))),
        (5, 2, (("o4", "a4"), ("o5", "a5"))),
        (5, 1, (("o5", "a5"),)),
        (5, 3, (("o3", "a3"), ("o4", "a4"), ("o5", "a5"))),
        (3, 10, (("o1", "a1"), ("o2", "a2"), ("o3", "a3"))),
        (5, 0, ()),
        (0, 0, ()),
    ],
)
def test_window(n_pairs: int, h: int, expected: tuple) -> None:
    assert history_window(PAIRS[:n_pairs], h) == expected


def test_window_is_a_copy_and_input_untouched() -> None:
    history = list(PAIRS)
    window = history_window(history, 2)
    history.append(("o6", "a6"))
    assert window == (("o4", "a4"), ("o5", "a5"))
    assert len(PAIRS) == 5


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2", None])
def test_bad_history_len(bad: object) -> None:
    with pytest.raises(UserError, match="history_len must be an integer >= 0"):
        history_window(PAIRS, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("step", "window_len", "first"), [(3, 2, 2), (1, 1, 1), (7, 2, 6), (4, 0, 5)])
def test_first_step_number(step: int, window_len: int, first: int) -> None:
    assert first_step_number(step, window_len) == first


def test_window_longer_than_steps_is_refused() -> None:
    with pytest.raises(ValueError, match="only 1 step"):
        first_step_number(1, 2)
