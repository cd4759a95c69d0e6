"""Where a config's dict comes from (docs/architecture.md): shipped presets by bare name, and YAML
files that may `extend` another config section by section. Validation is `siri.config`'s job."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from siri.utils.errors import UserError
from siri.utils.textfiles import read_utf8

DEFAULT_ALGO = "gigpo"
PRESETS_DIR = Path(__file__).parent / "presets"


def preset_names() -> list[str]:
    """Config presets shipped with the package (`configs/` in a checkout links to them)."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def resolve_config_path(path: str | os.PathLike[str]) -> Path:
    """A path to a YAML file, or the bare name of a shipped preset (e.g. `household_tiny`)."""
    p = Path(path)
    if p.is_file():
        return p
    if p.suffix == "" and len(p.parts) == 1 and (PRESETS_DIR / f"{p}.yaml").is_file():
        return PRESETS_DIR / f"{p}.yaml"
    raise UserError(f"config file not found: {p} (shipped presets: {', '.join(preset_names())})")


def read_yaml(path: str | os.PathLike[str], _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A config file as a dict. A top-level `extends: <preset or path>` (a path relative to this
    file) starts from that config and overrides it section by section, key by key; an `algo` section
    with another `name` replaces the inherited one whole (its keys belong to another method)."""
    p = resolve_config_path(path)
    text = read_utf8(p, "config file")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise UserError(f"config file {p} is not valid YAML: {str(e).splitlines()[0]}") from None
    except RecursionError:
        raise UserError(f"config file {p} is not a config: its YAML is nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"config file {p} must hold a mapping of sections, got {type(data).__name__}")
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if p.resolve() in _seen:
        raise UserError(f"config file {p} extends itself (through {' -> '.join(str(s) for s in _seen)})")
    local = p.parent / str(parent)
    base = read_yaml(local if local.is_file() else str(parent), (*_seen, p.resolve()))
    return merge_sections(base, data)


def merge_sections(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """`child` over `base`, one level of sections deep (see `read_yaml`)."""
    out = dict(base)
    for key, value in child.items():
        inherited = base.get(key)
        same_algo = key != "algo" or (isinstance(value, dict) and isinstance(inherited, dict)
                                      and value.get("name", DEFAULT_ALGO) == inherited.get("name", DEFAULT_ALGO))
        if isinstance(value, dict) and isinstance(inherited, dict) and same_algo:
            out[key] = {**inherited, **value}
        else:
            out[key] = value
    return out
