"""The `siri` command: every subcommand has --help; init-model builds a loadable preset offline."""

import os
import subprocess
import sys

import pytest

from siri.cli import COMMANDS, main


def test_every_command_has_help(capsys):
    for command in COMMANDS:
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0
        assert f"usage: siri {command}" in capsys.readouterr().out


def test_top_level_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "siri.cli", "--help"], capture_output=True, text=True, check=True)
    for command in COMMANDS:
        assert command in out.stdout


def test_init_model_builds_a_preset_that_loads_offline(tmp_path):
    out = tmp_path / "tiny"
    assert main(["init-model", "--preset", "tiny", "--out", str(out)]) == 0
    code = (
        "from transformers import AutoModelForCausalLM, AutoTokenizer; import sys;"
        f"m = AutoModelForCausalLM.from_pretrained({str(out)!r}); t = AutoTokenizer.from_pretrained({str(out)!r});"
        "ids = t.apply_chat_template([{'role': 'user', 'content': 'go to fridge 1'}], add_generation_prompt=True);"
        "print(len(t.tokenize('You arrive at fridge 1. The fridge 1 is closed.')))"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    # Qwen2's pre-tokenizer cuts the sentence into 14 pieces (You|␣arrive|␣at|␣fridge|␣|1|.|␣The|␣fridge|
    # ␣|1|␣is|␣closed|.): digits never keep a leading space. 14 tokens means every household word
    # became one token; a tokenizer that had not learnt these words would need more.
    assert int(res.stdout.strip()) == 14


def test_init_model_unknown_preset_is_one_line(tmp_path, capsys):
    assert main(["init-model", "--preset", "huge", "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.strip() == "siri init-model: error: unknown model preset 'huge'; allowed: small, tiny"
