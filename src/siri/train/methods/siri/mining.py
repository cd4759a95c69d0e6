"""SIRI Phase 1 mining (docs/algorithms.md §4): every I_mine iterations the configured generator (by
default a frozen snapshot of the current policy) summarizes up to k successful trajectories of each
task type into candidate skills. A failed call skips that task type's round with a warning."""

from __future__ import annotations

import warnings
from typing import Any

from siri.envs import agent_env_name
from siri.skills import SkillBank
from siri.skills.generators import GeneratorHandle
from siri.train.methods.siri.phases import SuccessBuffer


def bank_from_config(s: Any) -> SkillBank:
    return SkillBank(n_eval=s.n_eval, tau_promote=s.tau_promote, tau_retire=s.tau_retire, validation=s.validation,
                     max_per_type=s.max_live_per_type)


class Miner:
    """Owns the skill bank and the generator; `mine` runs one round over every task type."""

    def __init__(self, cfg: Any):
        self.cfg, self.s = cfg, cfg.algo
        self.bank = bank_from_config(self.s)
        self.generator = GeneratorHandle(self.s, seed=cfg.run.seed)  # its call count is kept across resumes

    def load_bank_state(self, state: dict[str, Any]) -> None:
        self.bank = SkillBank.from_state_dict(state)

    def mine(self, buffer: SuccessBuffer, ctx: Any, iteration: int) -> dict[str, float]:
        gen = self.generator.start_round(ctx.model, ctx.tokenizer)  # one frozen copy of the policy for the round
        env_name = agent_env_name(self.cfg.env.name)
        added = dups = malformed = errors = 0
        try:
            for task_type in buffer.task_types():
                records = buffer.latest(task_type, self.s.mine_k)
                result = gen.generate(task_type, env_name, records, self.s.max_skills)
                if result.error is not None:
                    errors += 1
                    warnings.warn(f"skill mining for {task_type} skipped: {result.error}", stacklevel=2)
                    continue
                malformed += result.n_malformed
                source = [{"task": r.task} for r in records]
                ids, d = self.bank.add_candidates(task_type, result.skills, generator=self.s.generator,
                                                  source=source, iteration=iteration)
                added += len(ids)
                dups += d
        finally:
            self.generator.end_round()
        return {"mine/rounds": 1.0, "mine/added": float(added), "mine/duplicates": float(dups),
                "mine/malformed": float(malformed), "mine/errors": float(errors)}
