"""Does a warm start act on a location hint? (docs/environments.md "Knowledge that pays", status table)

Why: SIRI's premise needs a policy that changes what it does when a skill in its prompt says where
an object is. Before mined skills enter the picture, this asks the simplest form of the question: on
the same eval seeds, the plain prompt against a one-fact hint naming the place type where the task's
object really is in that episode ("right"), and one naming another place type that could hold it
("wrong"). A policy that reads hints wins more with right hints and less with wrong ones; "follows"
is the share of right-hint episodes whose first `go to` goes to the hinted place type. With
`--bank`, a fourth arm ("mined") gives each episode only the fact a mined location skill holds about
its task's object (the plain prompt where it holds none): a mined skill cut down to the task at hand.
Then a table per task object: success per arm, and how often the mined fact is the right one.

    .venv/bin/python benchmarks/hint_reading.py --model runs/household_knowledge/model [--episodes 200]
        [--bank runs/extractive_bank]      (a skills.jsonl directory: benchmarks/extractive_skill_bank.py)
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import replace
from pathlib import Path

import torch

from siri.config import load_config
from siri.envs import make_env
from siri.envs.household.catalog import can_contain
from siri.envs.household.memory import kind
from siri.envs.household.text import TEXT
from siri.policy.loading import load_policy
from siri.rollout.engine import RolloutEngine, Variant
from siri.stats import wilson_interval
from siri.train.loop import train_settings


def eval_scenes(cfg, seeds: list[int]) -> list:
    """The scene of each eval seed, as the configured environment lays it out."""
    env = make_env(cfg.env.name, split="eval", max_steps=cfg.env.max_steps, **cfg.env.options)
    out = []
    for seed in seeds:
        env.reset(seed)
        out.append(env.scene)  # reset builds a new scene: this one is never stepped
    return out


def hint(scene, seed: int, right: bool) -> str:
    """A one-fact location skill about the task object of `scene` (eval seed `seed`): its true place
    type, or (drawn by the seed) another place type in the room that can hold it and is not the target."""
    thing = scene.task.obj_type
    true = kind(next(o.location for o in scene.objects if o.otype == thing and o.location))
    place = true
    if not right:
        others = sorted({r.rtype for r in scene.receptacles
                         if can_contain(r.rtype, thing) and r.rtype not in (true, scene.task.recep_type)})
        place = random.Random(seed).choice(others) if others else true
    return TEXT.location_skill([(thing, place)])


def mined_fact(scene, facts: dict[str, str]) -> str | None:
    """The one fact `facts` (object -> place, from a mined location skill) holds about the task's object."""
    thing = scene.task.obj_type
    return TEXT.location_skill([(thing, facts[thing])]) if thing in facts else None


def bank_facts(bank: Path) -> dict[str, str]:
    """object -> place, from the location skills ("When looking for an object: a in b, ...") of a bank:
    one skill of several facts, or one per object when task types are filed per object (the first
    fact about an object wins)."""
    facts: dict[str, str] = {}
    for line in (bank / "skills.jsonl").read_text().splitlines():
        text = json.loads(line)["text"]
        if text.startswith("When looking for an object:"):
            for thing, place in re.findall(r"(\w+) in (\w+)", text.split(":", 1)[1]):
                facts.setdefault(thing, place)
    if not facts:
        raise SystemExit(f"no location skill in {bank / 'skills.jsonl'}")
    return facts


def place_of(skill: str | None) -> str | None:
    return skill.rsplit(" in ", 1)[1].rstrip(".") if skill else None


def per_object(objects: list[str], hints: dict[str, list], won: dict[str, list[bool]]) -> None:
    """Success per arm and task object; with a mined arm, the share of episodes whose mined fact is right."""
    names = list(won)
    print(f"{'object':<12}{'n':>5}" + "".join(f"{n:>8}" for n in names) + ("  mined right" if "mined" in hints else ""))
    for thing in sorted(set(objects)):
        idx = [i for i, o in enumerate(objects) if o == thing]
        row = f"{thing:<12}{len(idx):>5}" + "".join(f"{sum(won[n][i] for i in idx) / len(idx):>8.2f}" for n in names)
        if "mined" in hints:
            mined = [i for i in idx if hints["mined"][i]]
            right = sum(place_of(hints["mined"][i]) == place_of(hints["right"][i]) for i in mined)
            row += f"  {right / len(mined):.2f}" if mined else "  (no fact)"
        print(row)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="a warm-started model directory")
    p.add_argument("--config", default="household_knowledge")
    p.add_argument("--episodes", type=int, default=200, help="eval seeds 0..N-1")
    p.add_argument("--temperature", type=float, default=0.4)
    p.add_argument("--bank", type=Path, default=None, help="a skill bank with a mined location skill")
    args = p.parse_args()
    cfg = load_config(args.config, [f"model.path={args.model}"])
    model, tok = load_policy(cfg.model.path, "cpu")
    engine = RolloutEngine(model, tok, replace(train_settings(cfg), split="eval", temperature=args.temperature))
    seeds = list(range(args.episodes))
    scenes = eval_scenes(cfg, seeds)
    hints = {name: [hint(sc, s, name == "right") for s, sc in zip(seeds, scenes)] for name in ("right", "wrong")}
    if args.bank:
        facts = bank_facts(args.bank)
        hints["mined"] = [mined_fact(sc, facts) for sc in scenes]
        print(f"mined facts: {facts}; they concern {sum(h is not None for h in hints['mined'])} episodes")
    won: dict[str, list[bool]] = {}
    for name in ("plain", *hints):
        def variant(g: int, i: int, t: int, name: str = name) -> Variant:
            skill = None if name == "plain" else hints[name][g]
            return Variant(skills=(skill,)) if skill else Variant()

        batch = engine.run(seeds, 1, variant_fn=variant, rng=torch.Generator().manual_seed(0))
        won[name] = [t.won for t in sorted(batch.trajectories, key=lambda t: t.seed)]
        lo, hi = wilson_interval(sum(won[name]), len(seeds))
        line = f"{name:<6} success {sum(won[name]) / len(seeds):.3f} [{lo:.3f}, {hi:.3f}]"
        if name == "right":
            follows = 0
            for traj in batch.trajectories:
                first_go = next((a for _, a in traj.steps if a.startswith("go to ")), "")
                follows += kind(first_go.removeprefix("go to ")) == place_of(hints["right"][traj.seed])
            line += f"  follows {follows / len(seeds):.1%}"
        print(line)
    per_object([sc.task.obj_type for sc in scenes], hints, won)


if __name__ == "__main__":
    main()
