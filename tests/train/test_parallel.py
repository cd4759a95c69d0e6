"""How an iteration spreads over processes (docs/architecture.md "Many processes"), without processes:
the group split, merging rollouts and metrics rows, agreeing on the loss plan, per-rank seeds."""

from __future__ import annotations

import pytest

from siri.rollout.types import RolloutBatch, StepRow, Trajectory
from siri.rollout.summary import rollout_summary
from siri.train.distributed import SINGLE, World, rank_seed
from siri.train.parallel import agree_plan, light, merge_rollouts, merge_rows, split_groups
from siri.train.update import LossPlan


def test_rank_r_takes_groups_r_r_plus_w_with_their_one_process_seeds():
    seeds = [11, 22, 33, 44, 55, 66]
    assert split_groups(seeds, World(rank=0, size=3)) == ([11, 44], [0, 3])
    assert split_groups(seeds, World(rank=2, size=3)) == ([33, 66], [2, 5])
    assert split_groups(seeds, SINGLE) == (seeds, [0, 1, 2, 3, 4, 5])


def _part(group: int, rewards: list[float], valid: list[bool]) -> RolloutBatch:
    """One group of one trajectory per reward, each trajectory one step."""
    rows, trajs = [], []
    for i, (r, v) in enumerate(zip(rewards, valid)):
        rows.append(StepRow(group_id=group, traj_id=group * 10 + i, t=0, prompts={"sampled": [1, 2, 3]},
                            response_ids=[5] * (i + 1), behavior_logprobs=[-1.0] * (i + 1), action_span=None,
                            reward=r, valid=v, anchor="o", task_type="t"))
        trajs.append(Trajectory(group_id=group, traj_id=group * 10 + i, seed=group, task="x", task_type="t",
                                rows=[i], total_reward=r, won=r > 0))
    return RolloutBatch(rows=rows, trajectories=trajs)


def test_merged_rollouts_summarize_like_one_batch_of_every_rank():
    a, b = _part(1, [1.0, 0.0], [True, False]), _part(0, [1.0, 1.0, 0.0], [True, True, True])
    merged = merge_rollouts([light(a), light(b)])
    assert [t.group_id for t in merged.trajectories] == [0, 0, 0, 1, 1]  # (group, trajectory) order
    assert all(r.prompts == {} and r.behavior_logprobs == [] for r in merged.rows)
    # group 0's trajectories point past group 1's two rows
    assert [t.rows for t in merged.trajectories] == [[2], [3], [4], [0], [1]]
    s = rollout_summary(merged)
    assert s["success"] == pytest.approx(3 / 5) and s["invalid_ratio"] == pytest.approx(1 / 5)
    assert s["env_steps"] == 5.0 and s["response_tokens"] == 1 + 2 + 1 + 2 + 3


def test_merged_metrics_average_shared_keys_and_keep_rank_0_only_keys():
    rows = [{"iteration": 3, "phase": "phase1", "adv_mean": 0.5, "paired/groups": 2.0, "time/update": 1.0},
            {"iteration": 3, "phase": "phase1", "adv_mean": -0.25, "time/update": 3.0}]
    out = merge_rows(rows)
    assert out == {"iteration": 3, "phase": "phase1", "adv_mean": 0.125, "paired/groups": 2.0, "time/update": 2.0}
    assert isinstance(out["iteration"], int)


class _Gathered:
    """A stand-in for a 2-process World whose all_gather returns the given per-rank objects."""

    distributed = True

    def __init__(self, parts):
        self.parts = parts

    def all_gather(self, _obj):
        return self.parts


def test_a_term_one_rank_switches_on_is_on_everywhere():
    rank0 = LossPlan({"pg": 1.0, "internalization": 0.25}, {"internalization": "int_mask"}, {"pg": {"clip_low": 0.2}})
    rank1 = LossPlan({"pg": 1.0, "internalization": 0.0}, {}, {"pg": {"clip_low": 0.2}})
    world = _Gathered([(p.coefs, p.mask_fields, p.params) for p in (rank0, rank1)])
    plan = agree_plan(rank1, world)
    assert plan.coefs == {"pg": 1.0, "internalization": 0.25}
    assert plan.mask_fields == {"internalization": "int_mask"} and plan.params == {"pg": {"clip_low": 0.2}}
    other = LossPlan({"pg": 0.5}, {}, {"pg": {"clip_low": 0.2}})
    with pytest.raises(RuntimeError, match="'pg' differs between processes"):
        agree_plan(rank0, _Gathered([(p.coefs, p.mask_fields, p.params) for p in (rank0, other)]))
    assert agree_plan(rank0, SINGLE) is rank0


def test_rank_0_keeps_the_one_process_seed_and_the_others_draw_distinct_ones():
    assert rank_seed(7, 0) == 7
    assert len({rank_seed(7, r) for r in range(8)}) == 8
    assert rank_seed(7, 3) == rank_seed(7, 3)


def test_a_checkpoint_resumes_only_on_the_number_of_processes_that_wrote_it(tmp_path):
    import json

    import torch

    from siri.train.checkpoint import load_checkpoint
    from siri.train.parallel import check_world_size
    from siri.utils.errors import UserError

    check_world_size(2, World(rank=1, size=2), "iter_000003")
    with pytest.raises(UserError, match="written by 2 process\\(es\\) and this run has 4"):
        check_world_size(2, World(rank=0, size=4), "iter_000003")
    ckpt = tmp_path / "iter_000003"  # a sharded checkpoint's folders, its marker listing no files
    (ckpt / "dcp").mkdir(parents=True)
    (ckpt / "complete.json").write_text(json.dumps({"format": 2, "iteration": 3, "files": {}}))
    model = torch.nn.Linear(2, 2)
    with pytest.raises(UserError, match="written by several processes"):
        load_checkpoint(ckpt, model, torch.optim.AdamW(model.parameters()), None)
