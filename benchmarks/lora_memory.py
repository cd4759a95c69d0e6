"""Peak memory of one training iteration with and without LoRA (docs/architecture.md "LoRA").

Each setting runs in a fresh process (peak resident memory, `ru_maxrss`, only ever grows, so processes
are not shared): build the `siri train` Trainer on the household_tiny config (2 groups x 4 rollouts,
4 steps, KL reference on) and run one iteration: rollout, reference scoring, update. Reported per
setting: the peak resident memory of the process, its growth over the process after the imports,
and the bytes of the training state counted tensor by tensor: weights, gradients, AdamW state and
the KL reference's separate weights (none under LoRA: the reference is the base with adapters off).
On the tiny preset (1.2M parameters) the process's own memory (Python, torch, tokenizer, envs)
dwarfs the model, so the tensor counts show what LoRA saves; they scale with the model, the rest does
not. Writes benchmarks/results/lora_memory.json. About 40 s on 2 shared cores (each dtype ~20 s more).

    PYTHONPATH=src .venv/bin/python benchmarks/lora_memory.py [--model DIR] [--dtypes float32 bfloat16]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "lora_memory.json"
OVERRIDES = ["train.groups_per_iter=2", "train.group_size=4", "env.max_steps=3", "train.kl_coef=0.01",
             "run.progress=false", "run.threads=1", "run.device=cpu"]


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def tensor_mib(tensors) -> float:
    return sum(t.numel() * t.element_size() for t in tensors) / 2**20


def child(model: str, out_dir: str, dtype: str, rank: int) -> dict:
    """One iteration in this process; the numbers as a dict."""
    import siri.train.loop as loop
    from siri.config import load_config

    cfg = load_config("household_tiny", [*OVERRIDES, f"model.path={model}", f"run.out_dir={out_dir}",
                                         f"run.name={dtype}_r{rank}", f"model.dtype={dtype}", f"model.lora_rank={rank}"])
    start = peak_mib()
    trainer = loop.Trainer(cfg)
    trainer.iteration(0)
    peak = peak_mib()
    params = list(trainer.model.parameters())
    ref = [] if trainer.ref is None or trainer.ref is trainer.model else list(trainer.ref.parameters())
    return {"dtype": dtype, "lora_rank": rank, "peak_rss_mib": round(peak, 1), "growth_mib": round(peak - start, 1),
            "trainable_params": sum(p.numel() for p in params if p.requires_grad),
            "weights_mib": round(tensor_mib(params), 2),
            "grads_mib": round(tensor_mib(p.grad for p in params if p.grad is not None), 2),
            "adamw_state_mib": round(tensor_mib(t for s in trainer.optimizer.state.values() for t in s.values()
                                                if hasattr(t, "numel") and t.dim() > 0), 2),
            "reference_mib": round(tensor_mib(ref), 2)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", help="a model directory (default: build the tiny preset)")
    p.add_argument("--dtypes", nargs="+", default=["float32"], choices=["float32", "bfloat16"],
                   help="model.dtype of each pair of runs (bfloat16: float32 masters for the full model)")
    p.add_argument("--rank", type=int, default=8, help="LoRA rank of the LoRA setting")
    p.add_argument("--child", nargs=4, metavar=("MODEL", "OUT", "DTYPE", "RANK"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        model, out, dtype, rank = args.child
        print(json.dumps(child(model, out, dtype, int(rank))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            from siri.policy.presets import init_model

            model = str(init_model("tiny", Path(tmp) / "tiny", seed=0))
        rows = []
        for dtype in args.dtypes:
            for rank in (0, args.rank):
                res = subprocess.run([sys.executable, __file__, "--child", model, tmp, dtype, str(rank)],
                                     capture_output=True, text=True, check=True)
                rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
    print(f"{'dtype':9} {'lora':>4} {'peak MiB':>9} {'growth':>7} {'trainable':>10} {'weights':>8} {'grads':>7} "
          f"{'adamw':>7} {'ref':>7}   (tensor columns in MiB)")
    for r in rows:
        print(f"{r['dtype']:9} {r['lora_rank']:>4} {r['peak_rss_mib']:>9.1f} {r['growth_mib']:>7.1f} "
              f"{r['trainable_params']:>10} {r['weights_mib']:>8.2f} {r['grads_mib']:>7.2f} "
              f"{r['adamw_state_mib']:>7.2f} {r['reference_mib']:>7.2f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"overrides": OVERRIDES, "rows": rows}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
