"""Skill-SD's skill side (docs/algorithms.md §5): the library, its UCB bandit, and skill generation.

- **Retrieval**: at the start of an iteration each episode group draws one arm of its task type from
  the `SkillLibrary` (UCB1, or greedy); that structured skill conditions the *teacher* of every
  trajectory of the group. The student acts under the plain prompt throughout.
- **Spread pulls** (ours): within one iteration no reward has arrived yet, so every group of a task
  type would see the same UCB scores and pull the same arm. Each group's choice counts as a pending
  pull for the groups after it (the count in the UCB bonus is pulls + pending), so an iteration's
  groups spread over the arms: untried arms first, one each, then by the bonus.
- **Arm rewards** (one pull per group taught), `algo.arm_reward`, in [0, 1] (the scale UCB1's bonus
  assumes) except `advantage_alignment`:
  - `advantage_agreement` (ours, the default): over the group's taught rows with a non-zero advantage,
    the |A|-weighted share of their tokens on which the skill moved the teacher the way the advantage
    points (`sign(logπ_T − logπ_old) = sign(A)`; no move counts ½). 0.5 is a skill that tells the
    teacher nothing; 1 is one whose pull agrees with the RL signal on every token. Attributable to the
    skill: with `teacher_sync_interval` = 1 the skills block is the only difference between the
    teacher's and the sampler's inputs. A group whose advantages are all 0 gives no pull.
  - `advantage_alignment` (ours): `mean_rows A_row · mean_k (logπ_T(y_k) − logπ_old(y_k))`, the same
    signal unbounded (not on UCB's scale).
  - `group_success`: the share of the group's trajectories that succeeded. The spec's rule, the mean
    group-normalized return, is 0 by construction (one arm teaches the whole group, and normalized
    returns sum to 0); this keeps its idea, a skill judged by how its group did, on UCB's scale. It is
    not attributable to the skill: the student acts under the plain prompt.
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

import warnings
from typing import Any, Sequence

import numpy as np

from siri.agent import StructuredSkill
from siri.envs import agent_env_name
from siri.rollout.engine import Variant
from siri.rollout.types import RolloutBatch, Trajectory
from siri.skills import SkillLibrary, source_ids
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


def group_success_reward(trajectories: Sequence[Trajectory]) -> float:
    """Share of the group's trajectories that succeeded (see the module docstring)."""
    return float(np.mean([t.won for t in trajectories])) if trajectories else 0.0


def agreement_reward(advantages: Sequence[float], teacher_lps: Sequence[Sequence[float]],
                     old_lps: Sequence[Sequence[float]]) -> float | None:
    """The |A|-weighted share of tokens where sign(logπ_T − logπ_old) = sign(A) (½ where they are
    equal), over rows with A ≠ 0; None when no row has both a non-zero advantage and a token."""
    num = den = 0.0
    for a, t, o in zip(advantages, teacher_lps, old_lps):
        if a == 0 or not len(t):
            continue
        moved = np.sign(np.asarray(t, dtype=float) - np.asarray(o, dtype=float)) * np.sign(a)
        num += abs(a) * float(np.mean((moved + 1.0) / 2.0))
        den += abs(a)
    return num / den if den > 0 else None


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
        pending: dict[str, int] = {}

        def variant(g: int, i: int, task_type: str) -> Variant:
            if g not in self.group_arm:
                arm = self.library.select(task_type, rng, mode=self.s.selection, c=self.s.ucb_c, pending=pending)
                self.group_arm[g] = arm.id if arm is not None else None
                if arm is not None:
                    pending[arm.id] = pending.get(arm.id, 0) + 1
            arm_id = self.group_arm[g]
            return Variant() if arm_id is None else Variant(views={TEACHER: self.teacher_view(arm_id)})

        return variant

    def teacher_view(self, arm_id: str) -> StructuredSkill | tuple[str, ...]:
        """What the teacher's prompt shows of an arm (`algo.teacher_skill_form`, docs/algorithms.md §5):
        the structured skill, or its success patterns as one-line skills."""
        skill = self.library.structured(arm_id)
        return skill if self.s.teacher_skill_form == "structured" else skill.success_patterns

    # --- learner side -----------------------------------------------------------------------
    def record_rewards(self, batch: RolloutBatch, adv: np.ndarray, teacher: dict[int, list[float]],
                       iteration: int) -> dict[str, float]:
        """One bandit pull per taught group; `teacher` maps row index -> teacher log-probs."""
        return self.apply_rewards(self.arm_rewards(batch, adv, teacher), iteration)

    def arm_rewards(self, batch: RolloutBatch, adv: np.ndarray,
                    teacher: dict[int, list[float]]) -> list[tuple[int, str, float]]:
        """(group, arm, reward) of each taught group of `batch`, in group order: what one process
        observed, for the process that updates the library (`apply_rewards`)."""
        pulls = []
        for g, arm in sorted(self.group_arm.items()):
            if arm is None:
                continue
            trajs = [t for t in batch.trajectories if t.group_id == g]
            idx = [i for t in trajs for i in t.rows if i in teacher]
            signal = ([float(adv[i]) for i in idx], [teacher[i] for i in idx],
                      [batch.rows[i].behavior_logprobs for i in idx])
            if self.s.arm_reward == "group_success":
                reward = group_success_reward(trajs)
            elif self.s.arm_reward == "advantage_alignment":
                reward = alignment_reward(*signal)
            else:
                reward = agreement_reward(*signal)
                if reward is None:  # every advantage 0: nothing to judge the skill by, no pull
                    continue
            pulls.append((g, arm, float(reward)))
        return pulls

    def apply_rewards(self, pulls: Sequence[tuple[int, str, float]], iteration: int) -> dict[str, float]:
        """Update the library with `arm_rewards`' pulls, in the order given."""
        rewards = []
        for _g, arm, reward in pulls:
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
