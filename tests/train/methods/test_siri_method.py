"""SIRI's method on hand-made rollouts: paired validation updates U(z), the internalization gate
admits only action tokens of skill-arm rows whose skill is active with U > 0, weights are
clip(A, 0, c), and the loss plan carries λ and the masks. Plus a short end-to-end run."""

import numpy as np
import pytest

from siri.config import load_config
from siri.rollout.types import RolloutBatch, StepRow, Trajectory
from siri.train.methods.base import MethodContext
from siri.train.methods.registry import make_method
from siri.train.methods.siri.method import INT_MASK, RL_MASK, SKILL_ID
from siri.train.methods.siri.phases import PhaseState


def _row(g, traj, t, reward, skill_id, n_tokens=5, span=(1, 3)):
    prompts = {"sampled": [1, 2, 3], **({"plain": [1, 2]} if skill_id else {})}
    return StepRow(group_id=g, traj_id=traj, t=t, prompts=prompts, response_ids=list(range(10, 10 + n_tokens)),
                   behavior_logprobs=[-1.0] * n_tokens, action_span=span, reward=reward, valid=True,
                   anchor=f"obs{t}", task_type="pick", meta={SKILL_ID: skill_id} if skill_id else {})


def _batch(skill_id):
    """One group of 4: trajectories 0, 1 plain; 2, 3 under the skill. Returns 0, 10 | 10, 10."""
    rows, trajs = [], []
    rewards = {0: 0.0, 1: 10.0, 2: 10.0, 3: 10.0}
    for k in range(4):
        sid = skill_id if k >= 2 else None
        rows.append(_row(0, k, 0, rewards[k], sid))
        tr = Trajectory(group_id=0, traj_id=k, seed=7, task="put a mug in desk", task_type="pick",
                        meta={SKILL_ID: sid} if sid else {}, rows=[k], total_reward=rewards[k], won=rewards[k] > 0, steps=[("obs0", "go to desk 1")])
        trajs.append(tr)
    return RolloutBatch(rows=rows, trajectories=trajs)


def _method(*overrides):
    cfg = load_config(None, ["algo.name=siri", "algo.generator=extractive", "train.group_size=4",
                             "algo.n_eval=1", "algo.lambda_max=0.5", "algo.k_ramp=2", *overrides])
    return cfg, make_method(cfg)


def test_paired_validation_promotes_and_phase2_gates_action_tokens():
    cfg, m = _method()
    (sid,), _ = m.bank.add_candidates("pick", ["When the mug is on the desk: take it first."], "extractive")
    m.phase = PhaseState(phase=2, phase1_start=0, phase2_start=3)
    prepared = m.prepare(_batch(sid), MethodContext(cfg=cfg, iteration=4))
    skill = m.bank.get(sid)
    # Δ = mean(10, 10) − mean(0, 10) = 5; n = 1 = N_eval and U = 5 > τ_promote = 0 -> active.
    assert skill.utility == pytest.approx(5.0) and skill.n == 1 and skill.state == "active"
    assert prepared.metrics["paired/delta_mean"] == pytest.approx(5.0)
    assert prepared.metrics["paired/skill_arm_success"] == 1.0
    assert prepared.metrics["paired/plain_arm_success"] == 0.5
    # λ(4) with Phase 2 from 3 and K_ramp 2: Phase 2's second iteration, 0.5 · min(1, 2/2).
    assert prepared.plan.coefs["internalization"] == pytest.approx(0.5)
    assert prepared.plan.mask_fields == {"pg": RL_MASK, "kl": RL_MASK, "entropy": RL_MASK, "internalization": INT_MASK}
    adv, _ = m.gigpo(_batch(sid))
    for k, row in enumerate(prepared.rows):
        if k < 2:
            assert row.fields["int_weights"] == [0.0] * 5 and "plain" not in row.prompts
            continue
        expected = float(np.clip(adv[k], 0, 1))
        assert row.fields["int_weights"] == pytest.approx([0, expected, expected, 0, 0])  # action span 1..3
        assert row.prompts["plain"] == [1, 2]
    assert prepared.metrics["int/tokens"] == sum(2 for k in (2, 3) if adv[k] > 0)


def test_the_first_phase2_iteration_already_internalizes():
    """λ(0) = λ_max / K_ramp, not 0: the gated tokens of Phase 2's first iteration are trained on."""
    cfg, m = _method()
    (sid,), _ = m.bank.add_candidates("pick", ["When the mug is on the desk: take it first."], "extractive")
    m.phase = PhaseState(phase=2, phase1_start=0, phase2_start=4)
    prepared = m.prepare(_batch(sid), MethodContext(cfg=cfg, iteration=4))
    assert prepared.metrics["int/tokens"] > 0
    assert prepared.plan.coefs["internalization"] == pytest.approx(0.25)  # 0.5 · 1/2
    assert prepared.metrics["int/lambda"] == pytest.approx(0.25)


def test_candidate_skill_tokens_are_not_internalized_and_rl_mask_can_drop_skill_rows():
    cfg, m = _method("algo.n_eval=5", "algo.train_skill_arm=false")
    (sid,), _ = m.bank.add_candidates("pick", ["When the mug is on the desk: take it first."], "extractive")
    m.phase = PhaseState(phase=2, phase1_start=0, phase2_start=0)
    prepared = m.prepare(_batch(sid), MethodContext(cfg=cfg, iteration=5))
    assert m.bank.get(sid).state == "candidate"  # n = 1 < N_eval = 5
    assert prepared.metrics["int/tokens"] == 0
    assert [r.fields[RL_MASK][0] for r in prepared.rows] == [1.0, 1.0, 0.0, 0.0]


def test_no_weighting_ablation_gives_unit_weights_and_all_tokens_option():
    cfg, m = _method("algo.int_weighting=false", "algo.int_tokens=all")
    (sid,), _ = m.bank.add_candidates("pick", ["When the mug is on the desk: take it first."], "extractive")
    m.phase = PhaseState(phase=2, phase1_start=0, phase2_start=0)
    prepared = m.prepare(_batch(sid), MethodContext(cfg=cfg, iteration=5))
    assert prepared.rows[2].fields["int_weights"] == [1.0] * 5


def test_phase0_has_no_skill_arm_and_fills_the_buffer():
    cfg, m = _method("algo.n_req=100")
    variant = m.begin_iteration(0, [7])
    assert m.phase.phase == 0 and variant(0, 3, "pick").skills is None
    batch = _batch(None)
    prepared = m.prepare(batch, MethodContext(cfg=cfg, iteration=0))
    assert prepared.metrics["phase"] == "phase0" and "internalization" not in prepared.plan.coefs
    assert len(m.buffer) == 3  # three plain successes


def test_phase1_splits_each_group_into_plain_and_skill_arms():
    cfg, m = _method("algo.warmup=false")
    (sid,), _ = m.bank.add_candidates("pick", ["When the mug is on the desk: take it first."], "extractive")
    variant = m.begin_iteration(0, [7])
    arms = [variant(0, i, "pick") for i in range(4)]
    assert [a.meta.get(SKILL_ID) for a in arms] == [None, None, sid, sid]
    assert [a.views for a in arms] == [{}, {}, {"plain": None}, {"plain": None}]
    assert arms[2].skills == ("When the mug is on the desk: take it first.",)
    assert variant(1, 3, "other_type").meta == {}  # no skill for that task type


def test_siri_trains_end_to_end_and_checkpoints_its_state(tiny_cfg):
    from siri.train.loop import Trainer
    from siri.utils.metrics import read_metrics

    cfg = tiny_cfg("algo.name=siri", "algo.generator=extractive", "algo.warmup=false",
                   "algo.phase1_max_iters=1", "train.iterations=3")
    trainer = Trainer(cfg)
    trainer.run()
    rows = read_metrics(cfg.run_dir / "metrics.jsonl")
    assert [r["phase"] for r in rows] == ["phase1", "phase2", "phase2"]
    assert all("bank/size" in r for r in rows)
    assert (cfg.run_dir / "skills.jsonl").exists()
    resumed = Trainer(tiny_cfg("algo.name=siri", "algo.generator=extractive", "algo.warmup=false",
                               "algo.phase1_max_iters=1", "train.iterations=3"), resume=True)
    assert resumed.method.phase.phase == 2 and resumed.start == 3


def test_max_live_per_type_caps_what_a_mining_round_adds():
    # The extractive generator returns 3 skills for these successes; with a cap of 2 live skills per
    # task type only the first 2 enter the bank, the third is dropped and counted.
    from siri.agent import EpisodeRecord

    cfg, m = _method("algo.max_live_per_type=2", "algo.max_skills=3")
    assert m.bank.max_per_type == 2
    for task in ("put a mug in desk", "put a cup in desk"):
        m.buffer.add("pick", EpisodeRecord.from_steps(task, [("o1", "go to desk 1"), ("o2", "take mug 1 from desk 1"),
                                                           ("o3", "move mug 1 to desk 1")], True))
    metrics = m.miner.mine(m.buffer, MethodContext(cfg=cfg, iteration=0), 0)
    assert metrics["mine/added"] == 2 and len(m.bank.skills("pick")) == 2 and m.bank.n_over_cap == 1
    _, uncapped = _method("algo.max_skills=3")
    uncapped.buffer = m.buffer
    assert uncapped.miner.mine(m.buffer, MethodContext(cfg=cfg, iteration=0), 0)["mine/added"] == 3


def test_bank_rules_apply_once_per_iteration_on_all_its_groups():
    # Two groups test one skill in the same iteration: Δ_0 = 0 − 5 = −5 (skill arm 0, 0 | plain 0, 10) and
    # Δ_1 = 10 − 0 = +10, so U = 2.5 > 0 after both: promoted. Applying the rules after group 0 alone
    # (U = −5 < τ_retire with N_eval = 1) would have retired it for good, whatever group 1 showed.
    cfg, m = _method()
    (sid,), _ = m.bank.add_candidates("pick", ["When the mug is on the desk: take it first."], "extractive")
    rows, trajs = [], []
    for g, rewards in ((0, (0.0, 10.0, 0.0, 0.0)), (1, (0.0, 0.0, 10.0, 10.0))):
        for k, r in enumerate(rewards):
            tid, sk = 4 * g + k, sid if k >= 2 else None
            rows.append(_row(g, tid, 0, r, sk))
            trajs.append(Trajectory(group_id=g, traj_id=tid, seed=7 + g, task="put a mug in desk", task_type="pick",
                                    meta={SKILL_ID: sk} if sk else {}, rows=[tid], total_reward=r, won=r > 0, steps=[("o", "go to desk 1")]))
    m.phase = PhaseState(phase=1, phase1_start=0)
    m.prepare(RolloutBatch(rows=rows, trajectories=trajs), MethodContext(cfg=cfg, iteration=2))
    skill = m.bank.get(sid)
    assert skill.n == 2 and skill.utility == pytest.approx(2.5) and skill.state == "active"
    assert skill.state_changes == [{"iteration": 2, "from": "candidate", "to": "active"}]


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_active_skills_are_injected_while_candidates_wait_for_validation(share):
    """With an active skill and untried candidates of the same task type, a share `active_share` of the
    groups injects the active skill; plain UCB would try every untried candidate first (+inf bonus), so
    the active skill, the one internalization trains on, would hardly ever be injected."""
    cfg, m = _method("algo.n_eval=1", f"algo.active_share={share}")
    (good, *new), _ = m.bank.add_candidates("pick", ["When the mug is on the desk: take it first.",
                                                     "When the desk is empty: go to the shelf.",
                                                     "When the shelf is empty: go to the drawer."], "extractive")
    m.bank.record_evaluation(good, 5.0, iteration=0)
    m.bank.apply_rules(good, iteration=0)
    assert m.bank.get(good).state == "active" and all(m.bank.get(s).state == "candidate" for s in new)
    m.phase = PhaseState(phase=1, phase1_start=0)
    variant = m.begin_iteration(0, [0] * 400)
    chosen = [variant(g, 3, "pick").meta[SKILL_ID] for g in range(400)]  # rollout 3 is in the skill arm
    active = sum(c == good for c in chosen) / len(chosen)
    assert abs(active - share) < 0.08, active
    if share < 1.0:
        assert set(chosen) - {good} == set(new)  # the candidates are still tried
