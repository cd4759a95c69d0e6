"""What knowing where things usually are is worth in the household (docs/environments.md "Knowledge
that pays"): the searcher oracle (visits receptacles in the order the placement priors make likely)
against the blind searcher (the same search as a scan in the admissible list's order), on the same eval seeds,
and the blind searcher told where each object usually is (`hinted`: the place type of its largest
placement prior, as a perfect location skill would say; the ceiling of what a skill-following warm
start gains from such a skill), per room size and prior strength (`env.options.priors`).

Each episode runs with a generous step limit (100); success within a limit L is "won in at most L
steps", so one run gives every limit. Mean steps are over the episodes won within 100 steps. Prints a
table (success at each limit with a 95% Wilson interval, mean steps, the searcher's gain) and writes
benchmarks/results/household_knowledge.json.

    .venv/bin/python benchmarks/household_knowledge.py [--seeds 500 --sizes tiny small alfred --priors 1 2 3]

With `--where`, it prints instead, per task object, the place type that holds one of its instances in
the most tasks of the first room size and prior strength, and in what share of them: an object whose
share is high has one usual place in that room, which one fact of a location skill can say.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections import Counter, defaultdict
from pathlib import Path

from siri.envs.household.catalog import PRIORS
from siri.envs.household.layout import generate
from siri.envs.household.memory import kind
from siri.envs.household.oracle import BlindSearcherOracle
from siri.envs.registry import make_env, make_oracle

RESULTS = Path(__file__).parent / "results" / "household_knowledge.json"
TASK_TYPES = ["pick_and_place_simple"]  # one search per task, as in the household_knowledge preset
ORACLES = ("searcher", "blind", "hinted")


def usual_places() -> dict[str, str]:
    """Each object type's place type of largest placement prior: what a perfect location skill says."""
    return {thing: max(places, key=places.get) for thing, places in PRIORS.items()}


def make(env, kind: str):
    if kind != "hinted":
        return make_oracle(env, kind)
    oracle = BlindSearcherOracle(env)
    oracle.hints = usual_places()
    return oracle


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion k / n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return center - half, center + half


def steps_to_win(size: str, priors: float, kind: str, seeds: range, task_types: list[str],
                 objects: list[str] | None) -> list[int | None]:
    """Per seed, the steps the oracle took to win (None: not won within 100 steps)."""
    env = make_env("household", split="eval", max_steps=100, size=size, priors=priors, task_types=task_types,
                   objects=objects)
    out: list[int | None] = []
    for seed in seeds:
        result = env.reset(seed)
        oracle = make(env, kind)
        steps = 0
        while not result.done:
            result = env.step(oracle.act(result))
            steps += 1
        out.append(steps if result.won else None)
    return out


def summary(steps: list[int | None], limits: list[int]) -> dict:
    won = [s for s in steps if s is not None]
    row = {"mean_steps": statistics.fmean(won) if won else None, "episodes": len(steps)}
    for limit in limits:
        k = sum(1 for s in won if s <= limit)
        row[f"success@{limit}"] = k / len(steps)
        row[f"ci@{limit}"] = wilson(k, len(steps))
    return row


def where_things_are(size: str, priors: float, seeds: range, task_types: list[str]) -> None:
    """Per task object: the place type holding one of its instances in most train tasks, and the share."""
    holders: dict[str, Counter] = defaultdict(Counter)
    tasks: Counter = Counter()
    for seed in seeds:
        scene = generate(seed, "train", size, task_types, priors, None)
        thing = scene.task.obj_type
        tasks[thing] += 1
        holders[thing].update({kind(o.location) for o in scene.objects if o.otype == thing and o.location})
    rows = sorted(((holders[t].most_common(1)[0][1] / n, t, holders[t].most_common(1)[0][0], n)
                   for t, n in tasks.items()), reverse=True)
    print(f"{size} room, priors {priors}, {len(seeds)} train tasks: object, usual place, share of its tasks")
    for share, thing, place, n in rows:
        print(f"{thing:<15}{place:<15}{share:.2f} (n={n})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--sizes", nargs="+", default=["tiny", "small", "alfred"])
    parser.add_argument("--priors", nargs="+", type=float, default=[1.0, 2.0, 3.0])
    parser.add_argument("--limits", nargs="+", type=int, default=[10, 15, 20, 30])
    parser.add_argument("--task-types", nargs="+", default=TASK_TYPES)
    parser.add_argument("--objects", nargs="+", default=None, help="the only task objects (default: all)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--where", action="store_true", help="print where each task object usually is, and stop")
    args = parser.parse_args()
    seeds = range(args.seeds)
    if args.where:
        return where_things_are(args.sizes[0], args.priors[0], seeds, args.task_types)
    rows = []
    print(f"household, eval seeds 0..{args.seeds - 1}, task types {' '.join(args.task_types)}, "
          f"objects {' '.join(args.objects) if args.objects else 'all'}")
    head = "".join(f"{'@' + str(l) + ' srch/blind/hinted':>23}" for l in args.limits)
    print(f"{'size':<8}{'priors':>7}{head}{'steps srch/blind/hinted':>26}")
    for size in args.sizes:
        for priors in args.priors:
            res = {k: summary(steps_to_win(size, priors, k, seeds, args.task_types, args.objects), args.limits)
                   for k in ORACLES}
            rows.append({"size": size, "priors": priors, **res})
            cells = "".join(f"{'/'.join(format(res[k][f'success@{l}'], '.3f') for k in ORACLES):>23}"
                            for l in args.limits)
            steps = "/".join(f"{res[k]['mean_steps']:.2f}" for k in ORACLES)
            print(f"{size:<8}{priors:>7.1f}{cells}{steps:>26}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"seeds": args.seeds, "task_types": args.task_types, "objects": args.objects,
                                    "rows": rows}, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
