"""What `siri play` prints, laid out for a terminal of a given width: text wrapped only between words
(a word, or a grid row, longer than the line stays whole rather than being cut), and the numbered
actions in columns, read down like `ls`."""

from __future__ import annotations

import math
import textwrap
from typing import Sequence, TextIO

GAP = "   "  # between columns of actions


def wrap(text: str, width: int) -> str:
    """Each line of `text` wrapped at `width` columns between words; indentation is kept (also on the
    continuation lines) and so are blank lines and lines that fit."""
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width or not line.strip():
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        out.extend(textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False,
                                 break_on_hyphens=False))
    return "\n".join(out)


def numbered_columns(items: Sequence[str], width: int) -> list[str]:
    """`items` numbered from 1 in as many columns as fit `width`, numbered down each column; with one
    column, an item longer than the line wraps between words under its text."""
    if not items:
        return []
    digits = len(str(len(items)))
    labels = [f"{n:>{digits}}. {item}" for n, item in enumerate(items, 1)]
    cell = max(len(label) for label in labels)
    columns = max(1, (width + len(GAP)) // (cell + len(GAP)))
    if columns == 1:
        hang = " " * (digits + 2)
        return [line for label in labels for line in textwrap.wrap(
            label, width, subsequent_indent=hang, break_long_words=False, break_on_hyphens=False)]
    rows = math.ceil(len(labels) / columns)
    return [GAP.join(labels[c * rows + r].ljust(cell) for c in range(columns) if c * rows + r < len(labels)).rstrip()
            for r in range(rows)]


class Screen:
    """Prints to `out` wrapped at `width`. Quiet, it prints only results (`result`)."""

    def __init__(self, out: TextIO, width: int, quiet: bool = False):
        self.out, self.width, self.quiet = out, width, quiet

    def say(self, text: str) -> None:
        if not self.quiet:
            print(wrap(text, self.width), file=self.out)

    line = block = say  # a status line and an observation are laid out alike

    def numbered(self, items: Sequence[str]) -> None:
        for row in numbered_columns(items, self.width):
            self.say(row)

    def result(self, text: str) -> None:
        """Printed quiet or not; quiet, without the blank lines that set it apart from the steps."""
        print(wrap(text.strip("\n") if self.quiet else text, self.width), file=self.out)
