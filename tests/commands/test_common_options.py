"""What every `siri` subcommand shares (siri.commands.common): `--quiet` everywhere, `--config` that
takes a file or a preset name, and `siri config --list` naming the presets."""

from __future__ import annotations

import argparse

import pytest

from siri.cli import COMMANDS, build_parser, main


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand the `siri` parser has registered (not a list kept by hand)."""
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _required_args(parser: argparse.ArgumentParser) -> list[str]:
    """Placeholder values for a subcommand's required arguments, so that it parses."""
    args: list[str] = []
    for a in parser._actions:
        if a.option_strings and a.required:
            args += [a.option_strings[0], "x"]
        elif not a.option_strings and a.nargs not in ("*", "?"):
            args.append(next(iter(a.choices)) if a.choices else "x")
    return args


def test_every_registered_subcommand_accepts_quiet():
    commands = _subcommands()
    assert set(COMMANDS) <= set(commands)
    for name, parser in commands.items():
        for flag in ("--quiet", "-q"):
            args = parser.parse_args(_required_args(parser) + [flag])
            assert args.quiet is True, name
        assert parser.parse_args(_required_args(parser)).quiet is False, name


def _capture(monkeypatch, target: str) -> tuple[list, type[Exception]]:
    seen: list = []

    class Stop(Exception):
        pass

    def fake(cfg, *args, **kwargs):
        seen.append(cfg)
        raise Stop

    monkeypatch.setattr(target, fake)
    return seen, Stop


@pytest.mark.parametrize("command, target", [("train", "siri.train.loop.Trainer"), ("sft", "siri.sft.run.run_sft")])
def test_quiet_turns_the_progress_bars_off(monkeypatch, command, target):
    seen, stop = _capture(monkeypatch, target)
    for flags, progress in (([], True), (["--quiet"], False)):
        with pytest.raises(stop):
            main([command, "--config", "sokoban_tiny_grpo", *flags])
        assert seen.pop().run.progress is progress


def test_quiet_oracle_play_prints_only_the_verdict(capsys):
    assert main(["play", "sokoban", "--seed", "1", "--oracle", "--quiet"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("episode over after ") and "WON" in out[0]


def test_every_config_option_says_presets_work(capsys):
    with_config = [name for name, p in _subcommands().items() if "--config" in p._option_string_actions]
    assert set(with_config) == {"sft", "train", "eval", "quickstart", "config"}
    for name in with_config:
        with pytest.raises(SystemExit):
            main([name, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "a YAML file or the name of a shipped preset" in text and "siri config --list" in text, name


def test_config_list_names_every_preset_with_its_description(capsys):
    from siri.config_files import PRESETS_DIR

    assert main(["config", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))
    tiny = next(line for line in lines if line.split()[0] == "household_tiny")
    assert tiny.split(None, 1)[1].startswith("Household (ALFWorld-faithful), tiny CPU preset with GiGPO")
    assert main(["config", "--list", "--config", "household_tiny"]) == 2
    assert "--list takes no --config" in capsys.readouterr().err
