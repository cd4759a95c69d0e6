"""`run_sft`: the SFT warm start end to end (docs/architecture.md "Models" and "Run directory").

A tiny model cannot follow the agent format out of the box, so the CPU pipeline starts by cloning
oracle demonstrations (`siri.sft.demo`); the result must be competent but far from perfect, so
that RL and skills have room to show their effect (the shipped configs are tuned for that).

Side effects live here: RUN_DIR/config.yaml (resolved config), RUN_DIR/metrics.jsonl (a data row,
a row every `sft.log_every` steps, a row per epoch, a final row), and the model + tokenizer in Hugging
Face format written atomically to `sft.out` (default RUN_DIR/model).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from siri.config import Config, save_config
from siri.policy.loading import configure_threads, load_policy
from siri.policy.precision import save_pretrained
from siri.sft.data import SFTData, build_examples, check_kinds
from siri.sft.loop import LoopStats, train_sft
from siri.train.rundir import holds_run
from siri.utils.atomic import atomic_write_text, check_output_dir, output_dir
from siri.utils.errors import UserError
from siri.utils.metrics import MetricsWriter, progress


def sft_output_dir(cfg: Config) -> Path:
    """Where the warm-started model goes: `sft.out`, else RUN_DIR/model."""
    return Path(cfg.sft.out) if cfg.sft.out else cfg.run_dir / "model"


def save_model(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, out: Path, overwrite: bool = False) -> Path:
    """Model (safetensors, in its compute dtype: `model.dtype`) + generation config + tokenizer, into a
    new folder in one rename (or, with `overwrite`, over the same files of an existing one, keeping its
    other files)."""
    with output_dir(out, overwrite) as tmp:
        save_pretrained(model, tmp)
        tokenizer.save_pretrained(tmp)
    return out


def _describe(data: SFTData) -> str:
    parts = [f"{kind}: {data.built[kind] - data.dropped[kind]} examples"
             + (f" ({data.dropped[kind]} dropped: prompt too long)" if data.dropped[kind] else "")
             for kind in data.built]
    if "demo/oracle_success" in data.stats:
        parts.append(f"oracle success {data.stats['demo/oracle_success']:.0%}, "
                     f"{int(data.stats['demo/noisy_steps'])} noisy steps")
    return "; ".join(parts)


def _train_with_bar(model: PreTrainedModel, data: SFTData, cfg: Config, writer: MetricsWriter) -> LoopStats:
    sft = cfg.sft
    steps = -(-len(data.examples) // sft.batch_size) * sft.epochs
    with progress(disable=not cfg.run.progress) as bar:
        task = bar.add_task("sft", total=steps, status="")

        def on_step(loss: float) -> None:
            bar.update(task, advance=1, status=f"loss {loss:.3f}")

        return train_sft(model, data.examples, sft, cfg.run.seed, log=writer.write, on_step=on_step)


def run_sft(cfg: Config, echo: Callable[[str], None] = print, overwrite: bool = False) -> Path:
    """Warm-start `cfg.model.path` on the configured examples; returns the saved model directory.

    Same config (and seed) on the same machine => the same weights. Like `siri train`, it starts a new
    run: an existing run directory or a non-empty model folder is refused unless `overwrite`.
    """
    check_kinds(cfg.sft.kinds)  # fail before loading anything
    if holds_run(cfg.run_dir) and not overwrite:
        raise UserError(f"run directory {cfg.run_dir} already holds a run; choose run.name (or --overwrite)")
    check_output_dir(sft_output_dir(cfg), overwrite)
    torch.manual_seed(cfg.run.seed)
    model, tokenizer = load_policy(cfg.model.path, device=cfg.run.device, dtype=cfg.model.dtype,
                                   master_weights=cfg.model.master_weights,
                                   gradient_checkpointing=cfg.model.gradient_checkpointing)
    configure_threads(model, cfg.run.threads)
    run_dir = cfg.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run_dir / "config.yaml")
    start = time.perf_counter()
    data = build_examples(cfg, tokenizer)
    if not data.examples:
        raise UserError(f"no SFT examples left (all prompts longer than sft.max_prompt_tokens="
                        f"{cfg.sft.max_prompt_tokens}?); raise it or check sft.kinds")
    echo(f"sft data: {_describe(data)}")
    atomic_write_text(run_dir / "metrics.jsonl", "")  # a new SFT run starts the run's metrics afresh
    writer = MetricsWriter(run_dir / "metrics.jsonl")
    writer.write({"phase": "sft", "event": "data", "time_s": round(time.perf_counter() - start, 3),
                  **data.summary()})
    stats = _train_with_bar(model, data, cfg, writer)
    out = save_model(model, tokenizer, sft_output_dir(cfg), overwrite)
    writer.write({"phase": "sft", "event": "done", "steps": stats.steps, "epochs": stats.epochs,
                  "loss": stats.final_loss, "train_s": round(stats.seconds, 3), "model": str(out)})
    writer.close()
    echo(f"sft: {stats.steps} steps in {stats.seconds:.0f}s, final epoch loss {stats.final_loss:.4f}")
    echo(f"wrote warm-started model to {out}")
    return out
