"""The rollout engine: lock-step groups, token-in/token-out rows, prompt variants, action spans."""

import torch

from siri.agent import build_prompt
from siri.policy.loading import chat_prompt_ids, load_policy
from siri.policy.scoring import score
from siri.rollout.engine import RolloutEngine, RolloutSettings, Variant
from siri.rollout.spans import char_span_to_token_span


def _engine(model_dir, **kw):
    model, tok = load_policy(model_dir, device="cpu")
    settings = RolloutSettings(env_name="sokoban", max_steps=3, max_new_tokens=6, **kw)
    return RolloutEngine(model, tok, settings), model, tok


def test_groups_share_initial_state_and_rows_follow_the_spec(tiny_model_dir):
    engine, model, tok = _engine(tiny_model_dir)
    batch = engine.run([11, 22], group_size=3, rng=torch.Generator().manual_seed(0))
    assert len(batch.trajectories) == 6
    by_group = {}
    for tr in batch.trajectories:
        first = batch.rows[tr.rows[0]]
        by_group.setdefault(tr.group_id, set()).add(first.anchor)
        assert [batch.rows[i].t for i in tr.rows] == list(range(tr.length))
        assert tr.length <= 3
    assert all(len(anchors) == 1 for anchors in by_group.values())  # same start state within a group
    assert by_group[0] != by_group[1]
    for row in batch.rows:
        assert len(row.response_ids) == len(row.behavior_logprobs) <= 6
        assert row.response_text == tok.decode(row.response_ids, skip_special_tokens=False)


def test_prompt_ids_are_the_agent_prompt_and_logprobs_match_the_scorer(tiny_model_dir):
    engine, model, tok = _engine(tiny_model_dir)
    batch = engine.run([5], group_size=2, rng=torch.Generator().manual_seed(1))
    row = batch.rows[0]
    tr = batch.trajectories[0]
    first_obs = tr.steps[0][0]
    from siri.envs import make_env

    env = make_env("sokoban", max_steps=3)
    first = env.reset(5)
    text = build_prompt("sokoban", task=first.task, observation=first_obs, admissible=first.admissible_actions,
                        history=[], step=0, think=False, skills=None, history_len=2)
    assert row.prompt_ids == chat_prompt_ids(tok, text)
    rescored = score(model, [r.prompt_ids for r in batch.rows], [r.response_ids for r in batch.rows])
    for r, lp in zip(batch.rows, rescored):
        assert torch.allclose(lp, torch.tensor(r.behavior_logprobs), atol=1e-4)


def test_same_generator_seed_same_batch(tiny_model_dir):
    engine, _, _ = _engine(tiny_model_dir)
    a = engine.run([3, 4], 2, rng=torch.Generator().manual_seed(7))
    b = engine.run([3, 4], 2, rng=torch.Generator().manual_seed(7))
    assert [r.response_ids for r in a.rows] == [r.response_ids for r in b.rows]


def test_skill_variant_records_plain_prompt_and_teacher_variant_keeps_acting_plain(tiny_model_dir):
    engine, _, tok = _engine(tiny_model_dir)

    def variants(g, i, task_type):
        if i == 0:
            return Variant(skills=("When a box is near a wall: push it along the wall.",), views={"plain": None},
                           meta={"skill_id": "s1"})
        if i == 1:
            return Variant(views={"teacher": ("When stuck: step back.",)})
        return Variant()

    batch = engine.run([9], 3, variant_fn=variants, rng=torch.Generator().manual_seed(0))
    rows = {tr.traj_id: [batch.rows[i] for i in tr.rows] for tr in batch.trajectories}
    skill_row, teacher_row, plain_row = rows[0][0], rows[1][0], rows[2][0]
    assert "push it along the wall" in tok.decode(skill_row.prompt_ids)
    assert skill_row.meta == {"skill_id": "s1"} and batch.trajectories[0].meta == {"skill_id": "s1"}
    assert skill_row.prompts["plain"] == plain_row.prompt_ids  # same start state, plain prompt
    assert teacher_row.prompt_ids == plain_row.prompt_ids and set(teacher_row.prompts) == {"sampled", "teacher"}
    assert "step back" in tok.decode(teacher_row.prompts["teacher"])
    assert set(plain_row.prompts) == {"sampled"} and plain_row.meta == {}



def test_char_span_to_token_span_by_hand():
    # tokens: "<action>" "go" " to" " fridge" "</action>"  -> char ends 8, 10, 13, 20, 29
    ends = [8, 10, 13, 20, 29]
    assert char_span_to_token_span(ends, 8, 20) == (1, 4)
    assert char_span_to_token_span(ends, 9, 12) == (1, 3)  # partial overlap counts
    assert char_span_to_token_span(ends, 20, 20) is None


class _Turns:
    def __init__(self):
        self.events = []

    def rollout_turn(self, turn, max_turns, episodes_done, episodes):
        self.events.append((turn, max_turns, episodes_done, episodes))


def test_reporter_hears_every_turn_with_the_episodes_done(tiny_model_dir):
    engine, _, _ = _engine(tiny_model_dir)
    heard = _Turns()
    batch = engine.run([11, 22], 2, rng=torch.Generator().manual_seed(0), reporter=heard)
    lengths = [tr.length for tr in batch.trajectories]
    # turn 0 (the start) then one event per turn, up to the longest trajectory (at most max_steps = 3);
    # after turn t, the trajectories of length <= t are done
    assert heard.events == [(t, 3, sum(n <= t for n in lengths), 4) for t in range(max(lengths) + 1)]
    assert heard.events[-1][2] == 4
