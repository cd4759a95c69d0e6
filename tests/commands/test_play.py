"""`siri play` driven by scripted input: numbered actions, invalid actions marked (and counted, as the
environments count them), Sokoban's legend, line editing, and wrapping that never splits a word."""

from __future__ import annotations

import subprocess
import sys

import pytest

from siri.cli import main
from siri.commands.play import enable_line_editing
from siri.commands.play_screen import numbered_columns, wrap
from siri.envs import make_env

# Sokoban's grid symbols and what they mean, as docs/environments.md "Sokoban" gives them.
SOKOBAN_SYMBOLS = {"#": "wall", "_": "floor", "O": "target", "X": "box", "√": "box on target", "P": "you",
                   "S": "you on a target"}


def _play(monkeypatch, capsys, typed: list[str], *args: str) -> list[str]:
    answers = iter(typed)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    assert main(["play", *args]) == 0
    return capsys.readouterr().out.splitlines()


def test_a_number_picks_the_listed_action(monkeypatch, capsys):
    # Sokoban lists its four moves sorted: 1 down, 2 left, 3 right, 4 up
    out = _play(monkeypatch, capsys, ["4", "2", "quit"], "sokoban", "--seed", "1")
    assert "1. down    2. left    3. right   4. up" in out
    assert [line for line in out if line.startswith("> ")] == ["> up", "> left"]
    assert out[-1] == "episode over after 2 steps: not won (return -0.20)"  # -0.1 per step, nothing pushed


def test_a_number_on_household_sends_that_action(monkeypatch, capsys):
    # seed 2 starts in a room with cabinets 1-2, countertop 1, fridge 1 and sinkbasin 1, listed sorted
    out = _play(monkeypatch, capsys, ["3", "quit"], "household", "--seed", "2", "--width", "200")
    assert "3. go to countertop 1" in "\n".join(out)
    assert "> go to countertop 1" in out and any(line.startswith("You arrive at countertop 1.") for line in out)
    assert not any(line.startswith("invalid") for line in out)


def test_an_unknown_action_is_marked_invalid_and_counts_a_step(monkeypatch, capsys):
    out = _play(monkeypatch, capsys, ["jump", "UP ", "quit"], "sokoban", "--seed", "1", "--width", "200")
    invalid = [line for line in out if line.startswith("invalid")]
    assert invalid == ["invalid: 'jump' is not an admissible action. The environment answers it as any bad "
                       "command and the step counts (1 of at most 15 used)."]
    assert "> UP" in out  # case and spaces do not make an action invalid
    assert out[-1] == "episode over after 2 steps: not won (return -0.20)"


def test_input_that_is_no_action_costs_no_step(monkeypatch, capsys):
    out = _play(monkeypatch, capsys, ["", "\x1b[A", "9", "quit"], "sokoban", "--seed", "1")
    text = "\n".join(out)
    assert "terminal key code" in text and "no action numbered 9: the actions are numbered 1 to 4" in text
    assert out[-1] == "episode over after 0 steps: not won (return +0.00)"


def test_a_placeholder_number_asks_for_the_text_and_the_filled_form_is_valid(monkeypatch, capsys):
    out = _play(monkeypatch, capsys, ["1", "search[white monitor]", "quit"], "shop", "--seed", "1", "--width", "200")
    assert any("search[<your query>] is a form to fill in" in line for line in out)
    assert "> search[white monitor]" in out and not any(line.startswith("invalid") for line in out)
    assert out[-1].startswith("episode over after 1 steps")


def test_sokoban_shows_its_legend_and_household_has_none(monkeypatch, capsys):
    out = "\n".join(_play(monkeypatch, capsys, ["quit"], "sokoban", "--seed", "1", "--width", "200"))
    assert all(f"{symbol} {meaning}" in out for symbol, meaning in SOKOBAN_SYMBOLS.items())
    out = "\n".join(_play(monkeypatch, capsys, ["quit"], "household", "--seed", "1", "--width", "200"))
    assert "Symbols:" not in out
    out = "\n".join(_play(monkeypatch, capsys, ["quit"], "sokoban", "--seed", "1", "--quiet"))
    assert "Symbols:" not in out


def test_the_legend_explains_every_symbol_the_grid_uses():
    env = make_env("sokoban")
    used = set()
    for seed in range(30):
        result = env.reset(seed)
        for action in ("up", "left", "down", "right") * 3:
            used |= set(result.observation) - {"\n"}
            result = env.step(action)
    assert used <= set(SOKOBAN_SYMBOLS) and {"#", "_", "O", "X", "P"} <= used


def test_wrap_breaks_between_words_only():
    assert wrap("alpha beta gamma", 11) == "alpha beta\ngamma"
    assert wrap("a verylongword b", 5) == "a\nverylongword\nb"  # too long for the line: kept whole
    assert wrap("######\n#P_X_#", 3) == "######\n#P_X_#"  # grid rows are never cut
    assert wrap("  one two three", 9) == "  one two\n  three"


def test_numbered_actions_in_columns_read_down():
    assert numbered_columns(["down", "left", "right", "up"], 30) == ["1. down    3. right", "2. left    4. up"]
    assert numbered_columns(["take apple 1 from countertop 1"], 20) == ["1. take apple 1 from", "   countertop 1"]


@pytest.mark.parametrize("width", [30, 47])
def test_play_never_splits_a_word(monkeypatch, capsys, width):
    env = make_env("household")
    first = env.reset(2)
    out = _play(monkeypatch, capsys, ["quit"], "household", "--seed", "2", "--width", str(width))
    words = " ".join(out).split()
    said = first.observation.split()
    start = words.index(said[0])
    assert words[start:start + len(said)] == said  # the observation's words, whole and in order
    assert all(len(line) <= width or " " not in line.strip() for line in out)


def test_typed_play_turns_line_editing_on(monkeypatch, capsys):
    assert enable_line_editing() is True and "readline" in sys.modules  # Linux's Python has readline
    calls = []
    monkeypatch.setattr("siri.commands.play.enable_line_editing", lambda: calls.append(1) or True)
    _play(monkeypatch, capsys, ["quit"], "sokoban")
    assert calls == [1]
    _play(monkeypatch, capsys, [], "sokoban", "--oracle")
    assert calls == [1]  # the oracle types nothing


def test_stdin_of_a_real_process():
    run = subprocess.run([sys.executable, "-m", "siri.cli", "play", "sokoban", "--seed", "1"], input="4\nfly\n",
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()  # input() writes its "action> " prompt before the echoed action
    assert "action> > up" in lines and any(line.startswith("invalid: 'fly'") for line in lines)
    assert lines[-1] == "episode over after 2 steps: not won (return -0.20)"


def test_play_names_no_environment():
    """What differs per environment comes from its AgentText, never from a test of its name here."""
    import ast
    from pathlib import Path

    import siri.commands.play as play
    from siri.envs import env_names

    for path in (Path(play.__file__), Path(play.__file__).with_name("play_screen.py")):
        strings = {n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                   if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        assert not strings & set(env_names()), path.name


def test_admits_compares_as_the_environments_do():
    from siri.envs import env_text

    household, shop = env_text("household"), env_text("shop")
    assert household.admits("  Go to   CABINET 1 ", ["go to cabinet 1", "look"])
    assert not household.admits("go to cabinet 2", ["go to cabinet 1", "look"])
    assert household.admits("help", ["help", "look"])  # listed by the env though hidden from the prompt
    listed = ["search[<your query>]", "click[Next >]"]
    assert shop.admits("search[white monitor]", listed) and shop.admits("click[next >]", listed)
    assert not shop.admits("search[]", listed) and not shop.admits("search[x]", ["click[Next >]"])
    assert not household.admits("search[x]", ["search[<your query>]"])  # household has no placeholders


def test_a_reader_that_goes_away_ends_play_quietly():
    """`siri play | head -1`: the pipe's reader is closed before play writes, so every write fails with
    EPIPE; the command must end with status 141 (a shell tool's SIGPIPE status) and no traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "siri.cli", "play", "sokoban", "--seed", "1"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    _, err = proc.communicate(input="4\n", timeout=60)
    assert proc.returncode == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err
