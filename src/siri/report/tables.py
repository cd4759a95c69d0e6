"""Markdown table cells and numbers shared by the report's sections (report.md, compare.md)."""

from __future__ import annotations

from typing import Any, Sequence


def f3(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def with_ci(value: float | None, low: float | None, high: float | None) -> str:
    """"0.450 [0.380, 0.520]" (the CI part omitted when unknown)."""
    if low is None or high is None:
        return f3(value)
    return f"{f3(value)} [{low:.3f}, {high:.3f}]"


def cell(text: Any) -> str:
    """Text safe inside a markdown table cell: pipes escaped, line breaks flattened."""
    return " ".join(str(text).split()).replace("|", "\\|")


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
