"""Atomic writes: a crash leaves either the old file or the new one, never half of one.

Write to a temporary file in the same directory, fsync it, then `os.replace` it over the target
(atomic on POSIX and Windows), then fsync the directory so the rename itself survives a power cut.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from siri.utils.errors import UserError


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _default_mode(directory: bool = False) -> int:
    """The mode a plain `open()`/`mkdir()` would give (0o666/0o777 minus the umask); mkstemp and
    mkdtemp use 0o600/0o700, which would hide reports and checkpoints from other users."""
    return (0o777 if directory else 0o666) & ~_umask()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, _default_mode())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def atomic_write_jsonl(path: str | os.PathLike[str], rows: Iterable[Any]) -> None:
    atomic_write_text(path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))


@contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory; on success it replaces `path` whole (the old one is removed).

    Used for checkpoints: a reader sees the previous complete directory or the new complete one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    os.chmod(tmp, _default_mode(directory=True))
    try:
        yield tmp
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(target, old)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_output_dir(path: str | os.PathLike[str], overwrite: bool = False) -> bool:
    """Whether `path` holds files (True) or is absent or empty (False); a non-empty folder without
    `overwrite`, or a file, is a one-line error. Call it before long work, to fail first."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise UserError(f"{target} exists and is not a folder")
    if not (target.is_dir() and any(target.iterdir())):
        return False
    if not overwrite:
        raise UserError(f"{target} is not empty; refusing to write into it (--overwrite replaces only the files "
                        f"this command writes and keeps the others)")
    return True


@contextmanager
def output_dir(path: str | os.PathLike[str], overwrite: bool = False) -> Iterator[Path]:
    """A folder a command fills with its files, that never loses a file it did not write.

    Yields a temporary folder to fill. An absent or empty `path` then receives it whole, in one rename.
    A non-empty `path` is refused unless `overwrite`; with it, each file written replaces its namesake
    in `path` (one atomic rename each) and every other file there stays.
    """
    target = Path(path)
    if not check_output_dir(target, overwrite):
        with atomic_dir(target) as tmp:
            yield tmp
        return
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        for src in sorted(p for p in tmp.rglob("*") if p.is_file()):
            dest = target / src.relative_to(tmp)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(src, _default_mode())
            os.replace(src, dest)
        _fsync_dir(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
