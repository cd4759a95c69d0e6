"""Environment speed: random admissible walks in every environment, and household against the real ALFWorld
engine on the same scenes (not part of the test suite; docs/architecture.md, "Tests and benchmarks").

1. Walks. For each environment (household at the tiny / small / alfred sizes, shop, sokoban): reset
   time and step time of uniform random walks over the admissible actions (shop: the search marker
   becomes `search[...]` with 1-3 random words of the instruction), after a warm-up, `--repeats` times
   on fresh seeds each time; the median repeat is reported. Step time includes the walk's
   `random.choice` (well under 1 µs a step). The shop's search index caches results per query (as it
   does in training), so a repeated query is cheap; fresh seeds keep that from inflating the numbers.
2. Household vs real ALFWorld. `--real-scenes` generated scenes per size are exported with
   `write_game_file` and played by `ALFWorldAdapterEnv` (alfworld 0.4.2: textworld's PDDL backend with
   fast-downward, in-process). The command sequences are random admissible walks recorded once in our
   engine (untimed), then replayed in both engines: reset = generate the scene (ours) vs load and ground
   the game file (real); step = one command. Ours is replayed `--ours-repeats` times (it is ~1000x
   faster), the real engine once. Every replayed step is also compared (observation, admissible set,
   `won`; `alfworld_diff.compare_results`), so the two engines provably did the same work.

Both wall time (time.perf_counter) and CPU time of this process (time.process_time; fast-downward runs
in-process through ctypes, so it is included) are reported: on a shared machine CPU time is the steadier
of the two. Ratios are ours / real in throughput, i.e. how many times faster our engine is.
Prints rich tables and writes benchmarks/results/env_speed.json.

    .venv/bin/python benchmarks/env_speed.py [--steps 20000 --repeats 3 --real-scenes 10 --real-steps 30]
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import os
import platform
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.table import Table

from siri.envs.base import Env, StepResult
from siri.envs.registry import make_env
from siri.utils.errors import install_hint

RESULTS = Path(__file__).parent / "results" / "env_speed.json"
WALK_ENVS: list[tuple[str, dict[str, Any]]] = [
    ("household", {"size": "tiny"}),
    ("household", {"size": "small"}),
    ("household", {"size": "alfred"}),
    ("shop", {}),
    ("sokoban", {}),
]
SEARCH_MARKER = "search[<your query>]"
WARMUP_SEED = 1_000_000  # warm-up episodes use seeds the timed ones never do
REPEAT_SEED_STRIDE = 100_000  # repeat r walks seeds r*stride, ...: fresh episodes (and shop queries) each time


@dataclass
class Clock:
    """Accumulates wall and process-CPU seconds over every `with clock:` block."""

    wall: float = 0.0
    cpu: float = 0.0

    def __enter__(self) -> "Clock":
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._w
        self.cpu += time.process_time() - self._c


def random_action(last: StepResult, rng: random.Random) -> str:
    """A uniform admissible action; the shop's search marker becomes a query from the instruction."""
    action = rng.choice(last.admissible_actions)
    if action == SEARCH_MARKER:
        words = last.task.split() or ["item"]
        action = "search[" + " ".join(rng.sample(words, min(len(words), rng.randint(1, 3)))) + "]"
    return action


def walk(env: Env, steps: int, rng: random.Random, first_seed: int) -> dict[str, Any]:
    """Random walks from seeds first_seed, first_seed+1, ... until `steps` steps are taken."""
    resets, stepping = Clock(), Clock()
    done_steps, seed = 0, first_seed
    while done_steps < steps:
        with resets:
            result = env.reset(seed)
        seed += 1
        with stepping:
            while not result.done and done_steps < steps:
                result = env.step(random_action(result, rng))
                done_steps += 1
    return {"steps": done_steps, "episodes": seed - first_seed, "reset": resets, "step": stepping}


def rates(count: int, clock: Clock) -> dict[str, float]:
    return {"wall": count / clock.wall, "cpu": count / max(clock.cpu, 1e-9)}


def median_rates(runs: list[dict[str, float]]) -> dict[str, Any]:
    return {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu")} | {
        "wall_min": min(r["wall"] for r in runs), "wall_max": max(r["wall"] for r in runs)}


def bench_walks(name: str, options: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    with Clock() as setup:
        env = make_env(name, split="train", **options)
    walk(env, args.warmup, random.Random(1), WARMUP_SEED)
    runs = [walk(env, args.steps, random.Random(r), r * REPEAT_SEED_STRIDE) for r in range(args.repeats)]
    return {
        "env": name, "options": options, "setup_s": setup.wall,
        "steps": runs[0]["steps"], "episodes": runs[0]["episodes"], "repeats": args.repeats,
        "steps_per_s": median_rates([rates(r["steps"], r["step"]) for r in runs]),
        "resets_per_s": median_rates([rates(r["episodes"], r["reset"]) for r in runs]),
    }


@dataclass
class GameScene:
    """An exported scene, the random walk recorded in it, and how long `write_game_file` took."""

    seed: int
    path: Path
    commands: list[str]
    export_s: float


def export_scenes(size: str, args: argparse.Namespace, game_dir: Path, first_seed: int = 0) -> list[GameScene]:
    """Export scenes first_seed.. and record one random admissible walk in each (in our engine)."""
    from siri.envs.household.pddl_export import write_game_file

    env, scenes = make_env("household", split="train", size=size, max_steps=50), []
    for seed in range(first_seed, first_seed + args.real_scenes):
        result = env.reset(seed)
        with Clock() as export:
            path = write_game_file(copy.deepcopy(env.initial_scene), game_dir / f"{size}_{seed:07d}")
        rng, commands = random.Random(seed), []
        while not result.done and len(commands) < args.real_steps:
            commands.append(random_action(result, rng))
            result = env.step(commands[-1])
        scenes.append(GameScene(seed, path, commands, export.wall))
    return scenes


def replay(
    env: Env, scenes: list[GameScene], repeats: int, reset_seed: Callable[[int, GameScene], int] = lambda i, s: s.seed
) -> dict[str, Any]:
    """Replay every scene's commands `repeats` times; time resets and steps; keep the last results.

    `reset_seed(i, scene)` is the seed that plays scene i: its generator seed in our engine, its index in
    the adapter's sorted game list in the real one."""
    resets, stepping, results = Clock(), Clock(), []
    for _ in range(repeats):
        results = []
        for i, scene in enumerate(scenes):
            with resets:
                first = env.reset(reset_seed(i, scene))
            with stepping:
                rest = [env.step(c) for c in scene.commands]
            results.append([first, *rest])
    steps = repeats * sum(len(s.commands) for s in scenes)
    return {"resets": repeats * len(scenes), "steps": steps, "reset": resets, "step": stepping, "results": results}


def count_mismatches(scenes: list[GameScene], ours: list[list[StepResult]], real: list[list[StepResult]]) -> list[str]:
    from siri.envs.household.alfworld_diff import compare_results

    found = []
    for scene, mine, theirs in zip(scenes, ours, real):
        commands = ["", *scene.commands]
        for step, (a, b) in enumerate(zip(mine, theirs)):
            found += [str(m) for m in compare_results(scene.seed, step, commands[step], a, b)]
    return found


def per_op(timed: dict[str, Any], kind: str) -> dict[str, float]:
    """Seconds per reset or step, wall and CPU."""
    count = timed["resets" if kind == "reset" else "steps"]
    clock: Clock = timed[kind]
    return {"wall": clock.wall / count, "cpu": clock.cpu / count}


def bench_real(size: str, args: argparse.Namespace, game_dir: Path) -> dict[str, Any]:
    from siri.envs.household.alfworld_adapter import ALFWorldAdapterEnv

    scenes = export_scenes(size, args, game_dir)
    ours_env = make_env("household", split="train", size=size, max_steps=50)
    replay(ours_env, scenes, 1)  # warm-up
    ours = replay(ours_env, scenes, args.ours_repeats)
    real_env = ALFWorldAdapterEnv([s.path for s in scenes], split="train", max_steps=50)
    real = replay(real_env, scenes, 1, reset_seed=lambda i, s: i)  # game i of the sorted list = scene i
    mismatches = count_mismatches(scenes, replay(ours_env, scenes, 1)["results"], real["results"])
    out: dict[str, Any] = {"size": size, "scenes": len(scenes), "steps": real["steps"],
                           "export_s_per_scene": statistics.fmean(s.export_s for s in scenes),
                           "mismatches": len(mismatches), "first_mismatches": mismatches[:5]}
    for kind in ("reset", "step"):
        mine, theirs = per_op(ours, kind), per_op(real, kind)
        out[kind] = {"ours_s": mine, "real_s": theirs,
                     "ours_over_real": {c: theirs[c] / mine[c] for c in ("wall", "cpu")}}
    return out


def warm_up_real(game_dir: Path) -> None:
    """Import textworld / alfworld and load fast-downward's library once, outside every timing."""
    from siri.envs.household.alfworld_adapter import ALFWorldAdapterEnv

    args = argparse.Namespace(real_scenes=1, real_steps=5)
    scene = export_scenes("tiny", args, game_dir / "warmup", WARMUP_SEED)[0]
    replay(ALFWorldAdapterEnv(scene.path, split="train", max_steps=50), [scene], 1, lambda i, s: 0)


def walk_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Random admissible walks (median of repeats)")
    for col in ("env", "options", "steps", "episodes", "steps/s wall", "steps/s CPU",
                "resets/s wall", "resets/s CPU", "setup s"):
        table.add_column(col, justify="left" if col in ("env", "options") else "right")
    for r in rows:
        s, e = r["steps_per_s"], r["resets_per_s"]
        table.add_row(r["env"], " ".join(f"{k}={v}" for k, v in r["options"].items()) or "-", str(r["steps"]),
                      str(r["episodes"]), f"{s['wall']:,.0f}", f"{s['cpu']:,.0f}", f"{e['wall']:,.0f}",
                      f"{e['cpu']:,.0f}", f"{r['setup_s']:.2f}")
    return table


def real_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Household (ours) vs the real ALFWorld engine: same scenes, same commands")
    for col in ("size", "scenes", "steps", "clock", "reset ours ms", "reset real ms", "reset ours/real",
                "step ours µs", "step real ms", "step ours/real", "mismatches"):
        table.add_column(col, justify="left" if col in ("size", "clock") else "right")
    for r in rows:
        for clock in ("wall", "cpu"):
            re_, st = r["reset"], r["step"]
            table.add_row(r["size"], str(r["scenes"]), str(r["steps"]), clock,
                          f"{re_['ours_s'][clock] * 1e3:.2f}", f"{re_['real_s'][clock] * 1e3:.0f}",
                          f"{re_['ours_over_real'][clock]:,.0f}x", f"{st['ours_s'][clock] * 1e6:.0f}",
                          f"{st['real_s'][clock] * 1e3:.1f}", f"{st['ours_over_real'][clock]:,.0f}x",
                          str(r["mismatches"]))
    return table


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20000, help="steps per repeat per environment (walks)")
    p.add_argument("--repeats", type=int, default=3, help="timed repeats of each walk; the median is kept")
    p.add_argument("--warmup", type=int, default=500, help="untimed warm-up steps per environment")
    p.add_argument("--real-scenes", type=int, default=10, help="scenes per size against the real engine")
    p.add_argument("--real-steps", type=int, default=30, help="commands per scene against the real engine")
    p.add_argument("--real-sizes", nargs="+", default=["tiny", "small", "alfred"])
    p.add_argument("--ours-repeats", type=int, default=30, help="replays of the same scenes in our engine")
    p.add_argument("--no-real", action="store_true", help="skip the comparison with the real engine")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args()
    for name in ("steps", "repeats", "real_scenes", "real_steps", "ours_repeats"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main() -> None:
    args = parse_args()
    console = Console(width=None if Console().is_terminal else 180)
    started, load_before = time.perf_counter(), os.getloadavg()
    walks = []
    for name, options in WALK_ENVS:
        walks.append(bench_walks(name, options, args))
        console.print(f"walked {name} {options}", style="dim")
    console.print(walk_table(walks))
    real: list[dict[str, Any]] | str = "skipped (--no-real)"
    if not args.no_real and importlib.util.find_spec("alfworld") is None:
        real = f"skipped: alfworld is not installed ({install_hint('alfworld')})"
    elif not args.no_real:
        with tempfile.TemporaryDirectory(prefix="siri-env-speed-") as tmp:
            warm_up_real(Path(tmp))
            real = []
            for size in args.real_sizes:
                real.append(bench_real(size, args, Path(tmp)))
                console.print(f"compared {size} with the real engine", style="dim")
        console.print(real_table(real))
    if isinstance(real, str):
        console.print(real)
    report = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "walks": walks, "household_vs_alfworld": real, "total_s": time.perf_counter() - started,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=vars) + "\n")
    console.print(f"total {report['total_s']:.0f} s, load average {load_before[0]:.1f} -> "
                  f"{report['machine']['loadavg_after'][0]:.1f}; wrote {args.out}")


if __name__ == "__main__":
    main()
