"""Probe a (warm-started) policy: held-out success on eval seeds, with a minimal lock-step loop.

Why a separate loop: this script only checks what `siri sft` produced (is the policy "competent but far
from perfect", docs/architecture.md "Models"); the real evaluation is `siri eval`. Prompts are built as the
rollout builds them (agent.build_prompt with the config's history/think; chat template), responses are
sampled with the project sampler (stop at `</action>`) and parsed by agent.parse_response.

    .venv/bin/python benchmarks/sft_probe.py --config configs/household_tiny.yaml \
        --model runs/household_tiny_sft/model --episodes 100 --temperature 0.4

Prints a table and writes JSON (default benchmarks/results/sft_probe.json).
"""

from __future__ import annotations

import argparse
import collections
import json
import time
from pathlib import Path

import torch

from siri.agent import build_prompt, parse_response
from siri.config import load_config
from siri.envs import make_env
from siri.policy.loading import chat_prompt_ids, eos_token_ids, load_policy
from siri.policy.sampling import sample


def play(model, tok, cfg, split: str, episodes: int, temperature: float, seed: int) -> list[dict]:
    """One trajectory per seed 0..episodes-1 of `split`, all in lock step; returns per-episode records."""
    envs = [make_env(cfg.env.name, split=split, max_steps=cfg.env.max_steps, **cfg.env.options) for _ in range(episodes)]
    last = [env.reset(s) for s, env in enumerate(envs)]
    history: list[list[tuple[str, str]]] = [[] for _ in envs]
    invalid = [0] * episodes
    eos = eos_token_ids(model, tok)
    gen = torch.Generator().manual_seed(seed)
    while True:
        active = [i for i in range(episodes) if not last[i].done]
        if not active:
            break
        prompts = [chat_prompt_ids(tok, build_prompt(
            cfg.env.name, task=last[i].task, observation=last[i].observation,
            admissible=last[i].admissible_actions, history=history[i], step=len(history[i]),
            think=cfg.env.think, history_len=cfg.env.history)) for i in active]
        out = sample(model, prompts, max_new_tokens=cfg.sampling.max_new_tokens, temperature=temperature,
                     stop=("</action>",), tokenizer=tok, eos_token_id=eos, pad_token_id=tok.pad_token_id,
                     rng=gen)
        for i, smp in zip(active, out):
            parsed = parse_response(tok.decode(smp.ids, skip_special_tokens=False), cfg.env.name, cfg.env.think)
            invalid[i] += not parsed.valid
            history[i].append((last[i].observation, parsed.action))
            last[i] = envs[i].step(parsed.action)
    return [{"seed": s, "task_type": r.task_type, "won": r.won, "steps": len(h), "invalid": n}
            for s, (r, h, n) in enumerate(zip(last, history, invalid))]


def summarize(records: list[dict]) -> dict:
    by_type: dict[str, list[bool]] = collections.defaultdict(list)
    for r in records:
        by_type[r["task_type"]].append(r["won"])
    steps = sum(r["steps"] for r in records)
    return {
        "episodes": len(records),
        "success": sum(r["won"] for r in records) / len(records),
        "mean_steps": steps / len(records),
        "invalid_ratio": sum(r["invalid"] for r in records) / max(steps, 1),
        "by_task_type": {k: {"n": len(v), "success": sum(v) / len(v)} for k, v in sorted(by_type.items())},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=None)
    ap.add_argument("--model", required=True)
    ap.add_argument("--split", default="eval")
    ap.add_argument("--episodes", type=int, default=100)
    ap.add_argument("--temperature", type=float, default=0.4, help="0 = greedy")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is fastest on shared cores)")
    ap.add_argument("--out", default="benchmarks/results/sft_probe.json")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()
    cfg = load_config(args.config, args.overrides)
    torch.set_num_threads(args.threads)
    model, tok = load_policy(args.model, device="cpu")
    start = time.perf_counter()
    records = play(model, tok, cfg, args.split, args.episodes, args.temperature, args.seed)
    summary = summarize(records) | {"model": args.model, "split": args.split, "temperature": args.temperature,
                                    "max_steps": cfg.env.max_steps, "seconds": round(time.perf_counter() - start, 1)}
    print(f"{'task type':36s} {'n':>4s} {'success':>8s}")
    for k, v in summary["by_task_type"].items():
        print(f"{k:36s} {v['n']:4d} {v['success']:8.2f}")
    print(f"{'all':36s} {summary['episodes']:4d} {summary['success']:8.2f}   mean steps {summary['mean_steps']:.1f}, "
          f"invalid {summary['invalid_ratio']:.2f}, {summary['seconds']}s")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary | {"records": records}, indent=2) + "\n")


if __name__ == "__main__":
    main()
