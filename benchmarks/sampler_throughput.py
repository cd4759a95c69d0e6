"""Sampler throughput: `siri.policy.sample` vs transformers' `model.generate(do_sample=True)`.

Same model (a tiny preset, random init), same left-padded batch of prompts, same number of new tokens
for every row (no eos, no stop string, no top-k/top-p on either side), generated tokens per second
(wall clock and per CPU-second, the latter less sensitive to other processes on shared cores),
median over a few repeats after a warm-up, the samplers alternating run by run. Two cases: groups (the
batch is batch/group distinct prompts, each repeated `group` times, as in a rollout) and distinct prompts.
Our sampler also runs with its decode savings off (docs/architecture.md "Performance"), for the before /
after. Prints a table, writes benchmarks/results/sampler_throughput.json, and ends with `ratio: X.XX`,
our tokens/s over generate's on groups.

    .venv/bin/python benchmarks/sampler_throughput.py [--quick] [--batch 32 --prompt-len 400 --new-tokens 32]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch
from transformers import GenerationConfig

from siri.policy import init_model, load_policy, sample
from siri.policy.sampling import DecodeOptions
from siri.policy.forward import left_pad

RESULTS = Path(__file__).parent / "results" / "sampler_throughput.json"
FALLBACK_TEXTS = [
    "You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a countertop 1, "
    "a fridge 1, a sinkbasin 1 and a microwave 1. Your task is to: put a clean apple in fridge.",
    "<think>The apple is on the countertop.</think><action>go to countertop 1</action>",
    "Search results: [B07XYZ] red cotton shirt, $12.99 [Next >] #### ## @ $ push box left",
] * 50


def corpus_texts():
    try:
        from siri.envs.corpus import iter_corpus_texts
    except ImportError:
        return FALLBACK_TEXTS, "fallback list (siri.envs.corpus not available)"
    return iter_corpus_texts(), "siri.envs.corpus"


def make_prompts(vocab: int, batch: int, length: int, seed: int, distinct: int = 0) -> list[list[int]]:
    """Random ids (skipping the first 8 ids: special tokens), lengths length±10% so padding is real.

    `distinct` > 0: only that many different prompts, each repeated (rollout groups share a prompt).
    """
    g = torch.Generator().manual_seed(seed)
    n_distinct = distinct or batch
    lengths = torch.randint(int(length * 0.9), int(length * 1.1) + 1, (n_distinct,), generator=g).tolist()
    base = [torch.randint(8, vocab, (n,), generator=g).tolist() for n in lengths]
    return [base[i % n_distinct] for i in range(batch)]


def time_ours(model, prompts, new_tokens, seed, decode: DecodeOptions = DecodeOptions()) -> tuple[float, float, int]:
    start, cpu = time.perf_counter(), time.process_time()
    out = sample(model, prompts, max_new_tokens=new_tokens, temperature=1.0, top_p=1.0, stop=(),
                 eos_token_id=None, pad_token_id=0, seed=seed, decode=decode)
    _sync(model)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert all(len(ids) == new_tokens for ids in out.ids)
    return elapsed, cpu, out.num_tokens


def time_ours_savings_off(model, prompts, new_tokens, seed) -> tuple[float, float, int]:
    """Our sampler with its decode savings switched off (transformers' DynamicCache, noise over the
    vocabulary, every prompt prefilled in full)."""
    return time_ours(model, prompts, new_tokens, seed,
                     DecodeOptions(preallocate=False, inverse_cdf=False, share_prefixes=False))


def time_hf(model, prompts, new_tokens, seed) -> tuple[float, float, int]:
    device = next(model.parameters()).device
    ids, mask = left_pad(prompts, 0, device)
    config = GenerationConfig(do_sample=True, max_new_tokens=new_tokens, temperature=1.0, top_p=1.0, top_k=0,
                              eos_token_id=None, pad_token_id=0)
    torch.manual_seed(seed)
    start, cpu = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=mask, generation_config=config)
    _sync(model)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    generated = out.shape[1] - ids.shape[1]
    assert generated == new_tokens
    return elapsed, cpu, generated * len(prompts)


def _sync(model) -> None:
    if next(model.parameters()).device.type == "cuda":
        torch.cuda.synchronize()


def bench(model, prompts, new_tokens, repeats) -> dict[str, dict]:
    """Warm both up, then alternate them run by run so load from other processes hits both alike."""
    fns = {"ours": time_ours, "ours_savings_off": time_ours_savings_off, "hf_generate": time_hf}
    for fn in fns.values():
        fn(model, prompts, new_tokens, 0)
    runs: dict[str, list] = {name: [] for name in fns}
    for r in range(repeats):
        for name, fn in fns.items():
            runs[name].append(fn(model, prompts, new_tokens, r + 1))
    return {name: _summary(rs) for name, rs in runs.items()}


def _summary(runs: list[tuple[float, float, int]]) -> dict:
    wall = statistics.median(t for t, _, _ in runs)
    cpu = statistics.median(c for _, c, _ in runs)
    tokens = runs[0][2]
    return {
        "tokens": tokens,
        "wall_s_median": wall,
        "wall_s_all": [t for t, _, _ in runs],
        "cpu_s_median": cpu,
        "tokens_per_s": tokens / wall,
        "tokens_per_cpu_s": tokens / cpu,
    }


NAMES = {"ours": "siri.policy.sample", "ours_savings_off": "  decode savings off", "hf_generate": "HF generate"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--prompt-len", type=int, default=400)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--group", type=int, default=8, help="rollouts per group (copies of one prompt)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one repeat (well under 2 minutes)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0 = torch default)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.quick:
        args.repeats = 1
    if args.threads:
        torch.set_num_threads(args.threads)

    texts, text_source = corpus_texts()
    with tempfile.TemporaryDirectory() as tmp:
        path = init_model(args.preset, Path(tmp) / "model", texts=texts, seed=0)
        model, tokenizer = load_policy(path, device=args.device, dtype=args.dtype)
    cases = {"groups": max(args.batch // args.group, 1), "distinct": args.batch}
    print(f"\nsampler throughput: preset={args.preset} device={args.device} dtype={args.dtype} batch={args.batch} "
          f"prompt~{args.prompt_len} new={args.new_tokens} threads={torch.get_num_threads()} repeats={args.repeats}")
    print(f"{'case':<10}{'sampler':<24}{'tokens':>8}{'wall s':>9}{'tokens/s':>10}{'cpu s':>8}{'tokens/cpu-s':>14}"
          f"{'vs HF':>8}")
    results: dict[str, dict] = {}
    for case, distinct in cases.items():
        prompts = make_prompts(len(tokenizer), args.batch, args.prompt_len, seed=0, distinct=distinct)
        runs = bench(model, prompts, args.new_tokens, args.repeats)
        hf = runs["hf_generate"]
        for name, r in runs.items():
            r["ratio_vs_hf"] = r["tokens_per_s"] / hf["tokens_per_s"]
            print(f"{case:<10}{NAMES[name]:<24}{r['tokens']:>8}{r['wall_s_median']:>9.3f}{r['tokens_per_s']:>10.1f}"
                  f"{r['cpu_s_median']:>8.3f}{r['tokens_per_cpu_s']:>14.1f}{r['ratio_vs_hf']:>7.2f}x")
        results[case] = {"distinct_prompts": distinct, "prompt_lengths": [len(p) for p in prompts], **runs}
    result = {
        "config": {**{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                   "torch_threads": torch.get_num_threads(), "tokenizer_texts": text_source,
                   "vocab": len(tokenizer)},
        "env": {"torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine(),
                "cuda": torch.cuda.get_device_name() if args.device.startswith("cuda") else None},
        "cases": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    print(f"ratio: {results['groups']['ours']['ratio_vs_hf']:.2f}")


if __name__ == "__main__":
    main()
