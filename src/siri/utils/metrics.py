"""Run logging: `metrics.jsonl` (one JSON object per iteration), optional trackers (TensorBoard, W&B:
`utils/trackers.py`), progress bars (with `BarReporter`, progress inside an iteration too)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence, TypeVar

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from siri.utils.atomic import atomic_write_jsonl
from siri.utils.reporter import Reporter
from siri.utils.trackers import Tracker, numeric, row_step

T = TypeVar("T")


def _jsonable(value: Any) -> Any:
    """Plain JSON: numpy/torch scalars become floats, NaN and inf become null (JSON has neither)."""
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class MetricsWriter:
    """Appends one JSON object per line to `metrics.jsonl`, flushed and fsynced at each write.

    On resume, `truncate_after(iteration)` drops lines past the last checkpoint, so the resumed run's
    metrics continue the interrupted one's without duplicates.
    """

    def __init__(self, path: str | os.PathLike[str], trackers: Sequence[Tracker] = ()):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.trackers: list[Tracker] = list(trackers)

    def write(self, row: Mapping[str, Any]) -> None:
        """Append `row`, then hand its numeric keys to the trackers at step `iteration`."""
        clean = _jsonable(dict(row))
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(clean, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if self.trackers:
            step, scalars = row_step(clean), numeric(clean)
            for tracker in self.trackers:
                tracker.log(scalars, step)

    def truncate_after(self, iteration: int) -> tuple[int, int]:
        """Keep only rows whose `iteration` is <= `iteration` (and rows without one); returns
        (rows dropped for being later, lines dropped for being unreadable: torn or garbled)."""
        if not self.path.exists():
            return 0, 0
        rows, bad = read_metrics_counted(self.path)
        kept = [r for r in rows if r.get("iteration", -1) <= iteration]
        atomic_write_jsonl(self.path, kept)
        return len(rows) - len(kept), bad

    def close(self) -> None:
        """Close the trackers (the file needs no closing); writing on afterwards goes to the file only."""
        trackers, self.trackers = self.trackers, []
        for tracker in trackers:
            tracker.close()


def read_metrics_counted(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], int]:
    """(the readable rows of a metrics file, the number of lines that are not a JSON object): a crash
    mid-write tears the last line, and a damaged file may hold anything, bytes included."""
    rows, bad = [], 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            if isinstance(row, dict):
                rows.append(row)
            else:
                bad += 1
    return rows, bad


def read_metrics(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """All readable rows of a metrics file (see `read_metrics_counted`)."""
    return read_metrics_counted(path)[0]


def progress(disable: bool = False) -> Progress:
    """A rich progress bar with count, elapsed and remaining time; `disable` for quiet runs."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        disable=disable,
        transient=False,
    )


def track(items: Iterable[T], description: str, total: int | None = None, disable: bool = False) -> Iterator[T]:
    """Iterate with a progress bar."""
    with progress(disable) as bar:
        task = bar.add_task(description, total=total, status="")
        for item in items:
            yield item
            bar.advance(task)


class BarReporter(Reporter):
    """Progress inside an iteration as a second bar under the iteration's: the rollout's turns (with the
    episodes done), then the update's mini-batch steps; the bar goes away when the update ends
    (docs/architecture.md "Commands")."""

    def __init__(self, bar: Progress):
        self.bar = bar
        self.task: Any = None

    def _show(self, description: str, done: int, total: int, status: str) -> None:
        if self.task is None:
            self.task = self.bar.add_task(description, total=total, completed=done, status=status)
        elif done == 0:  # a new stage: its own clock for the elapsed and remaining times
            self.bar.reset(self.task, total=total, completed=0, description=description, status=status)
        else:
            self.bar.update(self.task, total=total, completed=done, description=description, status=status)

    def rollout_turn(self, turn: int, max_turns: int, episodes_done: int, episodes: int) -> None:
        self._show("  rollout turn", turn, max_turns, f"episodes done {episodes_done}/{episodes}")

    def update_step(self, step: int, steps: int) -> None:
        self._show("  update mini-batch", step, steps, "")
        if step >= steps:
            self.close()

    def close(self) -> None:
        """Remove the inner bar (the iteration is over, or was interrupted)."""
        if self.task is not None:
            self.bar.remove_task(self.task)
            self.task = None
