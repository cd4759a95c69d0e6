"""Skill-SD's skill side (docs/algorithms.md §5): the library, its UCB bandit, and skill generation.

- **Retrieval**: at the start of an iteration each episode group draws one arm of its task type from
  the `SkillLibrary` (UCB1, or greedy); that structured skill conditions the *teacher* of every
  trajectory of the group. The student acts under the plain prompt throughout.
- **Arm rewards** (one pull per group taught), `algo.arm_reward`:
  - `group_return` (the spec's rule, the default): the mean group-normalized return of the
    trajectories the arm taught. Caveat, stated plainly: the student acts under the plain prompt, so
    the skill cannot change this iteration's returns, and since one arm teaches every trajectory of
    its group the normalized returns of the group sum to zero: the reward is 0 for every group of
    two or more trajectories (up to ε), and the bandit degenerates to round-robin over untried arms
    followed by ties broken at random. Kept as the default because it is the spec's.
  - `advantage_alignment` (ours, an option): `mean_rows A_row · mean_k (logπ_T(y_k) − logπ_old(y_k))`
    over the group's taught rows. It measures what the skill does to the teacher on this iteration's
    own tokens: positive when conditioning on the skill raises the probability of the actions that
    earned a positive advantage and lowers those that earned a negative one, i.e. when the
    distillation pull agrees with the RL signal. It is attributable to the skill (the only difference
    between the teacher's and the sampler's inputs when `teacher_sync_interval` = 1) and non-zero
    whenever the group's returns differ.
- **Generation**: every `mine_every` iterations (from iteration 0) the configured generator (`self`:
  a frozen snapshot of the policy, `external`, `extractive`) summarizes up to `mine_k` completed
  trajectories of each task type of the current rollout, successes and failures mixed (about half
  each when both exist), into one structured skill (success patterns, mistakes, golden workflow),
  added as a new arm (duplicates are dropped by the library). A failed call skips that task type
  with a warning.
- **Persistence**: the library is written atomically to RUN_DIR/skills.jsonl after every iteration
  and saved in checkpoints (`state_dict`).
"""

from __future__ import annotations

import statistics
import warnings
from typing import Any, Sequence

import numpy as np

from siri.envs import agent_env_name
from siri.rollout.engine import Variant
from siri.rollout.types import RolloutBatch, Trajectory
from siri.skills import SkillLibrary, arm_rewards, source_ids
from siri.skills.generators import GeneratorHandle
from siri.train.methods.distill.teacher import TEACHER


def pick_trajectories(trajs: Sequence[Trajectory], k: int) -> list[Trajectory]:
    """Up to k trajectories, successes and failures mixed: ⌈k/2⌉ successes when there are enough
    failures to fill the rest, otherwise as many as needed; each side in trajectory order."""
    wins = sorted((t for t in trajs if t.won), key=lambda t: t.traj_id)
    losses = sorted((t for t in trajs if not t.won), key=lambda t: t.traj_id)
    n_win = min(len(wins), max(k - len(losses), (k + 1) // 2))
    n_loss = min(len(losses), k - n_win)
    return wins[:n_win] + losses[:n_loss]


def group_return_reward(group: int, arm: str, returns: Sequence[float]) -> float:
    """The spec's arm reward for one group taught by `arm`: mean group-normalized return."""
    values = arm_rewards([(group, arm, r) for r in returns])[arm]
    return float(statistics.fmean(values))


def alignment_reward(advantages: Sequence[float], teacher_lps: Sequence[Sequence[float]],
                     old_lps: Sequence[Sequence[float]]) -> float:
    """`mean_rows A_row · mean_k (logπ_T − logπ_old)` over rows (see the module docstring)."""
    per_row = [a * float(np.mean(np.asarray(t) - np.asarray(o))) for a, t, o in zip(advantages, teacher_lps, old_lps)
               if len(t)]
    return float(np.mean(per_row)) if per_row else 0.0


class SkillSource:
    """Owns the library and the generator; picks the teacher's skill per group and learns from it."""

    def __init__(self, cfg: Any):
        self.cfg, self.s = cfg, cfg.algo
        self.library = SkillLibrary(ucb_c=self.s.ucb_c, max_per_type=self.s.max_skills_per_type)
        self.group_arm: dict[int, str | None] = {}
        self.generator = GeneratorHandle(self.s, seed=cfg.run.seed)  # its call count is kept across resumes

    # --- rollout side -----------------------------------------------------------------------
    def variant_fn(self, iteration: int):
        """Per group, one arm of its task type for the teacher (none while the library is empty)."""
        rng = np.random.default_rng([self.cfg.run.seed, iteration, 29])
        self.group_arm = {}

        def variant(g: int, i: int, task_type: str) -> Variant:
            if g not in self.group_arm:
                arm = self.library.select(task_type, rng, mode=self.s.selection, c=self.s.ucb_c)
                self.group_arm[g] = arm.id if arm is not None else None
            arm_id = self.group_arm[g]
            return Variant() if arm_id is None else Variant(views={TEACHER: self.library.structured(arm_id)})

        return variant

    # --- learner side -----------------------------------------------------------------------
    def record_rewards(self, batch: RolloutBatch, adv: np.ndarray, teacher: dict[int, list[float]],
                       iteration: int) -> dict[str, float]:
        """One bandit pull per taught group; `teacher` maps row index -> teacher log-probs."""
        rewards = []
        for g, arm in sorted(self.group_arm.items()):
            if arm is None:
                continue
            trajs = [t for t in batch.trajectories if t.group_id == g]
            if self.s.arm_reward == "group_return":
                reward = group_return_reward(g, arm, [t.total_reward for t in trajs])
            else:
                idx = [i for t in trajs for i in t.rows if i in teacher]
                reward = alignment_reward([float(adv[i]) for i in idx], [teacher[i] for i in idx],
                                          [batch.rows[i].behavior_logprobs for i in idx])
            self.library.update(arm, reward, iteration)
            rewards.append(reward)
        out = {f"library/{k}": float(v) for k, v in self.library.counts().items()}
        out["library/groups_taught"] = float(len(rewards))
        if rewards:
            out["library/arm_reward_mean"] = float(np.mean(rewards))
        return out

    def mine(self, batch: RolloutBatch, model: Any, tokenizer: Any, iteration: int) -> dict[str, float]:
        """One generation round over the task types of this rollout (see the module docstring)."""
        env_name = agent_env_name(self.cfg.env.name)
        by_type: dict[str, list[Trajectory]] = {}
        for tr in batch.trajectories:
            by_type.setdefault(tr.task_type, []).append(tr)
        added = rejected = malformed = errors = 0
        gen = self.generator.start_round(model, tokenizer)  # one frozen copy of the policy for the round
        try:
            for task_type in sorted(by_type):
                chosen = pick_trajectories(by_type[task_type], self.s.mine_k)
                res = gen.generate_structured(task_type, env_name, chosen, self.s.max_items)
                if res.error is not None:
                    errors += 1
                    warnings.warn(f"skill generation for {task_type} skipped: {res.error}", stacklevel=2)
                    continue
                if res.skill is None:
                    malformed += 1
                    continue
                arm = self.library.add(task_type, res.skill, generator=self.s.generator, source=source_ids(chosen),
                                       iteration=iteration)
                added, rejected = added + (arm is not None), rejected + (arm is None)  # duplicate or full
        finally:
            self.generator.end_round()
        return {"mine/rounds": 1.0, "mine/added": float(added), "mine/rejected": float(rejected),
                "mine/malformed": float(malformed), "mine/errors": float(errors)}

    def due(self, iteration: int) -> bool:
        return iteration % self.s.mine_every == 0

    # --- checkpoints ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"library": self.library.state_dict(), "gen_calls": self.generator.calls}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.library = SkillLibrary.from_state_dict(state["library"])
        self.generator.calls = int(state.get("gen_calls", 0))
