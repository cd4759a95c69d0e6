"""GPU check: the sampler and one update step at real model shapes on one CUDA device, in about 8 minutes.

The models are Qwen2.5-0.5B and Qwen2.5-1.5B shaped (`transformers.Qwen2Config` with the published
config values), built with random weights on the device: nothing is downloaded. Per shape:

- **sample_ours / sample_generate.** Generated tokens/s of `siri.policy.sampling.sample` against
  transformers' `generate(do_sample=True)` on a rollout-shaped batch: 16 distinct prompts of random ids
  (380-420 tokens, so left padding is real), each repeated 8 times (a rollout group: our sampler
  prefills a shared prompt once, docs/architecture.md "Performance"), 128 rows, 64 new tokens per row
  (no eos, no stop string, temperature 1, no top-k / top-p on either side). Model in bf16. One warm-up
  call each, then `--repeats` calls alternating ours / generate; tokens/s = rows × new tokens / median
  seconds.
- **update.** A representative training step (not the project's update path, which needs rollouts):
  forward and backward of the causal LM loss on 128 rows × 464 tokens (prompt + response) in
  micro-batches of 8 rows under `torch.autocast(bfloat16)` with fp32 master weights, then one AdamW
  step. One warm-up step, then `--update-steps` timed steps. If it runs out of memory it is retried
  once with gradient checkpointing (`--gradient-checkpointing auto`, recorded in the JSON).

Model-FLOPs utilization of the update: MFU = F × tokens/s ÷ P, where P is a bf16 matmul rate measured
here (an 8192³ bf16 matmul timed with CUDA events over 20 calls after 5 warm-up calls) and F the
training FLOPs per token:

- `mfu`: F = 6·N, N = every parameter counted once (with tied embeddings the one matrix is both the
  input embedding, a lookup, and the lm head, a matmul, so N = non-embedding parameters + lm head);
  2·N per token forward and 4·N backward. Gradient checkpointing's recomputed forward is not counted.
- `mfu_attn`: F = 6·N + 12·L·H·S, adding the attention score and value products (L layers, hidden H,
  sequence S, counted over the full S×S square although the causal mask skips about half of it).

Peak memory is `torch.cuda.max_memory_allocated`, reset before each section. An out-of-memory error
is caught per section and reported instead of the numbers; the 1.5B shape is skipped when the 0.5B
one took more than half of `--budget-s`. Prints progress with elapsed seconds, a markdown table, and
writes JSON to `--out`. `--tiny`: a tiny shape and batch that runs on CPU in seconds (timed with
`time.perf_counter`, memory n/a), so the script itself can be tested without a GPU.

    python benchmarks/gpu_check.py --out $OUT/gpu_check.json [--budget-s 480 --shapes 0.5b 1.5b]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch
import transformers
from transformers import AutoModelForCausalLM, PreTrainedModel, Qwen2Config

from siri.policy.forward import left_pad
from siri.policy.sampling import sample

RESULTS = Path(__file__).parent / "results" / "gpu_check.json"

# Published config values of Qwen2.5-0.5B(-Instruct) and Qwen2.5-1.5B(-Instruct) (their config.json).
SHAPES: dict[str, dict] = {
    "0.5b": dict(hidden_size=896, num_hidden_layers=24, num_attention_heads=14, num_key_value_heads=2,
                 intermediate_size=4864, vocab_size=151936, tie_word_embeddings=True, rope_theta=1000000.0,
                 max_position_embeddings=32768, rms_norm_eps=1e-6),
    "1.5b": dict(hidden_size=1536, num_hidden_layers=28, num_attention_heads=12, num_key_value_heads=2,
                 intermediate_size=8960, vocab_size=151936, tie_word_embeddings=True, rope_theta=1000000.0,
                 max_position_embeddings=32768, rms_norm_eps=1e-6),
    # not a real model: small enough to run every section on CPU in seconds (--tiny)
    "tiny": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                 intermediate_size=128, vocab_size=1000, tie_word_embeddings=True, rope_theta=1000000.0,
                 max_position_embeddings=512, rms_norm_eps=1e-6),
}
FIRST_ID = 8  # prompt ids start here (low ids are special tokens in real vocabularies); 0 pads


@dataclass(frozen=True)
class Workload:
    """The batch of both sections: `distinct` prompts × `copies` rows, prompt_len ± spread tokens."""

    distinct: int = 16
    copies: int = 8
    prompt_len: int = 400
    spread: int = 20
    new_tokens: int = 64
    micro_batch: int = 8
    matmul_n: int = 8192

    @property
    def rows(self) -> int:
        return self.distinct * self.copies

    @property
    def seq(self) -> int:
        return self.prompt_len + self.new_tokens


FULL = Workload()
TINY = Workload(distinct=4, copies=2, prompt_len=40, spread=4, new_tokens=8, micro_batch=4, matmul_n=256)


class Clock:
    """Elapsed seconds since the start, and progress lines that show them (flushed: output is piped)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def log(self, msg: str) -> None:
        print(f"[{self.elapsed():7.1f}s] {msg}", flush=True)


def train_flops_per_token(n_params: int, layers: int, hidden: int, seq: int, attention: bool) -> int:
    """6·N (2·N forward, 4·N backward), plus 12·L·H·S for attention's two S×S products when asked."""
    return 6 * n_params + (12 * layers * hidden * seq if attention else 0)


def n_params(model: torch.nn.Module) -> int:
    """Every parameter once (`parameters()` yields a tied embedding / lm head matrix once)."""
    return sum(p.numel() for p in model.parameters())


def build_model(shape: str, device: torch.device, dtype: torch.dtype, seed: int) -> PreTrainedModel:
    """Random init from the config alone, allocated directly on `device`."""
    torch.manual_seed(seed)
    with device:
        return AutoModelForCausalLM.from_config(Qwen2Config(**SHAPES[shape]), dtype=dtype)


def make_prompts(wl: Workload, vocab: int, seed: int) -> list[list[int]]:
    """`wl.distinct` random prompts, each repeated `wl.copies` times in a row (one rollout group)."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(wl.prompt_len - wl.spread, wl.prompt_len + wl.spread + 1, (wl.distinct,), generator=g)
    base = [torch.randint(FIRST_ID, vocab, (int(n),), generator=g).tolist() for n in lengths]
    return [p for p in base for _ in range(wl.copies)]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_gib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None


def matmul_peak(device: torch.device, n: int, warmup: int = 5, iters: int = 20) -> dict:
    """bf16 matmul rate of an n³ product: CUDA events on a GPU, `time.perf_counter` on CPU."""
    a = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=device, dtype=torch.bfloat16)
    for _ in range(warmup):
        a @ b
    sync(device)
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(iters):
            a @ b
        end.record()
        end.synchronize()
        seconds, timer = start.elapsed_time(end) / 1e3, "cuda events"
    else:
        t0 = time.perf_counter()
        for _ in range(iters):
            a @ b
        seconds, timer = time.perf_counter() - t0, "perf_counter"
    return {"n": n, "dtype": "bfloat16", "iters": iters, "seconds": seconds, "timer": timer,
            "flops_per_s": 2 * n**3 * iters / seconds}


def run_ours(model: PreTrainedModel, prompts: list[list[int]], wl: Workload, seed: int) -> int:
    out = sample(model, prompts, max_new_tokens=wl.new_tokens, temperature=1.0, top_p=1.0, stop=(),
                 eos_token_id=None, pad_token_id=0, seed=seed)
    return out.num_tokens


def run_generate(model: PreTrainedModel, prompts: list[list[int]], wl: Workload, seed: int) -> int:
    device = next(model.parameters()).device
    ids, mask = left_pad(prompts, 0, device)
    torch.manual_seed(seed)
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=mask, do_sample=True, max_new_tokens=wl.new_tokens,
                             min_new_tokens=wl.new_tokens, pad_token_id=0, eos_token_id=None,
                             temperature=1.0, top_p=1.0, top_k=0)
    return (out.shape[1] - ids.shape[1]) * len(prompts)


SAMPLERS: dict[str, Callable[[PreTrainedModel, list[list[int]], Workload, int], int]] = {
    "sample_ours": run_ours, "sample_generate": run_generate}


def sampling_sections(shape: str, wl: Workload, device: torch.device, repeats: int, clock: Clock) -> dict:
    """Both samplers on one bf16 model: a warm-up call each, then `repeats` calls alternating."""
    reset_peak(device)
    model = build_model(shape, device, torch.bfloat16, seed=0)
    prompts = make_prompts(wl, model.config.vocab_size, seed=0)
    seconds: dict[str, list[float]] = {name: [] for name in SAMPLERS}
    tokens: dict[str, int] = {}
    for r in range(repeats + 1):
        for name, fn in SAMPLERS.items():
            sync(device)
            t0 = time.perf_counter()
            tokens[name] = fn(model, prompts, wl, r)
            sync(device)
            if r:  # call 0 is the warm-up
                seconds[name].append(time.perf_counter() - t0)
            clock.log(f"{shape} {name} {'warm-up' if r == 0 else f'repeat {r}'}: "
                      f"{tokens[name]} tokens in {time.perf_counter() - t0:.2f} s")
    expected = wl.rows * wl.new_tokens
    if any(t != expected for t in tokens.values()):
        raise RuntimeError(f"generated token counts {tokens} differ from rows × new tokens = {expected}")
    peak = peak_gib(device)
    del model
    out = {}
    for name in SAMPLERS:
        median = statistics.median(seconds[name])
        out[name] = {"tokens": tokens[name], "rows": wl.rows, "distinct_prompts": wl.distinct,
                     "prompt_lengths": sorted({len(p) for p in prompts}), "seconds": seconds[name],
                     "tokens_per_s": tokens[name] / median, "peak_gib": peak}
    out["sample_ours"]["ratio_vs_generate"] = out["sample_ours"]["tokens_per_s"] / out["sample_generate"]["tokens_per_s"]
    return out


def update_section(shape: str, wl: Workload, device: torch.device, steps: int, checkpointing: bool,
                   peak_flops: float, clock: Clock) -> dict:
    """Forward + backward over every micro-batch under bf16 autocast (fp32 weights), then AdamW."""
    reset_peak(device)
    model = build_model(shape, device, torch.float32, seed=0)
    model.train()
    if checkpointing:
        model.gradient_checkpointing_enable()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-6, fused=device.type == "cuda")
    g = torch.Generator(device=device).manual_seed(0)
    ids = torch.randint(FIRST_ID, model.config.vocab_size, (wl.rows, wl.seq), device=device, generator=g)
    chunks = ids.split(wl.micro_batch)

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for mb in chunks:
            with torch.autocast(device.type, dtype=torch.bfloat16):
                loss = model(input_ids=mb, labels=mb, use_cache=False).loss / len(chunks)
            loss.backward()
            total += loss.detach()
        opt.step()
        return float(total)

    seconds = []
    for s in range(steps + 1):
        sync(device)
        t0 = time.perf_counter()
        loss = step()
        sync(device)
        if s:  # step 0 is the warm-up
            seconds.append(time.perf_counter() - t0)
        clock.log(f"{shape} update {'warm-up' if s == 0 else f'step {s}'}: loss {loss:.3f} "
                  f"in {time.perf_counter() - t0:.2f} s")
    cfg, n = model.config, n_params(model)
    peak = peak_gib(device)
    del model, opt
    tokens_per_s = wl.rows * wl.seq / statistics.median(seconds)
    flops = {a: train_flops_per_token(n, cfg.num_hidden_layers, cfg.hidden_size, wl.seq, a) for a in (False, True)}
    return {"tokens_per_step": wl.rows * wl.seq, "rows": wl.rows, "seq": wl.seq, "micro_batch": wl.micro_batch,
            "gradient_checkpointing": checkpointing, "seconds": seconds, "tokens_per_s": tokens_per_s,
            "flops_per_token": flops[False], "flops_per_token_attn": flops[True],
            "mfu": flops[False] * tokens_per_s / peak_flops, "mfu_attn": flops[True] * tokens_per_s / peak_flops,
            "peak_gib": peak}


def guarded(name: str, fn: Callable[[], dict], device: torch.device, clock: Clock) -> dict:
    """Run one section; an out-of-memory error (or any other) becomes its result instead of a crash."""
    try:
        return fn()
    except torch.OutOfMemoryError as e:
        clock.log(f"{name}: out of memory ({str(e).splitlines()[0]})")
        result = {"oom": str(e).splitlines()[0], "peak_gib": peak_gib(device)}
    except Exception as e:  # a one-shot run on a borrowed GPU: record it and go on to the next section
        traceback.print_exc()
        clock.log(f"{name}: failed: {type(e).__name__}: {e}")
        result = {"error": f"{type(e).__name__}: {e}"}
    reset_peak(device)
    return result


def check_shape(shape: str, wl: Workload, device: torch.device, args: argparse.Namespace, peak_flops: float,
                clock: Clock) -> dict:
    """Every section of one shape; the update is retried with gradient checkpointing after an OOM."""
    with torch.device("meta"):
        params = n_params(AutoModelForCausalLM.from_config(Qwen2Config(**SHAPES[shape])))
    clock.log(f"shape {shape}: {params:,} parameters")
    result: dict = {"config": SHAPES[shape], "n_params": params, "sections": {}}
    sampled = guarded(f"{shape} sampling", lambda: sampling_sections(shape, wl, device, args.repeats, clock),
                      device, clock)
    if set(sampled) == set(SAMPLERS):
        result["sections"].update(sampled)
    else:
        result["sections"].update({name: sampled for name in SAMPLERS})
    checkpointing = args.gradient_checkpointing == "on"
    update = guarded(f"{shape} update", lambda: update_section(shape, wl, device, args.update_steps, checkpointing,
                                                               peak_flops, clock), device, clock)
    if "oom" in update and args.gradient_checkpointing == "auto":
        clock.log(f"{shape} update: retrying with gradient checkpointing")
        update = guarded(f"{shape} update", lambda: update_section(shape, wl, device, args.update_steps, True,
                                                                   peak_flops, clock), device, clock)
    result["sections"]["update"] = update
    return result


def table(shapes: dict) -> str:
    """One markdown row per shape and section."""
    lines = ["| model shape | section | tokens/s | MFU (6N) | MFU (6N + attn) | peak memory GiB |",
             "|---|---|---|---|---|---|"]
    for shape, res in shapes.items():
        if "skipped" in res:
            lines.append(f"| {shape} | all | skipped: {res['skipped']} | | | |")
            continue
        for name, sec in res["sections"].items():
            if "tokens_per_s" not in sec:
                lines.append(f"| {shape} | {name} | {'OOM' if 'oom' in sec else sec.get('error', '?')} | | | |")
                continue
            mfu = f"{sec['mfu']:.1%}" if "mfu" in sec else ""
            mfu_attn = f"{sec['mfu_attn']:.1%}" if "mfu_attn" in sec else ""
            peak = f"{sec['peak_gib']:.2f}" if sec.get("peak_gib") is not None else "n/a"
            ratio = f" ({sec['ratio_vs_generate']:.2f}× generate)" if "ratio_vs_generate" in sec else ""
            gc_note = " (grad. checkpointing)" if sec.get("gradient_checkpointing") else ""
            lines.append(f"| {shape} | {name}{gc_note} | {sec['tokens_per_s']:,.0f}{ratio} | {mfu} | {mfu_attn} "
                         f"| {peak} |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--budget-s", type=float, default=480.0,
                        help="skip the shapes after the first when it took more than half of this")
    parser.add_argument("--shapes", nargs="+", choices=["0.5b", "1.5b"], default=["0.5b", "1.5b"])
    parser.add_argument("--tiny", action="store_true", help="a tiny shape and batch (runs on CPU in seconds)")
    parser.add_argument("--repeats", type=int, default=2, help="timed sampler calls each, after one warm-up")
    parser.add_argument("--update-steps", type=int, default=2, help="timed update steps, after one warm-up")
    parser.add_argument("--gradient-checkpointing", choices=["auto", "on", "off"], default="auto",
                        help="auto: only when the update runs out of memory without it")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.update_steps < 1:
        parser.error("--repeats and --update-steps must be >= 1")
    device = torch.device(args.device)
    if device.type == "cpu" and not args.tiny:
        parser.error("--device cpu runs only with --tiny (the real shapes need a CUDA device)")
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: no CUDA device is available (use --tiny --device cpu)")
    if device.type not in ("cpu", "cuda"):
        parser.error(f"--device {args.device}: allowed are cuda, cuda:N and cpu")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Exit status 0 when every section ran or ran out of memory; 1 when one failed otherwise."""
    args = parse_args(argv)
    clock, device = Clock(), torch.device(args.device)
    wl, shapes = (TINY, ["tiny"]) if args.tiny else (FULL, args.shapes)
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    clock.log(f"gpu check on {gpu or 'cpu'}: shapes {shapes}, budget {args.budget_s:.0f} s, torch {torch.__version__}")
    peak = matmul_peak(device, wl.matmul_n)
    clock.log(f"bf16 matmul {wl.matmul_n}³: {peak['flops_per_s'] / 1e12:.1f} TFLOP/s ({peak['timer']})")
    results: dict[str, dict] = {}
    for i, shape in enumerate(shapes):
        if i and clock.elapsed() > args.budget_s / 2:
            results[shape] = {"skipped": f"{clock.elapsed():.0f} s elapsed > half the budget ({args.budget_s:.0f} s)"}
            clock.log(f"shape {shape}: {results[shape]['skipped']}")
            continue
        results[shape] = check_shape(shape, wl, device, args, peak["flops_per_s"], clock)
    report = {
        "env": {"torch": torch.__version__, "transformers": transformers.__version__,
                "python": platform.python_version(), "device": args.device, "gpu": gpu,
                "cuda": torch.version.cuda},
        "workload": asdict(wl), "budget_s": args.budget_s, "elapsed_s": clock.elapsed(), "matmul": peak,
        "shapes": results,
    }
    print("\n" + table(results) + "\n", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    clock.log(f"wrote {args.out}")
    failed = [f"{s}/{n}" for s, r in results.items() for n, sec in r.get("sections", {}).items() if "error" in sec]
    if failed:
        print(f"failed sections: {', '.join(failed)}", file=sys.stderr, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
