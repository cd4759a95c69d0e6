"""Named points where a test may kill the process, to prove that a crash anywhere loses nothing.

`reach("checkpoint:model")` does nothing unless the environment variable `SIRI_FAILPOINT` names that
point as `NAME` or `NAME@K` (the K-th time it is reached, counting from 1): then the process sends
itself SIGKILL, as `kill -9` would, with no chance to clean up. The chaos tests
(`tests/train/test_chaos.py`) use it; nothing else sets the variable.
"""

from __future__ import annotations

import os
import signal

_VAR = "SIRI_FAILPOINT"
_counts: dict[str, int] = {}


def reach(name: str) -> None:
    spec = os.environ.get(_VAR)
    if not spec:
        return
    target, _, nth = spec.partition("@")
    if target != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
