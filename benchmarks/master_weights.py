"""What float32 master weights buy under `model.dtype: bfloat16` (docs/architecture.md "Precision").

The same 10 AdamW steps at lr 1e-6 through the project's update (`siri.train.update.policy_update`,
the PPO-clip term on fixed rows) on the tiny preset, three ways: float32 (the reference),
bfloat16 weights stepped in place (`model.master_weights: false`, the path before master weights),
and float32 master weights computing in bfloat16 (the default). Prints, for each, the share of
parameter elements that moved and the share of the elements the float32 run moved that moved too;
writes benchmarks/results/master_weights.json. About 25 s on 2 shared cores.

    .venv/bin/python benchmarks/master_weights.py [--steps 10 --lr 1e-6]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch

from siri.algos.registry import ADVANTAGES, OLD_LOGPROBS
from siri.policy import init_model, load_policy, score
from siri.train.batch import TrainRow
from siri.train.update import LossPlan, UpdateSettings, policy_update

RESULTS = Path(__file__).parent / "results" / "master_weights.json"
TEXTS = [("You are in the middle of a room. Your task is to: put a clean apple in fridge.",
          "<action>go to countertop 1</action>"),
         ("On the countertop 1, you see an apple 1, a knife 2, and a mug 3.", "<action>take apple 1</action>"),
         ("#### ## @ $ ## . #### push box left right up down", "<action>up</action>"),
         ("Search results: [B07XYZ] red cotton shirt, $12.99 [Next >]", "<action>click b07xyz</action>")]


def trained(model_dir: Path, dtype: str, master: bool, steps: int, lr: float) -> dict[str, torch.Tensor]:
    """The float32 values of every parameter after `steps` updates on the same rows."""
    torch.manual_seed(0)
    model, tok = load_policy(model_dir, "cpu", dtype, master_weights=master)
    prompts = [tok.encode(p) for p, _ in TEXTS]
    responses = [tok.encode(r) for _, r in TEXTS]
    with torch.no_grad():
        old = score(model, prompts, responses)
    rows = [TrainRow({"sampled": p}, r, {ADVANTAGES: [1.0 if i % 2 else -1.0] * len(r), OLD_LOGPROBS: lp.tolist()})
            for i, (p, r, lp) in enumerate(zip(prompts, responses, old))]
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    for _ in range(steps):
        policy_update(model, opt, rows, LossPlan({"pg": 1.0}), UpdateSettings(mini_batch_rows=len(rows)),
                      tok.pad_token_id)
    return {n: p.detach().float().clone() for n, p in model.named_parameters()}


def moved(before: dict[str, torch.Tensor], after: dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.cat([(after[n] != before[n]).flatten() for n in before])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--lr", type=float, default=1e-6)
    args = p.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = init_model("tiny", Path(tmp) / "tiny", seed=0)
        start32 = {n: q.detach().clone() for n, q in load_policy(model_dir, "cpu")[0].named_parameters()}
        start16 = {n: q.detach().float() for n, q in load_policy(model_dir, "cpu", "bfloat16")[0].named_parameters()}
        ref = moved(start32, trained(model_dir, "float32", False, args.steps, args.lr))
        runs = {"bfloat16 weights stepped in place (before)": moved(start16, trained(
                    model_dir, "bfloat16", False, args.steps, args.lr)),
                "float32 master weights, bfloat16 compute (after)": moved(start32, trained(
                    model_dir, "bfloat16", True, args.steps, args.lr))}
    out = {"steps": args.steps, "lr": args.lr, "elements": int(ref.numel()),
           "float32 moved": float(ref.float().mean()), "runs": {}}
    print(f"{args.steps} AdamW steps at lr {args.lr:g}, tiny preset, {ref.numel()} parameter elements")
    print(f"  float32 reference: {ref.float().mean():.2%} of the elements moved")
    for name, m in runs.items():
        share, covered = float(m.float().mean()), float((m & ref).sum() / ref.sum())
        out["runs"][name] = {"moved": share, "of_float32_moved": covered}
        print(f"  {name}: {share:.2%} moved; {covered:.2%} of those float32 moves")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
