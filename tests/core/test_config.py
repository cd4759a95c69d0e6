"""The typed config: YAML + dotted overrides, validation before any work, one-line errors."""

import subprocess
import sys

import pytest
import yaml

from siri.config import Config, apply_overrides, load_config, parse_override, save_config
from siri.utils.errors import UserError


def test_defaults_validate():
    cfg = load_config()
    assert cfg.run.seed == 0 and cfg.env.history == 2 and cfg.eval.temperature == 0.4


def test_yaml_then_overrides_win(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("run:\n  seed: 3\nsampling:\n  temperature: 0.7\n")
    cfg = load_config(path, ["sampling.temperature=0.5", "env.options.size=small", "env.think=true"])
    assert cfg.run.seed == 3
    assert cfg.sampling.temperature == 0.5
    assert cfg.env.options == {"size": "small"}
    assert cfg.env.think is True


def test_parse_override_reads_yaml_scalars():
    assert parse_override("train.lr=1e-6") == (["train", "lr"], 1e-6)
    assert parse_override("a=true") == (["a"], True)
    assert parse_override("a=[1, 2]") == (["a"], [1, 2])
    assert parse_override("a=hello world") == (["a"], "hello world")


def test_apply_overrides_does_not_mutate_input():
    data = {"run": {"seed": 1}}
    out = apply_overrides(data, ["run.seed=2"])
    assert data == {"run": {"seed": 1}} and out == {"run": {"seed": 2}}


@pytest.mark.parametrize(
    "override, expected",
    [
        ("run.sed=1", "config error: unknown key 'run.sed'; allowed under 'run': device, name, out_dir, progress, seed, tensorboard, threads"),
        ("trian.lr=1", "config error: unknown key 'trian'; allowed: algo, env, eval, model, run, sampling, sft, siri, skill_sd, train"),
        ("run.seed=-1", "config error: run.seed: Input should be greater than or equal to 0 (got -1)"),
        ("sampling.top_p=0", "config error: sampling.top_p: Input should be greater than 0 (got 0)"),
        ("env.name=chess", "config error: env.name: unknown environment 'chess'; allowed: alfworld, household, shop, sokoban (got 'chess')"),
    ],
)
def test_bad_values_fail_with_one_line(override, expected):
    with pytest.raises(UserError) as err:
        load_config(None, [override])
    assert str(err.value) == expected
    assert "\n" not in str(err.value)


def test_bad_override_syntax():
    with pytest.raises(UserError, match="expected key=value"):
        load_config(None, ["run.seed"])
    with pytest.raises(UserError, match="is a value, not a section"):
        apply_overrides({"run": {"seed": 1}}, ["run.seed.x=1"])
    with pytest.raises(UserError, match=r"run.seed: Input should be a valid integer"):
        load_config(None, ["run.seed.x=1"])


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(UserError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a\n- b\n")
    with pytest.raises(UserError, match="must hold a mapping"):
        load_config(bad)


def test_saved_config_round_trips(tmp_path):
    cfg = load_config(None, ["run.seed=7", "env.name=sokoban"])
    save_config(cfg, tmp_path / "config.yaml")
    data = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert data["run"]["seed"] == 7 and data["env"]["name"] == "sokoban"
    assert Config.model_validate(data) == cfg


def test_cli_reports_bad_key_in_one_line_without_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "siri.cli", "config", "run.sed=1"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "siri config: error: config error: unknown key 'run.sed'; allowed under 'run': "
        "device, name, out_dir, progress, seed, tensorboard, threads"
    ]


def test_bare_preset_names_resolve_to_shipped_presets():
    from siri.config import preset_names

    assert "sokoban_tiny_grpo" in preset_names()
    cfg = load_config("sokoban_tiny_grpo")
    assert cfg.env.name == "sokoban" and cfg.algo.name == "grpo"
    with pytest.raises(UserError, match=r"config file not found: nope \(shipped presets: .*sokoban_tiny_grpo"):
        load_config("nope")
