"""The algorithm-blind update step: direction of the PPO update, mini-batch token-mean independent of
micro-batching, and new loss terms without touching the trainer."""

import copy

import pytest
import torch

from siri.algos.registry import ADVANTAGES, OLD_LOGPROBS, register_loss
from siri.policy.loading import load_policy
from siri.policy.prefix import build_tree
from siri.policy.scoring import score
from siri.algos.errors import AlgoError
from siri.train.batch import TokenBatch, TrainRow, right_align
from siri.train.update import LossPlan, UpdateSettings, policy_update, token_batch


def _rows(model, tok):
    prompts = [tok.encode("push every box onto a target"), tok.encode("up down left")]
    responses = [tok.encode("<action>up</action>"), tok.encode("<action>left right</action>")]
    old = score(model, prompts, responses)
    advs = [1.0, -1.0]
    return [
        TrainRow(prompts={"sampled": p}, response_ids=r,
                 fields={ADVANTAGES: [a] * len(r), OLD_LOGPROBS: lp.tolist()})
        for p, r, lp, a in zip(prompts, responses, old, advs)
    ], prompts, responses, old


def test_right_align_by_hand():
    t = right_align([[1, 2], [3], []], 3)
    assert t.tolist() == [[0, 1, 2], [0, 0, 3], [0, 0, 0]]


def test_token_batch_slices_equal_a_collation_of_the_slice_alone():
    rows = [TrainRow({"sampled": [1, 2, 3]}, [5, 6], {"x": [1.0, 2.0]}),
            TrainRow({"sampled": [4]}, [7], {"x": [3.0]}),
            TrainRow({"sampled": [8, 9], "plain": [9]}, [5, 6, 7], {"x": [4.0, 5.0, 6.0]})]
    batch = TokenBatch(rows, ["sampled", "plain"], ["x"], pad_id=0)
    f = batch.micro_fields([1, 0])  # rows 1 and 0 only: width 2, not the batch's 3
    assert f["response_mask"].tolist() == [[0, 1], [1, 1]]
    assert f["x"].tolist() == [[0, 3], [1, 2]]
    pos, vt = batch.micro_view("sampled", [1, 0])
    assert pos == [0, 1]
    assert vt.input_ids.tolist() == [[0, 0, 0, 4, 7], [1, 2, 3, 5, 6]]  # width 5, not the batch's 5+
    assert vt.attention_mask.tolist() == [[0, 0, 0, 1, 1], [1, 1, 1, 1, 1]]
    assert vt.response_mask.tolist() == [[0, 0, 0, 0, 1], [0, 0, 0, 1, 1]]
    pos, vt = batch.micro_view("plain", [0, 2])  # only row 2 has the plain view
    assert pos == [1] and vt.input_ids.tolist() == [[9, 5, 6, 7]]
    assert batch.micro_view("plain", [0, 1]) == ([], None)
    assert batch.count("x", [0, 2]) == 5.0 and batch.count("response_mask", [1, 2]) == 4.0


def test_a_field_the_loss_needs_and_a_row_lacks_is_an_error():
    rows = [TrainRow({"sampled": [1]}, [5, 6], {"x": [1.0, 2.0]}), TrainRow({"sampled": [1]}, [7], {})]
    with pytest.raises(AlgoError, match="field 'x' is needed by the loss but missing on 1 of 2 rows"):
        TokenBatch(rows, ["sampled"], ["x"], pad_id=0)


def test_a_term_may_not_weigh_rows_that_lack_its_view():
    rows = [TrainRow({"sampled": [1], "plain": [2]}, [5], {"int_weights": [1.0], "m": [1.0]}),
            TrainRow({"sampled": [1]}, [6], {"int_weights": [0.0], "m": [1.0]})]
    with pytest.raises(AlgoError, match="reads the 'plain' view, but 1 rows without that view"):
        token_batch(rows, LossPlan({"internalization": 1.0}, mask_fields={"internalization": "m"}), 0, "cpu")
    rows[1].fields["m"] = [0.0]
    token_batch(rows, LossPlan({"internalization": 1.0}, mask_fields={"internalization": "m"}), 0, "cpu")


def test_pg_update_raises_positive_and_lowers_negative_advantage_tokens(tiny_model_dir):
    model, tok = load_policy(tiny_model_dir, device="cpu")
    rows, prompts, responses, old = _rows(model, tok)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    policy_update(model, opt, rows, LossPlan({"pg": 1.0}), UpdateSettings(), tok.pad_token_id)
    new = score(model, prompts, responses)
    assert new[0].sum() > old[0].sum()
    assert new[1].sum() < old[1].sum()


def test_micro_batching_gives_the_same_step_as_one_pass(tiny_model_dir):
    base, tok = load_policy(tiny_model_dir, device="cpu")
    rows, *_ = _rows(base, tok)
    results = []
    for micro in (1, 2):
        model = copy.deepcopy(base)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        plan = LossPlan({"pg": 1.0, "entropy": 0.01})
        policy_update(model, opt, rows, plan, UpdateSettings(micro_batch_rows=micro, mini_batch_rows=2,
                                                             grad_clip=1e9), tok.pad_token_id)
        results.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.allclose(results[0], results[1], atol=1e-6)


TERM_SETS = [{"pg": 1.0, "kl": 0.1, "entropy": 0.01}, {"skill_sd": 0.5, "naive_k3_sd": 0.2, "naive_sq_sd": 0.3},
             {"internalization": 1.0}]


def test_the_term_sets_cover_every_built_in_term():
    from siri.algos.registry import loss_names  # importing siri.algos registers the built-in terms

    builtin = {n for n in loss_names() if not n.startswith("test_")}
    assert builtin <= set().union(*TERM_SETS), builtin - set().union(*TERM_SETS)


def equivalence_rows(base, tok):
    """Rows of different lengths under both views, with long shared prompt prefixes (so the shared-prefix
    path builds a real tree), exact duplicates, unshared prompts and an empty response."""
    from siri.algos.registry import INT_WEIGHTS, REF_LOGPROBS, TEACHER_LOGPROBS
    from tests.policy.test_prefix import shared_rows

    prompts, responses = shared_rows(tok, seed=2)
    old = score(base, prompts, responses)
    rows = []
    for k, (p, r, lp) in enumerate(zip(prompts, responses, old)):
        n = len(r)
        fields = {ADVANTAGES: [1.0 - 0.15 * k] * n, OLD_LOGPROBS: lp.tolist(), REF_LOGPROBS: (lp - 0.1 * k).tolist(),
                  TEACHER_LOGPROBS: (lp + 0.2).tolist(), INT_WEIGHTS: [0.5 * (k % 2)] * n, "m": [float(k % 2)] * n}
        views = {"sampled": p, **({"plain": p[: len(p) // 2 + 1]} if k % 2 else {})}
        rows.append(TrainRow(views, r, fields))
    return rows


class GradRecorder(torch.optim.Optimizer):
    """An optimizer whose step only records the accumulated gradient (one mini-batch = one step)."""

    def __init__(self, params):
        super().__init__(params, {})
        self.grads: list[torch.Tensor] = []

    def step(self, closure=None):
        self.grads = [p.grad.detach().clone().flatten() for g in self.param_groups for p in g["params"]]


def update_with(base, rows, plan, tok, **settings):
    """(metrics, the mini-batch's gradient) of one update over all `rows` as one mini-batch."""
    opt = GradRecorder(base.parameters())
    m = policy_update(base, opt, rows, plan, UpdateSettings(micro_batch_rows=4, mini_batch_rows=len(rows),
                                                            grad_clip=1e9, **settings),
                      tok.pad_token_id, torch.Generator().manual_seed(0))
    base.zero_grad(set_to_none=True)
    return m, torch.cat(opt.grads)


def largest_differences(tiny_model_dir, terms) -> dict[str, float]:
    """Largest |difference| of loss metrics and of gradients (relative to the largest gradient) between the
    row-by-row update (no sorting, no sharing) and each saving."""
    base, tok = load_policy(tiny_model_dir, device="cpu")
    rows = equivalence_rows(base, tok)
    trees = [build_tree([r.prompts["sampled"] for r in rows[i:i + 4]], [r.response_ids for r in rows[i:i + 4]])
             for i in range(0, len(rows), 4)]
    assert any(len(t.depths) > 1 for t in trees)  # micro-batches of 4 share prompt prefixes
    plan = LossPlan(dict(terms), mask_fields={"internalization": "m"} if "internalization" in terms else {})
    ref_m, ref_g = update_with(base, rows, plan, tok, sort_by_length=False, share_prefixes=False)
    assert ref_g.abs().max() > 1e-3  # a real gradient
    for m in (ref_m,):  # the reported loss is the whole mini-batch's: the coefficient-weighted sum of its terms
        assert m["loss"] == pytest.approx(sum(c * m[f"{t}/loss"] for t, c in terms.items()), rel=1e-5)
    out = {}
    for name, kw in (("sorted", dict(sort_by_length=True, share_prefixes=False)),
                     ("shared", dict(sort_by_length=True, share_prefixes=True))):
        m, g = update_with(base, rows, plan, tok, **kw)
        assert m.keys() == ref_m.keys()
        out[f"{name}/metrics"] = max(abs(m[k] - ref_m[k]) / max(1.0, abs(ref_m[k])) for k in m)
        out[f"{name}/grad"] = float((g - ref_g).abs().max() / ref_g.abs().max())
    return out


@pytest.mark.parametrize("terms", TERM_SETS)
def test_sorted_and_shared_micro_batches_give_the_same_step(tiny_model_dir, terms):
    """Sorting a mini-batch by length and computing shared prompt prefixes once only reorder sums: the same
    loss metrics and gradients as the row-by-row update (float tolerance), for every registered loss term,
    on both prompt views, with shared and unshared prompts."""
    diffs = largest_differences(tiny_model_dir, terms)
    assert all(v <= 1e-5 for v in diffs.values()), diffs


def base_params(model) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_a_new_registered_term_runs_through_the_unchanged_trainer(tiny_model_dir):
    model, tok = load_policy(tiny_model_dir, device="cpu")
    rows, prompts, responses, old = _rows(model, tok)
    for r in rows:
        r.fields["push_up"] = [1.0] * len(r.response_ids)

    @register_loss("test_maximize_logp", fields=("push_up",), coef=1.0)
    def maximize(batch, logp, entropy, mask, denom=None):
        return -(logp * batch["push_up"] * mask).sum() / denom, {}

    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    metrics = policy_update(model, opt, rows, LossPlan({"test_maximize_logp": 1.0}), UpdateSettings(),
                            tok.pad_token_id)
    new = score(model, prompts, responses)
    assert new[0].sum() > old[0].sum() and new[1].sum() > old[1].sum()
    assert "test_maximize_logp/loss" in metrics


class _Steps:
    def __init__(self):
        self.events = []

    def update_step(self, step, steps):
        self.events.append((step, steps))


def test_reporter_hears_every_mini_batch_of_every_epoch(tiny_model_dir):
    model, tok = load_policy(tiny_model_dir, device="cpu")
    rows, _, _, _ = _rows(model, tok)
    rows = rows * 5  # 10 rows in mini-batches of 4: 3 per epoch (4, 4, 2), 2 epochs
    heard = _Steps()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    policy_update(model, opt, rows, LossPlan({"pg": 1.0}), UpdateSettings(ppo_epochs=2, mini_batch_rows=4),
                  tok.pad_token_id, reporter=heard)
    assert heard.events == [(0, 6), (1, 6), (2, 6), (3, 6), (4, 6), (5, 6), (6, 6)]
