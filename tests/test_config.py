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
        ("run.sed=1", "config error: unknown key 'run.sed'; allowed under 'run': device, name, out_dir, progress, seed, "
                      "tensorboard, threads, wandb, wandb_mode, wandb_project"),
        ("run.wandb_mode=cloud",
         "config error: run.wandb_mode: Input should be 'online', 'offline' or 'disabled' (got 'cloud')"),
        ("trian.lr=1", "config error: unknown key 'trian'; allowed: algo, env, eval, model, run, sampling, sft, train"),
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
    bad.write_bytes(bytes(range(256)))
    with pytest.raises(UserError, match=r"^config file .*bad.yaml:2: not UTF-8 text \(byte 0x80\)"):
        load_config(bad)
    child = tmp_path / "child.yaml"
    child.write_text("extends: bad.yaml\n")
    with pytest.raises(UserError, match=r"bad.yaml:2: not UTF-8 text"):
        load_config(child)
    bad.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(UserError, match="nested too deeply"):
        load_config(bad)


def test_the_run_seed_fits_every_seeded_generator():
    # numpy's np.random.seed takes < 2**32; torch and Python take more
    assert load_config(None, ["run.seed=4294967295"]).run.seed == 2**32 - 1
    with pytest.raises(UserError) as err:
        load_config(None, ["run.seed=4294967296"])
    assert str(err.value) == "config error: run.seed: Input should be less than 4294967296 (got 4294967296)"


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
        "device, name, out_dir, progress, seed, tensorboard, threads, wandb, wandb_mode, wandb_project"
    ]


def test_bare_preset_names_resolve_to_shipped_presets():
    from siri.config import preset_names

    assert "sokoban_tiny_grpo" in preset_names()
    cfg = load_config("sokoban_tiny_grpo")
    assert cfg.env.name == "sokoban" and cfg.algo.name == "grpo"
    with pytest.raises(UserError, match=r"config file not found: nope \(shipped presets: .*sokoban_tiny_grpo"):
        load_config("nope")


def test_algo_fields_depend_on_algo_name():
    from siri.train.methods.distill.config import DistillConfig
    from siri.train.methods.rl.config import GiGPOConfig, GRPOConfig
    from siri.train.methods.siri.config import SiriConfig

    assert type(load_config(None).algo) is GiGPOConfig  # the default algorithm
    assert type(load_config(None, ["algo.name=grpo"]).algo) is GRPOConfig
    cfg = load_config(None, ["algo.name=siri", "algo.n_req=5"])
    assert type(cfg.algo) is SiriConfig and cfg.algo.n_req == 5 and cfg.algo.gamma == 0.95
    assert type(load_config(None, ["algo.name=opd"]).algo) is DistillConfig
    with pytest.raises(UserError) as err:
        load_config(None, ["algo.name=grpo", "algo.gamma=0.9"])
    assert str(err.value) == "config error: unknown key 'algo.gamma'; allowed under 'algo' (algo.name=grpo): mode, name"
    with pytest.raises(UserError, match=r"^config error: algo.n_req: Input should be greater than or equal to 1"):
        load_config(None, ["algo.name=siri", "algo.n_req=0"])
    with pytest.raises(UserError, match=r"^config error: algo.name: unknown algorithm 'ppo'; allowed: gigpo, grpo, "):
        load_config(None, ["algo.name=ppo"])


def test_saved_config_round_trips_the_algo_subclass(tmp_path):
    cfg = load_config(None, ["algo.name=skill_sd", "algo.lambda_sd=0.3"])
    save_config(cfg, tmp_path / "c.yaml")
    text = (tmp_path / "c.yaml").read_text()
    assert "lambda_sd: 0.3" in text and "\n  name: skill_sd\n" in text
    assert load_config(tmp_path / "c.yaml") == cfg


def test_legacy_sections_fold_into_algo_and_overrides_name_the_new_key(tmp_path):
    old = {"algo": {"name": "siri", "mode": "mean_norm"}, "siri": {"n_req": 7, "mode": "mean_std_norm"},
           "skill_sd": {"lambda_sd": 0.5}}
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(old))
    cfg = load_config(tmp_path / "old.yaml")
    assert cfg.algo.name == "siri" and cfg.algo.n_req == 7 and cfg.algo.mode == "mean_norm"  # algo's keys win
    with pytest.raises(UserError, match=r"the 'siri' section is now part of 'algo'; write algo.n_req=3"):
        load_config(None, ["siri.n_req=3"])


def test_extends_overrides_the_parent_key_by_key(tmp_path):
    (tmp_path / "base.yaml").write_text("run: {name: base, seed: 3}\ntrain: {lr: 0.1}\nalgo: {name: gigpo, gamma: 0.5}\n")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nrun: {name: child}\nalgo: {name: gigpo, omega: 2}\n")
    cfg = load_config(tmp_path / "child.yaml")
    assert (cfg.run.name, cfg.run.seed, cfg.train.lr) == ("child", 3, 0.1)
    assert (cfg.algo.gamma, cfg.algo.omega) == (0.5, 2.0)
    (tmp_path / "other.yaml").write_text("extends: base.yaml\nalgo: {name: grpo}\n")  # another method: replaced
    assert load_config(tmp_path / "other.yaml").algo.model_dump() == {"name": "grpo", "mode": "mean_std_norm"}
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\n")
    with pytest.raises(UserError, match="extends itself"):
        load_config(tmp_path / "loop.yaml")
    siri = load_config("household_tiny_siri")
    assert siri.sft == load_config("household_tiny").sft and siri.algo.name == "siri"


def test_every_shipped_preset_validates():
    from siri.config import preset_names

    names = preset_names()
    assert {"household_knowledge", "household_knowledge_siri", "household_knowledge_skill_sd"} <= set(names)
    for name in names:
        load_config(name)


def test_knowledge_presets_share_the_setting_and_differ_only_in_the_method():
    """The comparisons on the knowledge testbed (docs/experiments.md) need one env, budget and eval."""
    from siri.envs import make_env

    base = load_config("household_knowledge")
    for name, algo in [("household_knowledge_siri", "siri"), ("household_knowledge_skill_sd", "skill_sd")]:
        cfg = load_config(name)
        assert cfg.algo.name == algo
        assert (cfg.env, cfg.train, cfg.eval, cfg.sampling, cfg.sft) == (base.env, base.train, base.eval, base.sampling, base.sft)
    env = make_env(base.env.name, split="eval", max_steps=base.env.max_steps, **base.env.options)
    first = env.reset(0)
    assert first.task_type.startswith("pick_and_place_simple/") and env.max_steps == 6


@pytest.mark.parametrize("device", ["auto", "cpu", "cuda", "cuda:0", "cuda:1", "cuda:12"])
def test_run_device_takes_auto_cpu_cuda_and_cuda_n(device):
    assert load_config(None, [f"run.device={device}"]).run.device == device


@pytest.mark.parametrize("device, got", [("cuda:x", "'cuda:x'"), ("gpu", "'gpu'"), ("cuda:-1", "'cuda:-1'"),
                                         ("CUDA", "'CUDA'"), ("cpu:0", "'cpu:0'"), ("cuda:1.5", "'cuda:1.5'"),
                                         ("1", "1"), ("cuda:", "{'cuda': None}")])
def test_run_device_names_the_allowed_forms(device, got):
    with pytest.raises(UserError) as e:
        load_config(None, [f"run.device={device}"])
    assert str(e.value) == (f"config error: run.device: must be auto, cpu, cuda or cuda:N with N a GPU number "
                            f"(0, 1, ...) (got {got})")


def test_cuda_n_reaches_torch_unchanged(monkeypatch, tiny_model_dir):
    """`run.device=cuda:1` goes to the device resolver as written, which makes it torch's GPU 1; `auto`
    picks CUDA when there is one (no GPU here: torch is told there is one, and the model load stops at
    the resolver)."""
    import torch

    from siri.policy import loading

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    seen = []

    def resolver(device):
        seen.append(device)
        raise UserError("stop here")

    cfg = load_config(None, ["run.device=cuda:1", f"model.path={tiny_model_dir}"])
    assert loading.resolve_device(cfg.run.device) == torch.device("cuda", 1)
    assert loading.resolve_device(load_config().run.device) == torch.device("cuda")
    monkeypatch.setattr(loading, "resolve_device", resolver)
    with pytest.raises(UserError, match="stop here"):
        loading.load_policy(cfg.model.path, cfg.run.device, cfg.model.dtype)
    assert seen == ["cuda:1"]


def test_cuda_n_beyond_the_gpu_count_is_one_line(monkeypatch):
    """`cuda:2` on a two-GPU machine stops before any model is loaded, naming the GPUs there are."""
    import torch

    from siri.policy import loading

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert loading.resolve_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(UserError, match=r"has 2 GPU\(s\): cuda:0..cuda:1"):
        loading.resolve_device("cuda:2")
