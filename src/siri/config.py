"""One typed config, loaded from YAML with dotted command-line overrides (docs/architecture.md).

`load_config("configs/x.yaml", ["train.lr=1e-6"])` validates everything before any work starts; an
unknown key, a wrong type or an out-of-range value raises `UserError` with one line naming the key and
what is allowed. Sections are pydantic models with `extra="forbid"`, so a typo is an error, not a
silently ignored setting.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from siri.config_files import DEFAULT_ALGO, preset_names, read_yaml  # noqa: F401  (`siri.config.preset_names` is public)
from siri.envs.registry import check_env_options, env_entry
from siri.train.methods.registry import config_class  # names -> config classes, imported on first use
from siri.utils.atomic import atomic_write_text
from siri.utils.errors import UserError, install_hint


# Before the `algo` section held each method's options, SIRI's and Skill-SD's sat in top-level
# sections of these names (run directories of that time still hold such a config.yaml).
LEGACY_SECTIONS = {"siri": ("siri",), "skill_sd": ("skill_sd", "opd", "opsd")}
_RUN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RunConfig(Section):
    name: str = Field("run", min_length=1, description="run directory name under out_dir (one folder name)")
    out_dir: str = "runs"
    seed: int = Field(0, ge=0, lt=2**32, description="seeds Python, NumPy and torch (NumPy takes < 2**32)")
    device: str = Field("auto", description="auto (CUDA when available), cpu, cuda or cuda:N (GPU number N)")
    threads: int = Field(0, ge=0, description="torch CPU threads (0: one per core; 1 per run when runs share the machine)")
    progress: bool = True
    tensorboard: bool = Field(
        False, description=f"also log metrics to RUN_DIR/tensorboard ({install_hint('tensorboard')})")
    wandb: bool = Field(False, description="also log metrics to Weights & Biases, files in RUN_DIR/wandb")
    wandb_project: str = Field("siri", min_length=1, description="the W&B project")
    wandb_mode: Literal["online", "offline", "disabled"] | None = Field(
        None, description="W&B mode; null: the WANDB_MODE variable, else online")

    @field_validator("name")
    @classmethod
    def _one_folder(cls, name: str) -> str:
        if not _RUN_NAME.fullmatch(name):
            raise PydanticCustomError("run_name", "must be one folder name (letters, digits, '.', '_', '-', not "
                                                  "starting with '.'), so the run stays inside run.out_dir")
        return name

    @field_validator("device", mode="before")
    @classmethod
    def _torch_device(cls, device: Any) -> str:
        """Passed unchanged to `siri.policy.loading.resolve_device`, which hands cuda:N to torch."""
        if not isinstance(device, str) or not _DEVICE.fullmatch(device):
            raise PydanticCustomError("run_device", "must be auto, cpu, cuda or cuda:N with N a GPU number "
                                                    "(0, 1, ...)")
        return device


class ModelConfig(Section):
    path: str = Field("runs/models/tiny", description="HF model path or hub id")
    dtype: Literal["float32", "bfloat16", "float16"] = Field("float32", description="compute and checkpoint dtype")
    master_weights: bool = Field(True, description="with a 16-bit dtype, train float32 weights and AdamW state (false: "
                                 "step 16-bit weights in place; half the memory, but small updates round away)")
    gradient_checkpointing: bool = Field(False, description="recompute activations in the backward pass (less memory, "
                                         "more compute; the update then scores rows without shared prefixes)")
    lora_rank: int = Field(0, ge=0, description="LoRA adapter rank; 0: train every weight, > 0: `siri train` trains "
                           f"low-rank adapters only and the base stays in model.dtype ({install_hint('peft')})")
    lora_alpha: int = Field(16, gt=0, description="LoRA scale numerator: an adapter adds (alpha / rank) * B A x")
    lora_target_modules: str | list[str] = Field(
        "all-linear", description="layers that get adapters: all-linear (every linear layer but the output head) or "
        "a list of layer names, e.g. [q_proj, v_proj]; names are checked against the model when it loads")

    @field_validator("lora_target_modules")
    @classmethod
    def _targets(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, str):
            if value != "all-linear":
                raise PydanticCustomError("lora_targets", "must be 'all-linear' or a list of layer names")
            return value
        if not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise PydanticCustomError("lora_targets", "must be a non-empty list of layer names (or 'all-linear')")
        if len(set(value)) != len(value):
            raise PydanticCustomError("lora_targets", "lists a layer name twice")
        return value


class EnvConfig(Section):
    """The environment; its name and options are checked against the registry (`siri.envs.registry`),
    which is the one list of environments, so a new one needs no edit here."""

    name: str = Field(
        "household", description="alfworld: the real engine on your game files (options.game_files)")
    max_steps: int = Field(50, ge=1, le=1000)
    history: int = Field(2, ge=0, le=50, description="(observation, action) pairs in each prompt")
    think: bool = Field(False, description="require <think></think> before the action")
    options: dict[str, Any] = Field(default_factory=dict, description="environment-specific options")

    @field_validator("name")
    @classmethod
    def _registered(cls, name: str) -> str:
        try:
            env_entry(name)
        except ValueError as e:  # EnvError: one line naming the allowed environments
            raise PydanticCustomError("env_name", str(e)) from None
        return name

    @field_validator("options")
    @classmethod
    def _options_fit_the_env(cls, options: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if "name" not in info.data:  # a bad name is reported on its own
            return options
        try:
            check_env_options(info.data["name"], options)
        except ValueError as e:  # EnvError: one line naming the bad option and the allowed ones
            raise PydanticCustomError("env_options", str(e)) from None
        return options


class SamplingConfig(Section):
    temperature: float = Field(1.0, ge=0.0, le=10.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_new_tokens: int = Field(48, ge=1, le=8192)


class SFTConfig(Section):
    """Behaviour cloning on oracle demonstrations (`siri sft`, docs/architecture.md "Models": the warm start).

    Loss: −mean log-prob of the response tokens (token mean over a micro-batch), plus
    `prompt_loss_weight` × the mean NLL of the prompt tokens (ours; 0 by default). `kinds` names the
    example builders (`siri.sft.data.register_builder`); `demo` is the oracle's demonstrations.
    """

    kinds: list[str] = Field(default_factory=lambda: ["demo"], description="example builders to use")
    episodes: int = Field(300, ge=1, description="demonstration episodes on train seeds")
    max_steps: int | None = Field(
        None, ge=1, description="the demonstrations' step limit (default env.max_steps; longer: each shows its end)")
    oracle: str = Field("searcher", description="oracle kind that demonstrates")
    noise: float = Field(0.1, ge=0.0, le=1.0, description="probability that a step executes a non-oracle action")
    noise_repeat: float = Field(
        0.5, ge=0.0, le=1.0, description="share of noisy steps that repeat the previous action (else random)"
    )
    train_on_noise: bool = Field(
        False, description="label a noisy step with the random action (true) or the oracle's (false)"
    )
    epochs: int = Field(2, ge=1, le=1000)
    lr: float = Field(1e-3, gt=0.0, le=1.0)
    lr_schedule: Literal["constant", "cosine"] = Field("cosine", description="after the warmup")
    warmup_ratio: float = Field(0.05, ge=0.0, lt=1.0, description="fraction of steps with linear warmup")
    weight_decay: float = Field(0.0, ge=0.0)
    grad_clip: float = Field(1.0, gt=0.0, description="max global gradient norm")
    prompt_loss_weight: float = Field(
        0.0, ge=0.0, description="weight of an auxiliary next-token loss on prompt tokens (0: response only)"
    )
    batch_size: int = Field(16, ge=1)
    max_prompt_tokens: int = Field(2048, ge=16)
    log_every: int = Field(50, ge=1, description="optimizer steps between metrics rows")
    out: str | None = Field(None, description="where the warm-started model goes (default RUN_DIR/model)")
    skill_episodes: int = Field(100, ge=0, description="skill_demo kind: demonstrations under a skills block")
    hint_episodes: int = Field(200, ge=0, description="hint_demo kind: demonstrations following a location hint")
    hint_steps: int | None = Field(None, ge=1, description="hint_demo kind: first steps kept of each (default all)")
    skill_sources: int = Field(60, ge=1, description="skill_demo kind: demonstrations the skills come from")
    summary_examples: int = Field(60, ge=0, description="summary kind: trajectories -> skills examples")
    summary_sources: int = Field(120, ge=1, description="summary kind: demonstrations the prompts show")
    summary_k: int = Field(4, ge=1, description="summary kind: trajectories per prompt (match SIRI's algo.mine_k)")
    summary_max_skills: int = Field(
        3, ge=1, description="summary and skill_demo kinds: skills per answer (match SIRI's algo.max_skills)")


class TrainConfig(Section):
    """The RL loop (docs/algorithms.md §3, §6): B groups × N rollouts per iteration, PPO-style updates."""

    iterations: int = Field(20, ge=0)
    max_env_steps: int | None = Field(
        None, ge=1, description="stop once this many environment steps were taken (runs compared at equal steps)"
    )
    groups_per_iter: int = Field(16, ge=1, description="B: episode groups per iteration")
    group_size: int = Field(8, ge=1, description="N: rollouts per group (same initial state)")
    lr: float = Field(1e-6, gt=0.0, le=1.0)
    weight_decay: float = Field(0.0, ge=0.0)
    ppo_epochs: int = Field(1, ge=1)
    mini_batch_rows: int = Field(256, ge=1, description="step rows per optimizer step")
    micro_batch_rows: int = Field(16, ge=1, description="step rows per forward/backward pass")
    share_prefixes: bool = Field(True, description="compute shared prompt prefixes once (same numbers; off for models "
                                                   "whose forward cannot take a key/value cache)")
    grad_clip: float = Field(1.0, gt=0.0)
    clip_low: float = Field(0.2, gt=0.0, lt=1.0)
    clip_high: float = Field(0.2, gt=0.0)
    dual_clip: float | None = Field(3.0, gt=1.0)
    kl_coef: float = Field(0.01, ge=0.0, description="β of the k3 KL to the frozen reference")
    entropy_coef: float = Field(0.001, ge=0.0)
    eval_every: int = Field(0, ge=0, description="evaluate every k iterations (0: only at the end)")
    checkpoint_every: int = Field(1, ge=1)
    keep_checkpoints: int = Field(1, ge=1, description="complete checkpoints kept on disk")


class AlgoConfig(Section):
    """The `algo` section. Its fields depend on `algo.name`: each training method registers its own
    subclass (`siri.train.methods.registry`), and `Config` validates the section with the class its
    name picks (a discriminated union open to new methods; docs/architecture.md "Algorithms")."""

    name: str = DEFAULT_ALGO


class GeneratorSettings(AlgoConfig):
    """Who writes skills (docs/algorithms.md §4 "Skill generators"), shared by SIRI and Skill-SD: `self`
    (a frozen snapshot of the policy), `external` (an OpenAI-compatible endpoint through the `openai`
    client, extra `openai`; the key is read from the environment variable named here;
    `external_retries` is the client's `max_retries`) or `extractive` (deterministic, from action
    statistics)."""

    generator: Literal["self", "external", "extractive"] = "self"
    gen_temperature: float = Field(0.7, ge=0.0, le=10.0)
    gen_max_new_tokens: int = Field(96, ge=8)
    external_base_url: str = "http://127.0.0.1:8000/v1"
    external_model: str = "policy"
    external_api_key_env: str = "OPENAI_API_KEY"
    external_timeout: float = Field(60.0, gt=0.0)
    external_retries: int = Field(2, ge=0)


class EvalConfig(Section):
    """Held-out plain-prompt evaluation."""

    split: Literal["train", "eval", "unseen"] = "eval"
    episodes: int = Field(200, ge=1)
    temperature: float = Field(0.4, ge=0.0, le=10.0)
    batch_episodes: int = Field(64, ge=1, description="episodes rolled out together")


class Config(Section):
    run: RunConfig = Field(default_factory=RunConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    env: EnvConfig = Field(default_factory=EnvConfig)
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    sft: SFTConfig = Field(default_factory=SFTConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    algo: SerializeAsAny[AlgoConfig] = Field(default_factory=lambda: algo_config({}))
    eval: EvalConfig = Field(default_factory=EvalConfig)

    @field_validator("algo", mode="before")
    @classmethod
    def _algo_by_name(cls, value: Any) -> AlgoConfig:
        return value if isinstance(value, AlgoConfig) and type(value) is not AlgoConfig else algo_config(value)

    @property
    def run_dir(self) -> Path:
        return Path(self.run.out_dir) / self.run.name


def algo_config(data: Any) -> AlgoConfig:
    """Validate an `algo` section with the config class its `name` picks (default: gigpo)."""
    if isinstance(data, BaseModel):
        data = data.model_dump()
    if not isinstance(data, dict):
        raise UserError(f"config error: algo must be a section (a mapping), got {type(data).__name__}")
    name = data.get("name", DEFAULT_ALGO)
    schema = config_class(str(name))
    try:
        return schema.model_validate({**data, "name": name})
    except ValidationError as e:
        raise UserError(_format_error(e, schema, ["algo"], f" (algo.name={name})")) from None


def _allowed_keys(model: type[BaseModel], path: list[str]) -> list[str]:
    """Field names allowed at `path` (a list of section names) inside `model`."""
    for part in path:
        field = model.model_fields.get(part)
        ann = getattr(field, "annotation", None)
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        model = ann
    return sorted(model.model_fields)


def _format_error(err: ValidationError, root: type[BaseModel], prefix: list[str] | None = None, note: str = "") -> str:
    """One line naming the first bad key and what is allowed there; `prefix` is the section path of
    `root` inside the whole config, `note` qualifies the allowed list (e.g. which algo.name)."""
    first = err.errors()[0]
    loc = [str(p) for p in first["loc"]]
    key = ".".join([*(prefix or []), *loc])
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(root, loc[:-1])
        section = [*(prefix or []), *loc[:-1]]
        where = (f" under '{'.'.join(section)}'" if section else "") + note
        return f"config error: unknown key '{key}'; allowed{where}: {', '.join(allowed)}"
    got = first.get("input")
    return f"config error: {key}: {first['msg']} (got {got!r})"


def parse_override(text: str) -> tuple[list[str], Any]:
    """`"train.lr=1e-6"` -> (["train", "lr"], 1e-6); the value is read as YAML (numbers, bools, lists)."""
    if "=" not in text:
        raise UserError(f"bad override {text!r}: expected key=value, e.g. train.lr=1e-6")
    key, raw = text.split("=", 1)
    parts = key.strip().split(".")
    if not all(parts):
        raise UserError(f"bad override {text!r}: empty key part in {key!r}")
    if parts[0] in LEGACY_SECTIONS:
        raise UserError(f"bad override {text!r}: the {parts[0]!r} section is now part of 'algo'; "
                        f"write algo.{'.'.join(parts[1:])}={raw}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = float(value)  # YAML 1.1 reads "1e-6" as a string; users mean the number
    return parts, value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Set each dotted key in a nested dict (a new dict; the input is not changed)."""
    out = yaml.safe_load(yaml.safe_dump(data)) or {}
    for text in overrides:
        parts, value = parse_override(text)
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise UserError(f"bad override {text!r}: '{part}' is a value, not a section")
            node = child
        node[parts[-1]] = value
    return out


def fold_legacy_sections(data: dict[str, Any]) -> dict[str, Any]:
    """Move the keys of a legacy `siri` / `skill_sd` section into `algo` when it belongs to
    `algo.name` (keys already under `algo` win) and drop the others, so old run directories load."""
    if not any(k in data for k in LEGACY_SECTIONS):
        return data
    out = {k: v for k, v in data.items() if k not in LEGACY_SECTIONS}
    algo = dict(out.get("algo") or {})
    name = algo.get("name", DEFAULT_ALGO)
    for section, names in LEGACY_SECTIONS.items():
        if name in names and isinstance(data.get(section), dict):
            algo = {**data[section], **algo}
    out["algo"] = algo
    return out


def config_from_dict(data: dict[str, Any], schema: type[Config] = Config) -> Config:
    try:
        return schema.model_validate(fold_legacy_sections(data))
    except ValidationError as e:
        raise UserError(_format_error(e, schema)) from None


def load_config(
    path: str | os.PathLike[str] | None = None,
    overrides: list[str] | None = None,
    schema: type[Config] = Config,
) -> Config:
    """Read YAML (or start from defaults), apply dotted overrides, validate."""
    data = read_yaml(path) if path is not None else {}
    return config_from_dict(apply_overrides(data, overrides or []), schema)


def config_to_yaml(cfg: BaseModel) -> str:
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)


def save_config(cfg: BaseModel, path: str | os.PathLike[str]) -> None:
    """Write the resolved config (every default filled in) atomically."""
    atomic_write_text(path, config_to_yaml(cfg))
