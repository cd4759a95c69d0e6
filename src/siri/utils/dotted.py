"""Nested config dicts as dotted keys (`{"train": {"lr": 1e-6}}` <-> `train.lr`), the spelling of
command-line overrides; shared by resume checks and run comparisons."""

from __future__ import annotations

from typing import Any, Mapping


def dotted(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"section.key": value}` for every leaf of a nested mapping."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(dotted(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
