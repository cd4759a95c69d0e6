"""benchmarks/gpu_check.py: its --tiny run on CPU, the published shapes' parameter counts, the rollout
batch and the refusal to run the real shapes on CPU. The numbers below are worked out by hand."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"


@pytest.fixture(scope="module")
def gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_check"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules["gpu_check"]


def _params_by_hand(hidden: int, layers: int, heads: int, kv_heads: int, inter: int, vocab: int) -> int:
    kv = kv_heads * hidden // heads
    attn = (hidden * hidden + hidden) + 2 * (hidden * kv + kv) + hidden * hidden  # q, k, v with bias; o without
    return vocab * hidden + layers * (attn + 3 * hidden * inter + 2 * hidden) + hidden  # tied head, final norm


def test_published_shapes_have_their_parameter_counts(gpu_check):
    # Qwen2.5-0.5B: 0.49B parameters, Qwen2.5-1.5B: 1.54B (tied embeddings counted once)
    assert _params_by_hand(896, 24, 14, 2, 4864, 151936) == 494_032_768
    assert _params_by_hand(1536, 28, 12, 2, 8960, 151936) == 1_543_714_304
    for shape, expected in {"0.5b": 494_032_768, "1.5b": 1_543_714_304, "tiny": 138_304}.items():
        with torch.device("meta"):
            model = gpu_check.AutoModelForCausalLM.from_config(gpu_check.Qwen2Config(**gpu_check.SHAPES[shape]))
        assert gpu_check.n_params(model) == expected, shape


def test_rollout_batch_is_16_groups_of_8_identical_prompts(gpu_check):
    prompts = gpu_check.make_prompts(gpu_check.FULL, vocab=151936, seed=0)
    assert len(prompts) == 128
    groups = [prompts[i:i + 8] for i in range(0, 128, 8)]
    assert all(all(p == g[0] for p in g) for g in groups)
    assert len({tuple(g[0]) for g in groups}) == 16
    assert all(380 <= len(p) <= 420 for p in prompts) and len({len(g[0]) for g in groups}) > 1
    assert min(min(p) for p in prompts) >= 8 and max(max(p) for p in prompts) < 151936


def test_training_flops_per_token(gpu_check):
    assert gpu_check.train_flops_per_token(1000, 2, 64, 48, attention=False) == 6000
    assert gpu_check.train_flops_per_token(1000, 2, 64, 48, attention=True) == 6000 + 12 * 2 * 64 * 48


def test_tiny_run_on_cpu_reports_every_section(gpu_check, tmp_path):
    out = tmp_path / "gpu_check.json"
    assert gpu_check.main(["--tiny", "--device", "cpu", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    tiny = report["shapes"]["tiny"]
    assert tiny["n_params"] == 138_304
    sections = tiny["sections"]
    assert set(sections) == {"sample_ours", "sample_generate", "update"}
    assert all(s["tokens_per_s"] > 0 and s["peak_gib"] is None for s in sections.values())
    # 4 prompts x 2 copies = 8 rows, 8 new tokens each, on both samplers
    assert sections["sample_ours"]["tokens"] == sections["sample_generate"]["tokens"] == 8 * 8
    assert sections["sample_ours"]["distinct_prompts"] == 4
    update = sections["update"]
    assert update["tokens_per_step"] == 8 * (40 + 8)
    assert update["flops_per_token"] == 6 * 138_304
    assert update["flops_per_token_attn"] == 6 * 138_304 + 12 * 2 * 64 * 48
    assert update["mfu"] > 0 and update["mfu_attn"] > update["mfu"]
    assert report["matmul"]["timer"] == "perf_counter" and report["matmul"]["flops_per_s"] > 0


def test_real_shapes_refuse_cpu(gpu_check, tmp_path):
    with pytest.raises(SystemExit) as exc:
        gpu_check.main(["--device", "cpu", "--out", str(tmp_path / "x.json")])
    assert exc.value.code == 2
    assert not (tmp_path / "x.json").exists()


def test_out_of_memory_is_reported_and_the_update_retried_with_checkpointing(gpu_check, tmp_path, monkeypatch):
    calls = []

    def update(shape, wl, device, steps, checkpointing, peak_flops, clock):
        calls.append(checkpointing)
        if not checkpointing:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return {"tokens_per_s": 1.0, "mfu": 0.5, "mfu_attn": 0.6, "peak_gib": None, "gradient_checkpointing": True}

    def sampling(*_args):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB")

    monkeypatch.setattr(gpu_check, "update_section", update)
    monkeypatch.setattr(gpu_check, "sampling_sections", sampling)
    out = tmp_path / "gpu_check.json"
    assert gpu_check.main(["--tiny", "--device", "cpu", "--out", str(out)]) == 0
    sections = json.loads(out.read_text())["shapes"]["tiny"]["sections"]
    assert calls == [False, True]
    assert sections["update"]["gradient_checkpointing"] is True
    assert sections["sample_ours"]["oom"] == sections["sample_generate"]["oom"] == \
        "CUDA out of memory. Tried to allocate 9.00 GiB"


def test_a_failing_section_does_not_stop_the_others_but_sets_the_exit_status(gpu_check, tmp_path, monkeypatch):
    def sampling(*_args):
        raise RuntimeError("broken sampler")

    monkeypatch.setattr(gpu_check, "sampling_sections", sampling)
    out = tmp_path / "gpu_check.json"
    assert gpu_check.main(["--tiny", "--device", "cpu", "--out", str(out)]) == 1
    sections = json.loads(out.read_text())["shapes"]["tiny"]["sections"]
    assert sections["sample_ours"]["error"] == "RuntimeError: broken sampler"
    assert sections["update"]["tokens_per_s"] > 0
