"""One `siri train` iteration, phase by phase, with every saving of docs/architecture.md "Performance"
switched off (the behaviour before them) and on, on the same rows.

The savings: `threads` (every core instead of one), `sort` (micro-batches of similar lengths),
`share` (shared prompt prefixes computed once: in the sampler's prefill, in reference scoring and in
the update), `decode` (preallocated KV cache and one uniform per row and step). One rollout with everything on gives the
rows; then each configuration, alternating run by run, times on those rows:
- generation: the rollout again from the same seeds and generator state (with `decode` off the draws
  differ, so its rows differ too: its time is of the same work in distribution, not in ids);
- reference scoring and the update, from the same weights and optimizer state.

Tokens processed are counted at the model's input (padded positions and real ones), and utilization
is the model's matmul FLOPs (2 per parameter per token forward, 4 backward) over the time, against a
matmul rate measured here at the same thread count. The last line is `ratio: X.XX`, the iteration
time with every saving off / with every saving on.

    .venv/bin/python benchmarks/iteration_breakdown.py --model runs/household_tiny/model [--repeats 3]
    .venv/bin/python benchmarks/iteration_breakdown.py --quick      # under 2 minutes, builds its own model
    .venv/bin/python benchmarks/iteration_breakdown.py --model M --each   # also each saving off alone
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from siri.config import load_config
from siri.policy.loading import load_policy
from siri.policy.sampling import DecodeOptions
from siri.policy.scoring import score
from siri.rollout.engine import RolloutEngine
from siri.train.loop import group_seeds, train_settings, update_settings
from siri.train.methods.base import MethodContext
from siri.train.methods.registry import make_method
from siri.train.update import policy_update

RESULTS = Path(__file__).parent / "results" / "iteration_breakdown.json"
SAVINGS = ("threads", "sort", "share", "decode")


@dataclass(frozen=True)
class Setting:
    name: str
    off: frozenset[str]  # savings switched off

    def on(self, saving: str) -> bool:
        return saving not in self.off


class TokenCounter:
    """Counts the positions each forward pass computes: all of them (padded) and the real ones."""

    def __init__(self, model: torch.nn.Module):
        self.padded = self.real = 0
        self.handle = model.register_forward_pre_hook(self._hook, with_kwargs=True)

    def _hook(self, _module, args, kwargs):
        ids = kwargs.get("input_ids", args[0] if args else None)
        mask = kwargs.get("attention_mask")
        self.padded += ids.numel()
        self.real += int(mask[:, -ids.shape[1]:].sum()) if mask is not None else ids.numel()

    def take(self) -> tuple[int, int]:
        out = (self.padded, self.real)
        self.padded = self.real = 0
        return out


def matmul_gflops(threads: int, seconds: float = 1.0) -> float:
    """fp32 matmul rate at the model's shapes (8192 tokens × hidden 128 -> 384), GFLOP/s."""
    torch.set_num_threads(threads)
    a, b = torch.randn(8192, 128), torch.randn(128, 384)
    for _ in range(5):
        a @ b
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        n += 1
    return 2 * 8192 * 128 * 384 * n / (time.perf_counter() - start) / 1e9


def quick_model(work: Path, config: str) -> Path:
    """A briefly warm-started tiny model (demonstrations only), so responses look like actions."""
    from siri.policy.presets import init_model
    from siri.sft.run import run_sft

    base = init_model("tiny", work / "tiny", seed=0)
    cfg = load_config(config, [f"model.path={base}", f"run.out_dir={work}", "run.name=sft", "run.progress=false",
                               "sft.kinds=[demo]", "sft.episodes=150", "eval.episodes=2",
                               "eval.batch_episodes=2"])
    return run_sft(cfg, echo=lambda _m: None)


class Bench:
    def __init__(self, args):
        overrides = [f"model.path={args.model}", "run.progress=false"]
        if args.groups:
            overrides.append(f"train.groups_per_iter={args.groups}")
        self.cfg = load_config(args.config, overrides)
        self.model, self.tok = load_policy(self.cfg.model.path, "cpu", self.cfg.model.dtype)
        self.ref = copy.deepcopy(self.model).eval().requires_grad_(False)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=self.cfg.train.lr)
        self.start = (copy.deepcopy(self.model.state_dict()), copy.deepcopy(self.opt.state_dict()))
        self.seeds = group_seeds(self.cfg.run.seed, 0, self.cfg.train.groups_per_iter)
        self.counter, self.ref_counter = TokenCounter(self.model), TokenCounter(self.ref)
        self.batch = self.rollout(DecodeOptions())
        self.counter.take()

    def rollout(self, decode: DecodeOptions):
        engine = RolloutEngine(self.model, self.tok, replace(train_settings(self.cfg), decode=decode))
        return engine.run(self.seeds, self.cfg.train.group_size, rng=torch.Generator().manual_seed(self.cfg.run.seed))

    def run(self, s: Setting) -> dict:
        torch.set_num_threads(CORES if s.on("threads") else 1)
        out: dict = {"setting": s.name}
        decode = DecodeOptions(preallocate=s.on("decode"), inverse_cdf=s.on("decode"), share_prefixes=s.on("share"))
        t0 = time.perf_counter()
        gen = self.rollout(decode)
        out["rollout_s"] = time.perf_counter() - t0
        out["generate_s"], out["env_s"] = gen.timings["generate"], gen.timings["env"]
        out["generate_tokens"] = self.counter.take()
        rows = self.batch.rows
        t0 = time.perf_counter()
        with torch.no_grad():
            ref = score(self.ref, [r.prompt_ids for r in rows], [r.response_ids for r in rows],
                        temperature=update_settings(self.cfg).temperature,
                        batch_size=self.cfg.train.micro_batch_rows, share_prefixes=s.on("share"))
        out["scoring_s"] = time.perf_counter() - t0
        out["scoring_tokens"] = self.ref_counter.take()
        self.model.load_state_dict(self.start[0])
        self.opt.load_state_dict(self.start[1])
        t0 = time.perf_counter()
        ctx = MethodContext(cfg=self.cfg, iteration=0, ref_logprobs=[lp.tolist() for lp in ref], model=self.model,
                            tokenizer=self.tok)
        prepared = make_method(self.cfg).prepare(self.batch, ctx)
        out["prepare_s"] = time.perf_counter() - t0
        settings = replace(update_settings(self.cfg), sort_by_length=s.on("sort"), share_prefixes=s.on("share"))
        t0 = time.perf_counter()
        policy_update(self.model, self.opt, prepared.rows, prepared.plan, settings, self.tok.pad_token_id,
                      torch.Generator().manual_seed(self.cfg.run.seed))
        out["update_s"] = time.perf_counter() - t0
        out["update_tokens"] = self.counter.take()
        out["iteration_s"] = out["rollout_s"] + out["scoring_s"] + out["prepare_s"] + out["update_s"]
        return out



CORES = torch.get_num_threads()  # torch's default: one per core


def utilization(row: dict, params: int, gflops: float) -> dict:
    """Model matmul FLOPs over time against the measured rate, per phase."""
    util = {}
    for phase, mult in (("scoring", 2), ("update", 6)):
        padded, _ = row[f"{phase}_tokens"]
        util[phase] = mult * params * padded / row[f"{phase}_s"] / 1e9 / gflops
    return util


def table(results: list[dict], rows_info: dict) -> None:
    cols = ["generate_s", "env_s", "scoring_s", "prepare_s", "update_s", "iteration_s"]
    print(f"rows {rows_info['rows']}, prompt tokens {rows_info['prompt_tokens']}, "
          f"response tokens {rows_info['response_tokens']}")
    print(f"{'setting':<16}" + "".join(f"{c[:-2]:>11}" for c in cols) + f"{'score tok pad/real':>22}"
          + f"{'update tok pad/real':>22}{'util s/u':>11}")
    for r in results:
        sp, sr = r["scoring_tokens"]
        up, ur = r["update_tokens"]
        print(f"{r['setting']:<16}" + "".join(f"{r[c]:>11.2f}" for c in cols) + f"{sp:>12}/{sr:<9}"
              + f"{up:>12}/{ur:<9}" + f"{r['util']['scoring']:>5.0%}/{r['util']['update']:<4.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="a warm-started policy (default: a quick demo-only SFT)")
    parser.add_argument("--config", default="household_tiny")
    parser.add_argument("--repeats", type=int, default=3, help="runs per setting (median reported)")
    parser.add_argument("--groups", type=int, default=0, help="groups per iteration (0: the config's)")
    parser.add_argument("--each", action="store_true", help="also measure each saving switched off alone")
    parser.add_argument("--quick", action="store_true", help="2 groups, 1 repeat, a quick model: under 2 minutes")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.groups = 1, args.groups or 2
    with tempfile.TemporaryDirectory() as work:
        if args.model is None:
            args.model = quick_model(Path(work), args.config)
        bench = Bench(args)
        settings = [Setting("all off", frozenset(SAVINGS)), Setting("all on", frozenset())]
        if args.each:
            settings += [Setting(f"{x} off", frozenset({x})) for x in SAVINGS]
        runs: dict[str, list[dict]] = {s.name: [] for s in settings}
        for _ in range(args.repeats):
            for s in settings:
                runs[s.name].append(bench.run(s))
    params = sum(p.numel() for n, p in bench.model.named_parameters() if "embed" not in n)
    rates = {1: matmul_gflops(1), CORES: matmul_gflops(CORES)}
    results = []
    for s in settings:
        med = {k: statistics.median(r[k] for r in runs[s.name]) for k in runs[s.name][0] if k.endswith("_s")}
        row = {"setting": s.name, **med, **{k: runs[s.name][0][k] for k in runs[s.name][0] if k.endswith("_tokens")}}
        row["util"] = utilization(row, params, rates[CORES if s.on("threads") else 1])
        results.append(row)
    rows = bench.batch.rows
    info = {"rows": len(rows), "prompt_tokens": sum(len(r.prompt_ids) for r in rows),
            "response_tokens": sum(len(r.response_ids) for r in rows), "cores": CORES,
            "matmul_gflops": rates, "repeats": args.repeats, "config": args.config}
    table(results, info)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"info": info, "results": results, "runs": runs}, indent=1, default=str))
    off, on = results[0]["iteration_s"], results[1]["iteration_s"]
    print(f"wrote {args.out}")
    print(f"ratio: {off / on:.2f}")


if __name__ == "__main__":
    main()
