"""Reading text and JSONL files a person may have handed us: anything wrong is a one-line `UserError`
naming the file (and the line), never a traceback (a binary file, another encoding, a broken line).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from siri.utils.errors import UserError


def read_utf8(path: str | os.PathLike[str], what: str = "file") -> str:
    """The text of a UTF-8 file; `what` names it in errors (e.g. "config file")."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise UserError(f"cannot read {what} {p}: {e.strerror or e}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise UserError(f"{what} {p}:{line}: not UTF-8 text (byte 0x{data[e.start]:02x}); "
                        "is it a binary file?") from None


def read_jsonl(path: str | os.PathLike[str], what: str = "file", *, skip_bad: bool = False,
               torn_tail_ok: bool = False) -> list[tuple[int, Any]]:
    """(line number, value) of every non-blank line of a JSONL file.

    Lines are split on "\\n" only, so a record whose strings hold U+2028, U+0085 or other characters
    that `str.splitlines` would break on stays one record. A line that is not UTF-8 is an error. A line
    that is not JSON is an error too, except: every such line with `skip_bad` (metrics files, whose
    rows are read best-effort), or with `torn_tail_ok` the last line when the file does not end with
    a newline (a write cut short).
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise UserError(f"cannot read {what} {p}: {e.strerror or e}") from None
    lines = data.split(b"\n")
    out: list[tuple[int, Any]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise UserError(f"{what} {p}:{number}: not UTF-8 text (byte 0x{raw[e.start]:02x}); "
                            "is it a binary file?") from None
        try:
            out.append((number, json.loads(text)))
        except (ValueError, RecursionError) as e:
            torn = torn_tail_ok and number == len(lines)  # the last piece has no newline after it
            if skip_bad or torn:
                continue
            reason = "nested too deeply" if isinstance(e, RecursionError) else str(e)
            raise UserError(f"{what} {p}:{number}: not a JSON line ({reason})") from None
    return out
