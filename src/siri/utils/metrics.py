"""Run logging: `metrics.jsonl` (one JSON object per iteration), optional TensorBoard, progress bars."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, TypeVar

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from siri.utils.atomic import atomic_write_jsonl
from siri.utils.errors import UserError, install_hint

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

    def __init__(self, path: str | os.PathLike[str], tensorboard_dir: str | os.PathLike[str] | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tb = None
        if tensorboard_dir is not None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # pragma: no cover - optional extra
                raise UserError(f"run.tensorboard needs the tensorboard package: {install_hint('tensorboard')}") from None
            self._tb = SummaryWriter(str(tensorboard_dir))

    def write(self, row: Mapping[str, Any]) -> None:
        clean = _jsonable(dict(row))
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(clean, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if self._tb is not None:
            step = int(clean.get("iteration", 0))
            for key, value in clean.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    self._tb.add_scalar(key, value, step)
            self._tb.flush()

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
        if self._tb is not None:
            self._tb.close()


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
