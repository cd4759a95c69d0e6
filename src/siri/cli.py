"""The `siri` command. Each subcommand lives in `siri.commands.<name>` with `add_parser` and `run`.

Every subcommand gets the shared options of `siri.commands.common` here (`--quiet`), so no command can
lack them. Errors a user can fix (bad config key, missing path, unknown environment, a bad argument)
print as one line and exit with status 2; a reader that goes away (`siri play | head`) ends the
command quietly with status 141, as a shell tool killed by SIGPIPE would; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NoReturn

from siri import __version__
from siri.commands.common import add_common_options
from siri.envs.base import EnvError
from siri.utils.errors import UserError

# Subcommands in the order `siri --help` lists them; a command is listed once it works.
COMMANDS = (
    "quickstart", "init-model", "sft", "train", "eval", "report", "skills", "serve", "export", "play", "config",
)


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one line (argparse prints the usage first): `siri play: error: argument
    --seed: invalid int value: 'x' (see siri play --help)`. Exit status 2, as argparse's. Subcommand
    parsers are of this class too (argparse builds them with the parent's class)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def _module(command: str):
    return importlib.import_module(f"siri.commands.{command.replace('-', '_')}")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="siri",
        description="Train LLM agents that discover, validate and internalize their own skills.",
    )
    parser.add_argument("--version", action="version", version=f"siri {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        _module(command).add_parser(sub)
        add_common_options(sub.choices[command])
    return parser


def _quiet_libraries() -> None:
    """Our own progress bars report long work; the libraries' per-file bars are noise here."""
    import os

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv: list[str] | None = None) -> int:
    _quiet_libraries()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # inside the try, so a closed pipe is caught here and not at exit
        return code
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        return 141
    except (UserError, EnvError) as e:
        print(f"siri {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"siri {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
