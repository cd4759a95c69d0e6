"""SIRI's phase machine, λ ramp, paired treatment effect, arms and success buffer (docs/algorithms.md §4)."""

from types import SimpleNamespace

import pytest

from siri.agent import EpisodeRecord
from siri.train.methods.siri.phases import (
    PhaseState, SuccessBuffer, advance_phase, lambda_at,
)


def _cfg(**kw):
    base = dict(warmup=True, n_req=4, min_warmup_iters=2, max_warmup_iters=5, phase1_min_iters=2, phase1_max_iters=4)
    base.update(kw)
    return SimpleNamespace(**base)


def test_phase0_needs_successes_and_min_iters():
    cfg = _cfg()
    s = PhaseState()
    assert advance_phase(s, 1, successes=10, internalizable=False, cfg=cfg).phase == 0  # only 1 iteration ran
    s2 = advance_phase(s, 2, successes=4, internalizable=False, cfg=cfg)
    assert (s2.phase, s2.phase1_start) == (1, 2)
    assert advance_phase(s, 3, successes=3, internalizable=False, cfg=cfg).phase == 0  # too few successes


def test_phase0_ends_at_max_iters_without_successes():
    s = advance_phase(PhaseState(), 5, successes=0, internalizable=False, cfg=_cfg())
    assert (s.phase, s.phase1_start) == (1, 5)


def test_no_warmup_ablation_starts_in_phase1():
    s = advance_phase(PhaseState(), 0, successes=0, internalizable=False, cfg=_cfg(warmup=False))
    assert (s.phase, s.phase1_start) == (1, 0)


def test_phase1_to_phase2_needs_min_iters_and_an_internalizable_skill():
    cfg = _cfg()
    s = PhaseState(phase=1, phase1_start=3)
    assert advance_phase(s, 4, 0, internalizable=True, cfg=cfg).phase == 1  # 1 iteration of phase 1 ran
    s5 = advance_phase(s, 5, 0, internalizable=True, cfg=cfg)
    assert (s5.phase, s5.phase2_start) == (2, 5)
    assert advance_phase(s, 6, 0, internalizable=False, cfg=cfg).phase == 1
    assert advance_phase(s, 7, 0, internalizable=False, cfg=cfg).phase == 2  # phase1_max_iters = 4


def test_state_is_not_mutated_and_phase2_is_final():
    s = PhaseState(phase=2, phase1_start=0, phase2_start=3)
    out = advance_phase(s, 10, 0, internalizable=False, cfg=_cfg())
    assert out == s and out is not s


def test_lambda_ramp_by_hand():
    # λ_max = 0.5, K_ramp = 4, Phase 2 from iteration 10: 0, 0.125, 0.25, 0.375, 0.5, 0.5
    # Phase 2 starts at 10: its first iteration already trains with λ_max / K_ramp, its 4th with λ_max.
    assert [lambda_at(i, 10, 0.5, 4) for i in range(9, 16)] == [0.0, 0.125, 0.25, 0.375, 0.5, 0.5, 0.5]
    assert lambda_at(3, None, 0.5, 4) == 0.0


def test_success_buffer_bounded_per_type_and_round_trips():
    buf = SuccessBuffer(bound=2)
    for k in range(3):
        buf.add("heat", EpisodeRecord(task=f"t{k}", actions=("a",), won=True))
    buf.add("cool", EpisodeRecord(task="c", actions=("b",), won=True))
    assert len(buf) == 3 and buf.task_types() == ["cool", "heat"]
    assert [r.task for r in buf.latest("heat", 5)] == ["t1", "t2"]
    other = SuccessBuffer(bound=2)
    other.load_state_dict(buf.state_dict())
    assert other.state_dict() == buf.state_dict()
