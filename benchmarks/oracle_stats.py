"""Oracle statistics: success rate and mean episode length of every environment's oracles, per split and
task type (not part of the test suite; docs/architecture.md, "Tests and benchmarks").

docs/environments.md, "Common contract": every environment has an oracle that solves its tasks, and every
generated task is solvable — so anything below 100% here is a bug in an oracle or a generator, and the
mean length is the upper-bound episode length reports compare agents against.

- household (size tiny by default): planner and searcher (noise 0), on train / eval / unseen, each of
  the six task types pinned with `task_types=[t]`, seeds 0..N-1;
- shop: planner on train / eval / unseen; task types are the goal's category, which the seed picks, so
  seeds run until every category has at least N episodes;
- sokoban: BFS planner on train / eval / unseen (one task type), seeds 0..N-1.

Every env uses its default options (max_steps: household 50, shop 15, sokoban 15) and oracles come from
`siri.envs.registry.make_oracle`. Prints a rich table and writes benchmarks/results/oracle_stats.json.

    .venv/bin/python benchmarks/oracle_stats.py [--seeds 200] [--household-sizes tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterator

from rich.console import Console
from rich.table import Table

from siri.envs.base import SPLITS, Env
from siri.envs.household.scene import TASK_TYPES
from siri.envs.registry import make_env, make_oracle
from siri.envs.shop.lexicon import CATEGORIES

RESULTS = Path(__file__).parent / "results" / "oracle_stats.json"
SHOP_SEED_CAP = 50  # shop: give up after seeds x categories x this many seeds (a category never drawn)


def play(env: Env, seed: int, kind: str) -> dict[str, Any]:
    """One oracle episode from `seed`: won, steps, summed reward, final task score, seconds."""
    w0, c0 = time.perf_counter(), time.process_time()
    result = env.reset(seed)
    oracle = make_oracle(env, kind)
    steps, ret = 0, 0.0
    while not result.done:
        result = env.step(oracle.act(result))
        steps, ret = steps + 1, ret + result.reward
    return {"seed": seed, "task_type": result.task_type, "won": result.won, "steps": steps, "return": ret,
            "score": result.task_score, "wall": time.perf_counter() - w0, "cpu": time.process_time() - c0}


def summarize(episodes: list[dict[str, Any]]) -> dict[str, Any]:
    won = [e for e in episodes if e["won"]]
    scores = [e["score"] for e in episodes if e["score"] is not None]
    return {
        "episodes": len(episodes),
        "success": len(won) / len(episodes),
        "mean_length": statistics.fmean(e["steps"] for e in episodes),
        "mean_length_won": statistics.fmean(e["steps"] for e in won) if won else None,
        "max_length": max(e["steps"] for e in episodes),
        "mean_return": statistics.fmean(e["return"] for e in episodes),
        "mean_score": statistics.fmean(scores) if scores else None,
        "ms_per_episode_wall": 1e3 * statistics.fmean(e["wall"] for e in episodes),
        "ms_per_episode_cpu": 1e3 * statistics.fmean(e["cpu"] for e in episodes),
        "failed_seeds": [e["seed"] for e in episodes if not e["won"]][:10],
    }


def household_groups(args: argparse.Namespace) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    for size in args.household_sizes:
        for split in SPLITS:
            for kind in ("planner", "searcher"):
                for task_type in TASK_TYPES:
                    env = make_env("household", split=split, size=size, task_types=[task_type])
                    episodes = [play(env, seed, kind) for seed in range(args.seeds)]
                    yield {"env": "household", "options": {"size": size}, "split": split, "oracle": kind,
                           "task_type": task_type}, episodes


def shop_groups(args: argparse.Namespace) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    wanted = [c.key for c in CATEGORIES]
    for split in SPLITS:
        env, by_type, seed = make_env("shop", split=split), defaultdict(list), 0
        while min(len(by_type[t]) for t in wanted) < args.seeds and seed < args.seeds * len(wanted) * SHOP_SEED_CAP:
            episode = play(env, seed, "planner")
            by_type[episode["task_type"]].append(episode)
            seed += 1
        for task_type in sorted(by_type):
            yield {"env": "shop", "options": {}, "split": split, "oracle": "planner", "task_type": task_type,
                   "seeds_run": seed}, by_type[task_type]


def sokoban_groups(args: argparse.Namespace) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    for split in SPLITS:
        env = make_env("sokoban", split=split)
        yield {"env": "sokoban", "options": {}, "split": split, "oracle": "planner (BFS)",
               "task_type": "sokoban"}, [play(env, seed, "planner") for seed in range(args.seeds)]


def table(rows: list[dict[str, Any]], seeds: int) -> Table:
    out = Table(title=f"Oracles: success and mean episode length (>= {seeds} episodes per row)")
    for col in ("env", "options", "split", "oracle", "task type", "episodes", "success", "mean length",
                "max length", "mean score", "ms/episode CPU"):
        out.add_column(col, justify="right" if col in ("episodes", "success", "mean length", "max length",
                                                      "mean score", "ms/episode CPU") else "left")
    for r in rows:
        s = r["stats"]
        score = "" if s["mean_score"] is None else f"{s['mean_score']:.3f}"
        out.add_row(r["env"], " ".join(f"{k}={v}" for k, v in r["options"].items()) or "-", r["split"], r["oracle"],
                    r["task_type"], str(s["episodes"]), f"{s['success']:.1%}", f"{s['mean_length']:.2f}",
                    str(s["max_length"]), score, f"{s['ms_per_episode_cpu']:.2f}")
    return out


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=200, help="episodes per env / split / oracle / task type")
    p.add_argument("--household-sizes", nargs="+", default=["tiny"], choices=["tiny", "small", "alfred"])
    p.add_argument("--envs", nargs="+", default=["household", "shop", "sokoban"],
                   choices=["household", "shop", "sokoban"])
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args()
    if args.seeds < 1:
        p.error("--seeds must be at least 1")
    return args


def main() -> None:
    args = parse_args()
    console = Console(width=None if Console().is_terminal else 180)
    started, load_before = time.perf_counter(), os.getloadavg()
    groups = {"household": household_groups, "shop": shop_groups, "sokoban": sokoban_groups}
    rows = []
    for name in args.envs:
        t0 = time.perf_counter()
        for key, episodes in groups[name](args):
            rows.append(key | {"stats": summarize(episodes)})
        console.print(f"{name}: {time.perf_counter() - t0:.0f} s", style="dim")
    console.print(table(rows, args.seeds))
    failed = [r for r in rows if r["stats"]["success"] < 1.0]
    console.print(f"{len(failed)} of {len(rows)} rows below 100% success" + (
        ": " + "; ".join(f"{r['env']} {r['split']} {r['oracle']} {r['task_type']} seeds "
                         f"{r['stats']['failed_seeds']}" for r in failed) if failed else ""))
    report = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "rows": rows, "total_s": time.perf_counter() - started,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"total {report['total_s']:.0f} s; wrote {args.out}")


if __name__ == "__main__":
    main()
