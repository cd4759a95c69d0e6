"""What happens inside one training iteration, told to whoever shows progress (docs/architecture.md
"Commands": progress inside an iteration).

An iteration of a 7B model takes minutes, so a bar that moves once per iteration looks frozen. The
rollout engine reports each turn and the update each mini-batch step to a `Reporter`; the default
hears nothing, and the rich bars (`siri.utils.metrics.BarReporter`) live at the edge, so neither the
engine nor the update imports a terminal library.
"""

from __future__ import annotations


class Reporter:
    """Receives progress events; every method is a no-op here, so a reporter overrides what it shows."""

    def rollout_turn(self, turn: int, max_turns: int, episodes_done: int, episodes: int) -> None:
        """Turn `turn` of at most `max_turns` is over (0: the rollout starts); `episodes_done` of
        `episodes` trajectories have finished."""

    def update_step(self, step: int, steps: int) -> None:
        """Mini-batch step `step` of `steps` (over all PPO epochs) is done (0: the update starts)."""


NULL_REPORTER = Reporter()
