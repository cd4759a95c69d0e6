"""Shop search speed: index build time and uncached searches (not part of the test suite;
docs/environments.md, "Shop", "Search"; docs/architecture.md, "Tests and benchmarks").

Builds the catalogue the shop env builds (`generate_catalog(--products, --catalog-seed)`), then, `--repeats`
times: builds a fresh `SearchIndex` over it (timed) and sends it `--queries` distinct queries of each kind,
each once, so the index's per-query cache never hits:
  * instruction: a goal's full instruction (what a policy that pastes its instruction searches);
  * keywords: the goal's product type, attributes and option values (what the shop's oracle searches first).
Goals are the train split's `goal_for` seeds `--seed`, `--seed` + 1, ... (repeated query strings skipped),
so the queries are fixed by the flags. Before timing, a few eval-split queries warm the code paths up.
Reported per kind, median over repeats: ms per search (wall and process CPU time), mean hits per query and
the share of queries whose goal product is in the 50 results (a sanity check that two implementations
rank alike). Index build: seconds, median over repeats.

It uses only `SearchIndex(products)` and `.search(query)` and the public catalogue and goal helpers, so it
runs on any commit's search implementation; it prints which BM25 package that implementation loaded and
the checked-out commit. Writes benchmarks/results/shop_search_speed.json.

    .venv/bin/python benchmarks/shop_search_speed.py [--products 1000 --queries 500 --repeats 3]
    PYTHONPATH=<other checkout>/src .venv/bin/python benchmarks/shop_search_speed.py   # another commit's search
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from siri.envs.shop.catalog import generate_catalog
from siri.envs.shop.goals import Goal, goal_for, split_pool
from siri.envs.shop.search import SearchIndex

RESULTS = Path(__file__).parent / "results" / "shop_search_speed.json"
KINDS: dict[str, Callable[[Goal], str]] = {
    "instruction": lambda g: g.instruction,
    "keywords": lambda g: " ".join([g.query, *g.attributes, *g.goal_options.values()]),
}
WARMUP_QUERIES = 20
BM25_PACKAGES = ("bm25s", "rank_bm25")


def distinct_goals(pool: tuple, split: str, seed: int, count: int, kind: Callable[[Goal], str]) -> list[Goal]:
    """The first `count` goals from seed `seed` on whose `kind` query strings are all different."""
    goals: list[Goal] = []
    seen: set[str] = set()
    s = seed
    while len(goals) < count:
        if s - seed > 100 * count:
            raise SystemExit(f"only {len(goals)} distinct queries in {100 * count} goals; lower --queries")
        goal = goal_for(pool, split, s)
        if kind(goal) not in seen:
            seen.add(kind(goal))
            goals.append(goal)
        s += 1
    return goals


def time_searches(index: SearchIndex, queries: list[str]) -> tuple[float, float, list[tuple[str, ...]]]:
    """(wall seconds, CPU seconds, results) of searching every query once."""
    wall, cpu = time.perf_counter(), time.process_time()
    results = [index.search(q) for q in queries]
    return time.perf_counter() - wall, time.process_time() - cpu, results


def implementation() -> dict[str, str]:
    """Which BM25 package the imported SearchIndex loaded, with versions, and the commit of its checkout."""
    loaded = {name: importlib.metadata.version(name.replace("_", "-")) for name in BM25_PACKAGES
              if name in sys.modules}
    source = Path(sys.modules[SearchIndex.__module__].__file__ or ".").parent  # the code measured, not ours
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                                cwd=source, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {"commit": commit, "bm25": ", ".join(f"{k} {v}" for k, v in loaded.items()) or "none found"}


def run(args: argparse.Namespace) -> dict:
    catalog = generate_catalog(args.products, args.catalog_seed)
    train, eval_pool = split_pool(catalog, "train"), split_pool(catalog, "eval")
    goals = {k: distinct_goals(train, "train", args.seed, args.queries, f) for k, f in KINDS.items()}
    warmup = [g.instruction
              for g in distinct_goals(eval_pool, "eval", args.seed, WARMUP_QUERIES, KINDS["instruction"])]
    builds: list[float] = []
    per_kind: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []} for k in KINDS}
    found: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeats):
        start = time.perf_counter()
        index = SearchIndex(catalog.products)
        builds.append(time.perf_counter() - start)
        for q in warmup:
            index.search(q)
        for kind, make_query in KINDS.items():
            wall, cpu, results = time_searches(index, [make_query(g) for g in goals[kind]])
            per_kind[kind]["wall"].append(wall)
            per_kind[kind]["cpu"].append(cpu)
            found[kind] = (statistics.fmean(len(r) for r in results),
                           statistics.fmean(g.asin in r for g, r in zip(goals[kind], results)))
    rows = {kind: {"ms_per_search_wall": 1000 * statistics.median(t["wall"]) / args.queries,
                   "ms_per_search_cpu": 1000 * statistics.median(t["cpu"]) / args.queries,
                   "mean_hits": found[kind][0], "target_in_top50": found[kind][1]}
            for kind, t in per_kind.items()}
    return {**implementation(), "products": args.products, "catalog_seed": args.catalog_seed,
            "queries": args.queries, "repeats": args.repeats, "seed": args.seed,
            "index_build_s": statistics.median(builds), "index_build_s_all": builds, "search": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=1000, help="catalogue size (the env's default: 1000)")
    parser.add_argument("--catalog-seed", type=int, default=0)
    parser.add_argument("--queries", type=int, default=500, help="distinct queries of each kind")
    parser.add_argument("--repeats", type=int, default=3, help="fresh index builds, each searched once")
    parser.add_argument("--seed", type=int, default=0, help="first goal seed of the queries")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if min(args.products, args.queries, args.repeats) < 1:
        raise SystemExit("--products, --queries and --repeats must be at least 1")
    result = run(args)
    print(f"commit {result['commit']}, {result['bm25']}; {args.products} products (seed {args.catalog_seed}), "
          f"{args.queries} queries per kind, median of {args.repeats}")
    print(f"index build: {result['index_build_s']:.3f} s")
    print(f"{'queries':<13}{'ms/search':>10}{'cpu ms':>9}{'hits':>7}{'target@50':>11}")
    for kind, row in result["search"].items():
        print(f"{kind:<13}{row['ms_per_search_wall']:>10.3f}{row['ms_per_search_cpu']:>9.3f}"
              f"{row['mean_hits']:>7.1f}{row['target_in_top50']:>11.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
