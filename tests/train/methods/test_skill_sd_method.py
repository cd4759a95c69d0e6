"""Skill-SD / OPD / OPSD method (docs/algorithms.md §5) on hand-made rollouts and the tiny model.

Teacher log-probs are checked against a direct forward pass of the teacher model over
prompt ids ⊕ response ids (not against `siri.policy.scoring`, which the method itself uses)."""

import math

import numpy as np
import pytest
import torch

from siri.agent import StructuredSkill
from siri.algos.registry import TEACHER_LOGPROBS
from siri.config import load_config
from siri.policy.loading import chat_prompt_ids, load_policy
from siri.rollout.types import RolloutBatch, StepRow, Trajectory
from siri.skills import SkillLibrary
from siri.train.methods.base import MethodContext
from siri.train.methods.registry import make_method
from siri.train.methods.distill.method import SD_MASK, teacher_source
from siri.train.methods.distill.skills import agreement_reward, alignment_reward, pick_trajectories
from siri.train.methods.distill.teacher import CheckpointTeacher, PolicyTeacher
from siri.utils.errors import UserError

SKILL = StructuredSkill(success_patterns=("push the box toward the target",), mistakes=("pushing into a corner",),
                        workflow=("up", "left"))


def direct_logprobs(model, prompt, response):
    """log p(response[k] | prompt, response[<k]) by one plain forward pass, temperature 1."""
    ids = torch.tensor([list(prompt) + list(response)])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0].float()
    lp = torch.log_softmax(logits, -1)
    return [lp[len(prompt) - 1 + k, tok].item() for k, tok in enumerate(response)]


@pytest.fixture(scope="module")
def policy(tiny_model_dir):
    return load_policy(tiny_model_dir, "cpu")


def _cfg(*overrides):
    return load_config(None, ["env.name=sokoban", "algo.generator=extractive", "train.micro_batch_rows=2",
                              *overrides])


def _batch(tok, teacher_text=None, returns=(1.0, 3.0)):
    """One group of len(returns) one-step trajectories; rows of the first two carry a teacher prompt."""
    plain = chat_prompt_ids(tok, "Your current observation is: a small room. Answer with one action.")
    teach = chat_prompt_ids(tok, "Useful skills: push boxes along walls.\nYour current observation is: a small room.")
    rows, trajs = [], []
    for k, ret in enumerate(returns):
        resp = tok.encode(["<action>up</action>", "<action>left</action>", "go"][k % 3], add_special_tokens=False)
        prompts = {"sampled": plain, **({"teacher": teach} if k < 2 else {})}
        rows.append(StepRow(group_id=0, traj_id=k, t=0, prompts=prompts, response_ids=resp,
                            behavior_logprobs=[-1.0] * len(resp), action_span=None, reward=ret, valid=True,
                            anchor="room", task_type="sokoban"))
        trajs.append(Trajectory(group_id=0, traj_id=k, seed=5, task="push every box onto a target",
                                task_type="sokoban", rows=[k], total_reward=ret, won=ret > 2,
                                steps=[("room", ["up", "left", "go"][k % 3])]))
    return RolloutBatch(rows=rows, trajectories=trajs)


def test_prepare_scores_the_response_under_the_skill_prompt_with_the_teacher(policy):
    model, tok = policy
    cfg = _cfg("algo.name=skill_sd")
    m = make_method(cfg)
    batch = _batch(tok, returns=(1.0, 3.0, 0.0))
    prepared = m.prepare(batch, MethodContext(cfg=cfg, iteration=0, model=model, tokenizer=tok))
    for row, step in zip(prepared.rows, batch.rows):
        n = len(step.response_ids)
        if "teacher" not in step.prompts:
            assert row.fields[SD_MASK] == [0.0] * n and row.fields[TEACHER_LOGPROBS] == [0.0] * n
            continue
        assert row.fields[SD_MASK] == [1.0] * n
        want = direct_logprobs(model, step.prompts["teacher"], step.response_ids)
        assert row.fields[TEACHER_LOGPROBS] == pytest.approx(want, abs=1e-5)
        assert row.prompts["sampled"] == step.prompt_ids  # the student is trained on the plain prompt
    assert prepared.metrics["sd/taught_rows"] == 2.0
    # Plan: GRPO + KL + entropy + λ_SD · skill_sd on the taught tokens, with the spec's clamps.
    assert prepared.plan.coefs == {"pg": 1.0, "kl": 0.01, "entropy": 0.001, "skill_sd": 0.1}
    assert prepared.plan.mask_fields == {"skill_sd": SD_MASK}
    assert prepared.plan.params["skill_sd"] == {"max_neg_ell": 20.0, "max_log_rho": 10.0}


@pytest.mark.parametrize("loss", ["naive_k3_sd", "naive_sq_sd"])
def test_naive_presets_swap_the_loss_term(loss):
    cfg = _cfg("algo.name=skill_sd", f"algo.loss={loss}", "algo.lambda_sd=0.3")
    from siri.train.methods.distill.method import distill_plan

    plan = distill_plan(cfg)
    assert plan.coefs == {"pg": 1.0, "kl": 0.01, "entropy": 0.001, loss: 0.3}
    assert plan.mask_fields == {loss: SD_MASK} and loss not in plan.params


def test_policy_teacher_sync_every_k_iterations(policy):
    model, _ = policy
    student = __import__("copy").deepcopy(model)
    teacher = PolicyTeacher(2)
    first = next(student.parameters())
    t0 = teacher.model(0, student)
    assert t0 is not student and torch.equal(next(t0.parameters()), first)
    assert not next(t0.parameters()).requires_grad
    with torch.no_grad():
        first.add_(0.5)  # an "update"
    assert teacher.model(1, student) is t0 and not torch.equal(next(t0.parameters()), first)
    assert teacher.model(2, student) is t0 and torch.equal(next(t0.parameters()), first)  # synced at 2
    assert PolicyTeacher(1).model(3, student) is student  # interval 1: the current weights, no copy


def test_opd_scores_the_plain_prompt_with_the_checkpoint(policy, tmp_path):
    model, tok = policy
    other = __import__("copy").deepcopy(model)
    with torch.no_grad():
        for p in other.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(1)))
    other.save_pretrained(tmp_path / "teacher")
    tok.save_pretrained(tmp_path / "teacher")
    cfg = _cfg("algo.name=opd", f"algo.teacher_path={tmp_path / 'teacher'}")
    m = make_method(cfg)
    batch = _batch(tok)
    prepared = m.prepare(batch, MethodContext(cfg=cfg, iteration=0, model=model, tokenizer=tok))
    for row, step in zip(prepared.rows, batch.rows):
        assert row.fields[SD_MASK] == [1.0] * len(step.response_ids)  # every row, plain prompt
        want = direct_logprobs(other, step.prompt_ids, step.response_ids)
        assert row.fields[TEACHER_LOGPROBS] == pytest.approx(want, abs=1e-5)
        assert row.fields[TEACHER_LOGPROBS] != pytest.approx(direct_logprobs(model, step.prompt_ids,
                                                                              step.response_ids), abs=1e-3)


def test_opd_needs_a_path_and_the_same_vocabulary(policy, tiny_model_dir):
    with pytest.raises(UserError, match="teacher_path"):
        make_method(_cfg("algo.name=opd"))

    class OtherTokenizer:
        def get_vocab(self):
            return {"a": 0}

    with pytest.raises(UserError, match="vocabulary"):
        CheckpointTeacher(str(tiny_model_dir), "float32").model(0, policy[0], OtherTokenizer())


def test_teacher_source_follows_the_algorithm_name():
    assert teacher_source("skill_sd", "auto") == "skills"
    assert teacher_source("opd", "auto") == "checkpoint"
    assert teacher_source("opsd", "oracle_plan") == "oracle_plan"
    assert teacher_source("skill_sd", "oracle_plan") == "oracle_plan"
    with pytest.raises(UserError, match="algo.name=opsd uses algo.teacher=oracle_plan"):
        teacher_source("opsd", "skills")


def test_group_success_arm_rewards_are_recorded_in_the_library(policy):
    model, tok = policy
    cfg = _cfg("algo.name=skill_sd", "algo.arm_reward=group_success")
    m = make_method(cfg)
    lib = m.skills.library
    arm = lib.add("sokoban", SKILL, "extractive")
    m.skills.group_arm = {0: arm}
    m.prepare(_batch(tok, returns=(1.0, 3.0)), MethodContext(cfg=cfg, iteration=4, model=model, tokenizer=tok))
    # Returns 1 and 3: one of the two trajectories won (return > 2), so the reward is 1/2.
    got = lib.get(arm)
    assert got.n == 1 and got.utility == pytest.approx(0.5)
    assert got.evaluations == [{"iteration": 4, "reward": 0.5, "utility": 0.5}]
    m.skills.group_arm = {0: arm}
    m.prepare(_batch(tok, returns=(5.0,)), MethodContext(cfg=cfg, iteration=5, model=model, tokenizer=tok))
    assert got.n == 2 and got.utility == pytest.approx(0.75)


def test_agreement_reward_by_hand():
    # Row 1: A = −1, teacher − old = +1, 0 -> agreement 0 and ½: ½ · (0 + 0.5) = 0.25, weight 1.
    # Row 2: A = +2, teacher − old = +0.5 -> agreement 1, weight 2. Row 3: A = 0, ignored.
    got = agreement_reward([-1.0, 2.0, 0.0], [[-1.0, -2.0], [0.0], [-3.0]], [[-2.0, -2.0], [-0.5], [-1.0]])
    assert got == pytest.approx((1 * 0.25 + 2 * 1.0) / 3)
    assert agreement_reward([0.0], [[-1.0]], [[-2.0]]) is None  # no advantage: no evidence either way
    assert agreement_reward([], [], []) is None


def test_agreement_arm_reward_through_prepare_is_on_the_ucb_scale(policy):
    model, tok = policy
    cfg = _cfg("algo.name=skill_sd")  # the default arm reward
    m = make_method(cfg)
    arm = m.skills.library.add("sokoban", SKILL, "extractive")
    m.skills.group_arm = {0: arm}
    batch = _batch(tok, returns=(1.0, 3.0))
    m.prepare(batch, MethodContext(cfg=cfg, iteration=1, model=model, tokenizer=tok))
    # GRPO: A = ∓0.7071, equal weights; behaviour log-probs are −1 on every token.
    teacher = [direct_logprobs(model, r.prompts["teacher"], r.response_ids) for r in batch.rows]
    agree = [np.mean([(np.sign((t + 1.0) * sign) + 1) / 2 for t in lps]) for lps, sign in zip(teacher, (-1, 1))]
    got = m.skills.library.get(arm).utility
    assert 0.0 <= got <= 1.0 and got == pytest.approx(np.mean(agree), abs=1e-6)
    m.skills.group_arm = {0: arm}
    m.prepare(_batch(tok, returns=(2.0, 2.0)), MethodContext(cfg=cfg, iteration=2, model=model, tokenizer=tok))
    assert m.skills.library.get(arm).n == 1  # equal returns: every advantage 0, no pull


def test_the_groups_of_one_iteration_spread_over_the_arms():
    """Before any reward arrives every group sees the same scores; pending pulls spread the choices:
    three untried arms and six groups -> each arm twice, not one arm six times."""
    cfg = _cfg("algo.name=skill_sd")
    m = make_method(cfg)
    arms = [m.skills.library.add("sokoban", StructuredSkill((f"push {w}",), ("none",), ("up",)), "extractive")
            for w in ("left", "right", "down")]
    variant = m.skills.variant_fn(0)
    for g in range(6):
        variant(g, 0, "sokoban")
    chosen = [m.skills.group_arm[g] for g in range(6)]
    assert sorted(chosen) == sorted(arms * 2) and len(set(chosen[:3])) == 3


def test_alignment_reward_by_hand():
    # Row 1: A = −1, teacher − old = +1 on both tokens -> −1. Row 2: A = +1, teacher − old = 1.5 -> 1.5.
    got = alignment_reward([-1.0, 1.0], [[-1.0, -1.0], [0.0]], [[-2.0, -2.0], [-1.5]])
    assert got == pytest.approx(0.25)
    assert alignment_reward([], [], []) == 0.0


def test_pick_trajectories_mixes_successes_and_failures():
    trajs = [Trajectory(group_id=0, traj_id=k, seed=0, task="", task_type="t", won=won)
             for k, won in enumerate([True, False, True, True, False, True])]
    assert [t.traj_id for t in pick_trajectories(trajs, 4)] == [0, 2, 1, 4]  # 2 wins, 2 losses
    assert [t.traj_id for t in pick_trajectories(trajs, 5)] == [0, 2, 3, 1, 4]  # ⌈5/2⌉ wins
    assert [t.traj_id for t in pick_trajectories(trajs, 6)] == [0, 2, 3, 5, 1, 4]
    assert [t.traj_id for t in pick_trajectories(trajs[:1], 3)] == [0]


def test_mining_adds_a_structured_skill_and_writes_skills_jsonl(policy, tmp_path):
    model, tok = policy
    cfg = _cfg("algo.name=skill_sd", "algo.mine_every=2")
    m = make_method(cfg)
    ctx = MethodContext(cfg=cfg, iteration=1, model=model, tokenizer=tok, run_dir=tmp_path)
    metrics = m.prepare(_batch(tok, returns=(1.0, 3.0)), ctx)
    assert "mine/rounds" not in metrics.metrics and len(m.skills.library) == 0  # 1 % 2 != 0
    ctx.iteration = 2
    metrics = m.prepare(_batch(tok, returns=(1.0, 3.0)), ctx).metrics
    assert metrics["mine/added"] == 1.0 and metrics["library/size"] == 1.0
    (arm,) = m.skills.library.arms("sokoban")
    # The one success (trajectory 1, action "left") is the golden workflow; the failure is a mistake source.
    assert m.skills.library.structured(arm.id).workflow == ("left",)
    assert arm.source_trajs == [{"traj_id": 1, "seed": 5}, {"traj_id": 0, "seed": 5}]
    m.end_iteration(ctx)  # the library is written after the update
    saved = SkillLibrary.load(tmp_path / "skills.jsonl")
    assert [a.id for a in saved.arms()] == [arm.id]


def test_skill_variant_puts_the_selected_skill_in_the_teacher_prompt_only(policy):
    from siri.rollout.engine import RolloutEngine, RolloutSettings

    model, tok = policy
    cfg = _cfg("algo.name=skill_sd")
    m = make_method(cfg)
    arm = m.skills.library.add("sokoban", SKILL, "extractive")
    engine = RolloutEngine(model, tok, RolloutSettings(env_name="sokoban", max_steps=2, max_new_tokens=4))
    batch = engine.run([3, 4], 2, variant_fn=m.begin_iteration(0, [3, 4]), rng=torch.Generator().manual_seed(0))
    assert m.skills.group_arm == {0: arm, 1: arm}
    for row in batch.rows:
        assert "Golden workflow" not in tok.decode(row.prompt_ids)
        teacher_text = tok.decode(row.prompts["teacher"])
        assert "Golden workflow:" in teacher_text and "pushing into a corner" in teacher_text
        assert "skill_id" not in row.meta and "plain" not in row.prompts


def plan_actions(text: str) -> list[str]:
    """The actions of a rendered plan, `PREFIX (N actions): a1 -> a2 -> ...`."""
    return text.split(": ", 1)[1].split(" -> ")


def test_opsd_plan_solves_the_level_and_reaches_the_teacher_prompt_only(policy):
    from siri.envs import make_env
    from siri.rollout.engine import RolloutEngine, RolloutSettings
    from siri.train.loop import group_seeds
    from siri.train.methods.distill.oracle import PLAN_PREFIX

    model, tok = policy
    cfg = _cfg("algo.name=opsd", "train.groups_per_iter=2", "env.max_steps=15")
    m = make_method(cfg)
    seeds = group_seeds(cfg.run.seed, 3, 2)
    variant_fn = m.begin_iteration(3, seeds)
    for g, seed in enumerate(seeds):
        text = variant_fn(g, 0, "sokoban").views["teacher"][0]
        assert text.startswith(PLAN_PREFIX)
        actions = plan_actions(text)
        env = make_env("sokoban", split="train", max_steps=15)
        last = env.reset(seed)
        for a in actions:
            last = env.step(a)
        assert last.won and f"({len(actions)} actions)" in text
    engine = RolloutEngine(model, tok, RolloutSettings(env_name="sokoban", max_steps=2, max_new_tokens=4))
    batch = engine.run(seeds, 2, variant_fn=variant_fn, rng=torch.Generator().manual_seed(0))
    assert all("solution" not in tok.decode(r.prompt_ids) for r in batch.rows)
    assert all(PLAN_PREFIX in tok.decode(r.prompts["teacher"]) for r in batch.rows)
    prepared = m.prepare(batch, MethodContext(cfg=cfg, iteration=3, model=model, tokenizer=tok))
    r0 = batch.rows[0]
    assert prepared.rows[0].fields[TEACHER_LOGPROBS] == pytest.approx(
        direct_logprobs(model, r0.prompts["teacher"], r0.response_ids), abs=1e-5)
    batch.trajectories[0].seed += 1
    with pytest.raises(RuntimeError, match="oracle plan is for seed"):
        m.prepare(batch, MethodContext(cfg=cfg, iteration=3, model=model, tokenizer=tok))


def test_plan_source_solves_levels_of_the_split_it_is_given():
    from siri.envs import make_env
    from siri.train.methods.distill.oracle import PlanSource

    for split in ("train", "eval"):
        text = PlanSource("sokoban", {}, 15, None, 50, split=split).text(7)
        env = make_env("sokoban", split=split, max_steps=15)
        last = env.reset(7)
        for action in plan_actions(text):
            last = env.step(action)
        assert last.won


def test_render_plan_by_hand():
    from siri.train.methods.distill.oracle import render_plan

    assert render_plan(["up", "left"], 5) == "A solution to this task from its initial state (2 actions): up -> left"
    assert render_plan(["up", "left", "down"], 2).endswith("(3 actions): up -> left -> ...")


def test_old_teacher_gap_metric_by_hand(policy):
    model, tok = policy
    cfg = _cfg("algo.name=skill_sd")
    m = make_method(cfg)
    batch = _batch(tok, returns=(1.0, 3.0, 0.0))
    metrics = m.prepare(batch, MethodContext(cfg=cfg, iteration=0, model=model, tokenizer=tok)).metrics
    teach = [lp for r in batch.rows[:2] for lp in direct_logprobs(model, r.prompts["teacher"], r.response_ids)]
    assert metrics["sd/old_teacher_gap"] == pytest.approx(float(np.mean([-1.0 - t for t in teach])), abs=1e-5)
    assert math.isclose(metrics["sd/taught_fraction"], 2 / 3)


def test_the_sd_term_averages_over_taught_tokens_only():
    """Through the registry as the update step calls it: λ_SD · Σ_taught ρ(e^{−ℓ} − 1 + ℓ) / #taught."""
    from siri.algos.registry import OLD_LOGPROBS, RESPONSE_MASK, sum_losses

    logp = torch.log(torch.tensor([[0.5, 0.5, 0.5]], dtype=torch.float64))
    batch = {RESPONSE_MASK: torch.ones(1, 3, dtype=torch.float64),
             OLD_LOGPROBS: torch.log(torch.tensor([[0.25, 0.5, 0.5]], dtype=torch.float64)),  # ρ = 2, 1, 1
             TEACHER_LOGPROBS: torch.log(torch.tensor([[0.25, 0.25, 0.9]], dtype=torch.float64)),  # ℓ = ln 2, ln 2
             SD_MASK: torch.tensor([[1.0, 1.0, 0.0]], dtype=torch.float64)}
    loss, metrics = sum_losses({"skill_sd": 0.1}, batch, {"sampled": logp}, params={"skill_sd": {"denom": 2.0}},
                               mask_fields={"skill_sd": SD_MASK})
    per = math.log(2) - 0.5  # e^{−ln 2} − 1 + ln 2
    assert metrics["skill_sd/loss"].item() == pytest.approx((2 * per + per) / 2, rel=1e-12)
    assert loss.item() == pytest.approx(0.1 * 1.5 * per, rel=1e-12)


def test_advantage_alignment_arm_reward_through_prepare(policy):
    model, tok = policy
    cfg = _cfg("algo.name=skill_sd", "algo.arm_reward=advantage_alignment")
    m = make_method(cfg)
    arm = m.skills.library.add("sokoban", SKILL, "extractive")
    m.skills.group_arm = {0: arm}
    batch = _batch(tok, returns=(1.0, 3.0))
    m.prepare(batch, MethodContext(cfg=cfg, iteration=1, model=model, tokenizer=tok))
    # GRPO mean_std_norm: A = (R − 2)/(√2 + 1e-6) = ∓0.7071; behaviour log-probs are −1 on every token.
    adv = [-1 / (math.sqrt(2) + 1e-6), 1 / (math.sqrt(2) + 1e-6)]
    gaps = [np.mean([t + 1.0 for t in direct_logprobs(model, r.prompts["teacher"], r.response_ids)]) for r in batch.rows]
    assert m.skills.library.get(arm).utility == pytest.approx((adv[0] * gaps[0] + adv[1] * gaps[1]) / 2, abs=1e-5)


def test_patterns_form_shows_the_teacher_only_the_success_patterns_as_skill_lines(policy):
    """`algo.teacher_skill_form=patterns`: the teacher prompt holds the arm's success patterns as
    `- ` lines under the skills header, and none of the other sections."""
    from siri.rollout.engine import RolloutEngine, RolloutSettings

    model, tok = policy
    m = make_method(_cfg("algo.name=skill_sd", "algo.teacher_skill_form=patterns"))
    skill = StructuredSkill(("push the box toward the target", "walk around the walls"), ("pushing into a corner",),
                            ("up", "left"))
    arm = m.skills.library.add("sokoban", skill, "extractive")
    assert m.skills.teacher_view(arm) == skill.success_patterns
    engine = RolloutEngine(model, tok, RolloutSettings(env_name="sokoban", max_steps=1, max_new_tokens=4))
    batch = engine.run([3], 1, variant_fn=m.begin_iteration(0, [3]), rng=torch.Generator().manual_seed(0))
    teacher_text = tok.decode(batch.rows[0].prompts["teacher"])
    assert "- push the box toward the target\n- walk around the walls" in teacher_text
    assert "Golden workflow" not in teacher_text and "pushing into a corner" not in teacher_text
