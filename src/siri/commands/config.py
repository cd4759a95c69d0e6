"""`siri config`: validate a config with its overrides and print the resolved YAML; `--list` names the
shipped presets that `--config` takes by bare name."""

from __future__ import annotations

import argparse

from siri.commands.common import add_config_option
from siri.config import config_to_yaml, load_config


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "config",
        help="validate a config (with key=value overrides) and print it resolved; --list names the presets",
        description="Validate a YAML config plus dotted overrides (e.g. run.seed=3) and print the "
        "resolved config with every default filled in. Exits non-zero naming any bad key. With --list: "
        "the shipped presets, each with the start of its description.",
    )
    add_config_option(p)
    p.add_argument("--list", action="store_true", help="list the shipped presets (usable as --config NAME)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted overrides")
    p.set_defaults(func=run)


def preset_summaries(width: int = 90) -> list[tuple[str, str]]:
    """(name, the start of the preset's leading comment, cut at a word within `width` characters) for
    every shipped preset."""
    import textwrap

    from siri.config_files import PRESETS_DIR, preset_names

    out = []
    for name in preset_names():
        lines = (PRESETS_DIR / f"{name}.yaml").read_text(encoding="utf-8").splitlines()
        head = []
        for line in lines:
            if not line.startswith("#"):
                break
            head.append(line.lstrip("#").strip())
        out.append((name, textwrap.shorten(" ".join(head), width, placeholder=" ...")))
    return out


def run(args: argparse.Namespace) -> int:
    from siri.utils.errors import UserError

    if args.list:
        if args.config or args.overrides:
            raise UserError("--list takes no --config and no overrides")
        rows = preset_summaries()
        width = max(len(name) for name, _ in rows)
        for name, about in rows:
            print(f"{name:<{width}}  {about}".rstrip())
        return 0
    cfg = load_config(args.config, args.overrides)
    print(config_to_yaml(cfg), end="")
    return 0
