"""GRPO step time: siri vs TRL's `GRPOTrainer`, the same single-turn step, side by side on CPU.

One step on both sides: 32 household step prompts (plain text, ~150-300 tokens, no chat template) x 8
completions (a GRPO group per prompt), <= 24 new tokens, temperature 1, top-p 1; a shared reward
(`<action>` tag + a small length term: microseconds); group-normalized advantages; reference log-probs
from a frozen copy; one AdamW step (lr 1e-6, no weight decay, grad clip 1) on PPO-clip (eps 0.2) +
0.01 x k3 KL, a token-mean over all 256 completions (one mini-batch), in micro-batches of 32 rows.
Same model: the offline `tiny` preset, float32. siri's step is the library's own pieces: `sample`,
`grpo_advantages`, `score` on the reference, `policy_update` with GRPO's `rl_plan` (entropy coef 0).

TRL 1.16 settings, read from its source: `per_device_train_batch_size=32` x `gradient_accumulation_steps=8`
(`steps_per_generation` defaults to it: `generation_batch_size`=256, one generate call and one optimizer
step, no old-log-prob pass), `num_iterations=1`, `loss_type="dapo"` (token sum / tokens of the whole
generation batch = siri's token-mean over the mini-batch), `scale_rewards="group"`, `optim="adamw_torch"`
(siri's plain AdamW, not TRL's fused default), constant LR, `gradient_checkpointing=False` (GRPOConfig
defaults to True; siri does not checkpoint), `bf16=False`, `use_cpu=True`, no vLLM, logging or saving.

How: TRL's `train()` runs warmup+steps optimizer steps and a callback runs one siri step after each, so
the two alternate. A TRL step is timed from the end of the previous siri step to `on_step_end`. The
warm-up steps are dropped; medians of wall and process CPU time are reported, with siri's phases and
both sides' completion lengths (eos may end completions early on both). `--trl-gradient-checkpointing`
adds a pass with TRL's checkpointing on. Writes benchmarks/results/trl_compare.json; the last line
printed is `ratio: X.XX` = TRL s/step / siri s/step. Where the time differs by design: siri prefills
each group's prompt once and scores shared prefixes once (prefix trees); TRL computes all 256 rows in
full, and on CPU its fused log-prob head projects every position, prompt included.

Needs the bench environment (torch CPU, transformers, trl, datasets, accelerate, siri editable):

    python3 -m venv .venv-bench && .venv-bench/bin/pip install torch==2.13.0 \\
        && .venv-bench/bin/pip install -e ".[bench]"
    .venv-bench/bin/python benchmarks/trl_compare.py [--steps 3 --threads 0 --trl-gradient-checkpointing]
    .venv-bench/bin/python benchmarks/trl_compare.py --quick   # one measured step each, ~1 min
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ[_var] = "1"  # the model is built locally: nothing may come from the network
os.environ.setdefault("WANDB_DISABLED", "true")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback, TrainerCallback  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

from siri.agent.prompts import build_prompt  # noqa: E402
from siri.algos import ADVANTAGES, OLD_LOGPROBS, REF_LOGPROBS, grpo_advantages  # noqa: E402
from siri.config import TrainConfig  # noqa: E402
from siri.envs.registry import make_env, make_oracle  # noqa: E402
from siri.policy import init_model, load_policy, sample  # noqa: E402
from siri.policy.scoring import score  # noqa: E402
from siri.train.batch import TrainRow  # noqa: E402
from siri.train.methods.rl.method import rl_plan  # noqa: E402
from siri.train.update import UpdateSettings, policy_update  # noqa: E402

try:
    import trl
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer
except ImportError as _error:
    trl, _TRL_ERROR = None, _error

BENCH_ENV = ('python3 -m venv .venv-bench && .venv-bench/bin/pip install torch==2.13.0 '
             '&& .venv-bench/bin/pip install -e ".[bench]"')
RESULTS = Path(__file__).parent / "results" / "trl_compare.json"
BETA, CLIP, LR = 0.01, 0.2, 1e-6


def make_prompts(n: int) -> list[str]:
    """`n` distinct household step prompts: train seed i, after an oracle walk of i % 4 steps (so some
    show history), rendered by the agent's own `build_prompt`. Deterministic."""
    env, prompts = make_env("household", split="train"), []
    for seed in range(n):
        result, oracle, history = env.reset(seed), make_oracle(env), []
        for _ in range(seed % 4):
            if result.done:
                break
            action = oracle.act(result)
            history.append((result.observation, action))
            result = env.step(action)
        prompts.append(build_prompt("household", task=result.task, observation=result.observation,
                                    admissible=result.admissible_actions, history=history))
    return prompts


def reward(text: str) -> float:
    """1 when the completion opens an `<action>` tag, plus a length term so every group has a spread."""
    return float("<action>" in text) + 0.001 * min(len(text), 200)


def eos_ids(model, tokenizer) -> list[int]:
    """Every id that ends a completion: the generation config's (`<|im_end|>`, `<|endoftext|>`) and the
    tokenizer's eos; the same set TRL stops on."""
    ids = model.generation_config.eos_token_id
    ids = [] if ids is None else [ids] if isinstance(ids, int) else list(ids)
    return sorted(set(ids) | {tokenizer.eos_token_id})


def length_stats(lengths: list[int], max_new: int) -> dict[str, float]:
    return {"mean_len": statistics.mean(lengths), "full_len_frac": sum(n >= max_new for n in lengths) / len(lengths)}


class SiriStep:
    """One GRPO step with siri's own pieces, timed by phase (generate / scoring / update)."""

    def __init__(self, path: Path, prompts: list[str], args: argparse.Namespace):
        self.model, self.tokenizer = load_policy(path, "cpu", "float32")
        self.ref = copy.deepcopy(self.model).eval().requires_grad_(False)  # the frozen reference, as the loop's
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=LR, weight_decay=0.0)
        self.plan = rl_plan(SimpleNamespace(train=TrainConfig(kl_coef=BETA, entropy_coef=0.0, clip_low=CLIP,
                                                              clip_high=CLIP)))
        rows = len(prompts) * args.generations
        self.settings = UpdateSettings(ppo_epochs=1, mini_batch_rows=rows, micro_batch_rows=args.micro_batch,
                                       grad_clip=1.0, temperature=1.0)
        self.prompts, self.args = prompts, args
        self.eos = eos_ids(self.model, self.tokenizer)
        self.rng = torch.Generator().manual_seed(0)

    def __call__(self) -> dict[str, float]:
        a, tok = self.args, self.tokenizer
        t0, c0 = time.perf_counter(), time.process_time()
        prompts = [ids for ids in tok(self.prompts)["input_ids"] for _ in range(a.generations)]  # groups consecutive
        out = sample(self.model, prompts, max_new_tokens=a.max_new_tokens, temperature=1.0, top_p=1.0, stop=(),
                     eos_token_id=self.eos, pad_token_id=tok.pad_token_id, rng=self.rng)
        rewards = [reward(t) for t in tok.batch_decode(out.ids, skip_special_tokens=True)]
        adv = grpo_advantages(rewards, [i // a.generations for i in range(len(prompts))])
        t1 = time.perf_counter()
        with torch.no_grad():
            ref = score(self.ref, prompts, out.ids, temperature=1.0, batch_size=a.micro_batch)
        t2 = time.perf_counter()
        rows = [TrainRow(prompts={"sampled": p}, response_ids=s.ids,
                         fields={ADVANTAGES: [float(adv[i])] * len(s.ids), OLD_LOGPROBS: s.logprobs,
                                 REF_LOGPROBS: ref[i].tolist()})
                for i, (p, s) in enumerate(zip(prompts, out))]
        policy_update(self.model, self.optimizer, rows, self.plan, self.settings, tok.pad_token_id, self.rng)
        t3 = time.perf_counter()
        return {"step_s": t3 - t0, "cpu_s": time.process_time() - c0, "generate_s": t1 - t0,
                "scoring_s": t2 - t1, "update_s": t3 - t2,
                **length_stats([len(s.ids) for s in out], a.max_new_tokens)}


class Alternate(TrainerCallback):
    """Times each TRL optimizer step (end of the previous siri step -> TRL's `on_step_end`) and runs one
    siri step right after it, so that the two sides alternate step by step."""

    def __init__(self, siri_step: Callable[[], dict[str, float]]):
        self.siri_step = siri_step
        self.trl: list[dict[str, float]] = []  # per step: seconds, CPU seconds, completion lengths
        self.siri: list[dict[str, float]] = []
        self.logs: list[dict[str, Any]] = []  # TRL's own end-of-run metrics (kl, clip ratios, lengths)
        self.checkpointing: bool | None = None
        self.mark = self.cpu_mark = 0.0

    def _start(self) -> None:
        self.mark, self.cpu_mark = time.perf_counter(), time.process_time()

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.checkpointing = bool(getattr(model, "is_activation_checkpointing", False))  # what really runs
        self._start()

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.logs.append(dict(logs or {}))

    def on_step_end(self, args, state, control, **kwargs):
        self.trl.append({"step_s": time.perf_counter() - self.mark, "cpu_s": time.process_time() - self.cpu_mark})
        self.siri.append(self.siri_step())
        self._start()


def run_trl(path: Path, prompts: list[str], args: argparse.Namespace, siri_step: SiriStep, checkpointing: bool,
            out_dir: Path) -> Alternate:
    """`warmup + steps` GRPOTrainer optimizer steps, a siri step after each; returns the timings."""
    lengths: list[dict[str, float]] = []

    def action_tag(prompts, completions, completion_ids, **kwargs) -> list[float]:
        lengths.append(length_stats([len(ids) for ids in completion_ids], args.max_new_tokens))
        return [reward(c) for c in completions]

    rows, steps = len(prompts) * args.generations, args.warmup + args.steps
    config = GRPOConfig(
        output_dir=str(out_dir), seed=0, use_cpu=True, bf16=False, fp16=False, report_to="none",
        logging_strategy="no", save_strategy="no", disable_tqdm=True, log_completions=False,
        dataloader_pin_memory=False, max_steps=steps, num_train_epochs=1,
        learning_rate=LR, lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0, optim="adamw_torch",
        max_grad_norm=1.0, per_device_train_batch_size=args.micro_batch,
        gradient_accumulation_steps=rows // args.micro_batch, num_iterations=1, shuffle_dataset=False,
        num_generations=args.generations, max_completion_length=args.max_new_tokens, temperature=1.0, top_p=1.0,
        top_k=0, beta=BETA, epsilon=CLIP, loss_type="dapo", scale_rewards="group", use_vllm=False,
        gradient_checkpointing=checkpointing,
    )
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    # One copy of the prompts per step, in order: every step sees the same 32 prompts, within one epoch.
    data = Dataset.from_dict({"prompt": prompts * steps})
    timer = Alternate(siri_step)
    trainer = GRPOTrainer(model=model, reward_funcs=action_tag, args=config, train_dataset=data,
                          processing_class=AutoTokenizer.from_pretrained(path), callbacks=[timer])
    trainer.remove_callback(PrinterCallback)  # its final metrics go to the JSON (timer.logs) instead
    trainer.train()
    if timer.checkpointing != checkpointing:
        raise RuntimeError(f"TRL's model has activation checkpointing {timer.checkpointing}, asked {checkpointing}")
    if len(timer.trl) != steps:
        raise RuntimeError(f"TRL ran {len(timer.trl)} optimizer steps, expected {steps}")
    for t, n in zip(timer.trl, lengths):
        t.update(n)
    return timer


def summary(runs: list[dict[str, float]], warmup: int) -> dict[str, Any]:
    """Medians over the measured steps (the warm-up ones dropped) and every value, for the JSON."""
    kept = runs[warmup:]
    return {**{f"{k}_median": statistics.median(r[k] for r in kept) for k in kept[0]}, "all": runs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="measured steps per side (after warm-up)")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up steps per side, not reported")
    parser.add_argument("--quick", action="store_true", help="one measured step per side")
    parser.add_argument("--prompts", type=int, default=32, help="distinct prompts per step (smoke runs: 4)")
    parser.add_argument("--generations", type=int, default=8, help="completions per prompt (GRPO group size)")
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--micro-batch", type=int, default=32, help="rows per forward/backward on both sides")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0 = torch default)")
    parser.add_argument("--trl-gradient-checkpointing", action="store_true",
                        help="also time TRL with gradient checkpointing on (a second pass)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if trl is None:
        print(f"trl is not importable ({_TRL_ERROR}); create the bench environment: {BENCH_ENV}")
        return 2
    if args.quick:
        args.steps = 1
    rows = args.prompts * args.generations
    args.micro_batch = min(args.micro_batch, rows)
    if rows % args.micro_batch:
        parser.error(f"{rows} completions per step do not split into micro-batches of {args.micro_batch}")
    hf_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", message=".*deprecated and will be removed in v6", category=FutureWarning)
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()

    prompts = make_prompts(args.prompts)
    passes: dict[str, tuple[dict, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = init_model("tiny", Path(tmp) / "model", seed=0)
        prompt_tokens = [len(ids) for ids in AutoTokenizer.from_pretrained(path)(prompts)["input_ids"]]
        siri_step = SiriStep(path, prompts, args)
        for name, gc in (("trl", False), ("trl_grad_ckpt", True)):
            if gc and not args.trl_gradient_checkpointing:
                continue
            timer = run_trl(path, prompts, args, siri_step, gc, Path(tmp) / name)
            passes[name] = (summary(timer.siri, args.warmup),
                            {**summary(timer.trl, args.warmup), "trl_logged_metrics": timer.logs})
    if torch.get_num_threads() != threads:
        print(f"warning: torch threads changed from {threads} to {torch.get_num_threads()} during the run")

    siri = passes["trl"][0]
    ratios = {name: t["step_s_median"] / s["step_s_median"] for name, (s, t) in passes.items()}
    print(f"\nGRPO step, siri vs TRL {trl.__version__}: {args.prompts} prompts ({min(prompt_tokens)}-"
          f"{max(prompt_tokens)} tokens) x {args.generations} completions, <= {args.max_new_tokens} new tokens, "
          f"micro-batch {args.micro_batch}, tiny preset float32, threads={threads}, "
          f"measured steps={args.steps} (+{args.warmup} warm-up)")
    if args.prompts != 32:
        print(f"note: {args.prompts} prompts per step instead of 32: not the reference setting")
    print(f"{'side':<30}{'s/step':>9}{'cpu s/step':>12}{'mean len':>10}{'len=max':>9}{'ratio':>8}")
    table = [("siri", siri, None)] + [
        ("TRL GRPOTrainer" + (" (grad ckpt)" if name != "trl" else ""), t, ratios[name])
        for name, (_, t) in passes.items()]
    for label, r, ratio in table:
        print(f"{label:<30}{r['step_s_median']:>9.2f}{r['cpu_s_median']:>12.2f}{r['mean_len_median']:>10.1f}"
              f"{r['full_len_frac_median']:>9.0%}{'' if ratio is None else f'{ratio:.2f}':>8}")
    print(f"siri phases (median s): generate {siri['generate_s_median']:.2f}  scoring {siri['scoring_s_median']:.2f}"
          f"  update {siri['update_s_median']:.2f}")

    result = {
        "config": {**{k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                   "torch_threads": threads, "prompt_tokens": prompt_tokens, "beta": BETA, "lr": LR, "clip": CLIP,
                   "trl_loss_type": "dapo", "preset": "tiny", "dtype": "float32"},
        "env": {"torch": torch.__version__, "trl": trl.__version__, "python": platform.python_version(),
                "machine": platform.machine(), "cpus": os.cpu_count()},
        "passes": {name: {"siri": s, "trl": t, "ratio_trl_over_siri": ratios[name]} for name, (s, t) in passes.items()},
        "ratio_trl_over_siri": ratios["trl"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    print(f"ratio: {ratios['trl']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
