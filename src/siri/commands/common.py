"""What every `siri` subcommand shares, defined once (docs/architecture.md "Commands").

`siri.cli` gives every registered subcommand the common options (`add_common_options`), so a new
command gets `--quiet` without asking for it; the commands read them through the helpers below.
`--quiet` means no progress bars and only what the command is for: errors (stderr), results and the
paths it wrote.
"""

from __future__ import annotations

import argparse
from typing import Any

QUIET_HELP = "no progress bars; print only errors, results and the paths written"
CONFIG_HELP = ("a YAML file or the name of a shipped preset, e.g. household_tiny (siri config --list "
               "names them)")


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """The options of every subcommand: `--quiet`."""
    parser.add_argument("--quiet", "-q", action="store_true", help=QUIET_HELP)


def add_config_option(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """`--config FILE|PRESET`, the same for every command that reads a config."""
    when_omitted = f"default {default}" if default else "defaults when omitted"
    parser.add_argument("--config", default=default, metavar="FILE|PRESET", help=f"{CONFIG_HELP}; {when_omitted}")


def is_quiet(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "quiet", False))


def quiet_overrides(args: argparse.Namespace, overrides: list[str]) -> list[str]:
    """`overrides` plus `run.progress=false` under `--quiet` (the config's progress bars off)."""
    return list(overrides) + (["run.progress=false"] if is_quiet(args) else [])


def say(args: argparse.Namespace, *values: Any, **kwargs: Any) -> None:
    """`print` for what is not a result (stage headers, timings, notes); silent under `--quiet`."""
    if not is_quiet(args):
        print(*values, **kwargs)
