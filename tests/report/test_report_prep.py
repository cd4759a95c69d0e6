"""What the plots draw, worked out by hand: noise to 0, phase bands, coinciding curves, time stages,
labels, and the x-axis option the single-run and compare reports share."""

import inspect

import pytest

from report_fixtures import eval_result
from siri.report.data import parse_eval, parse_skill
from siri.report.labels import DEFAULT_X, axis_label, check_x, is_count, phase_name, x_key, x_label
from siri.report.prep import (
    Overlap, PhaseBand, bar_spans, denoise, final_evaluation, iteration_to_x, overlap_note, overlaps, phase_bands,
    points_by_phase, time_stages,
)
from siri.utils.errors import UserError


def test_noise_relative_to_the_axis_is_zero_and_real_values_stay():
    # largest magnitude 3.0: tolerance max(1e-12, 1e-9 * 3) = 3e-9
    assert denoise([1e-17, 0.5, -2e-10, 3.0, -4e-9]) == [0.0, 0.5, 0.0, 3.0, -4e-9]
    # float sums that should cancel, e.g. (0.1 + 0.2 - 0.3) / 3 = 1.85e-17: all noise, all 0
    assert denoise([(0.1 + 0.2 - 0.3) / 3, (0.3 - 0.1 - 0.2) / 3]) == [0.0, 0.0]
    # a small value on its own axis is kept; on an axis reaching 1000 (tolerance 1e-6) it is noise
    assert denoise([1e-10]) == [1e-10]
    assert denoise([1e-10], scale=1000.0) == [0.0]
    assert denoise([]) == []


def _rows(phases, steps=None):
    return [{"iteration": i, "phase": p, **({"env_steps_total": steps[i]} if steps else {})}
            for i, p in enumerate(phases)]


def test_phase_bands_on_the_iteration_axis_are_iteration_plus_minus_half():
    rows = _rows(["phase0", "phase0", "phase1", "phase1", "phase1", "phase2"])
    assert phase_bands(rows, "iteration") == [PhaseBand("phase0", -0.5, 1.5), PhaseBand("phase1", 1.5, 4.5),
                                              PhaseBand("phase2", 4.5, 5.5)]


def test_phase_bands_on_the_env_step_axis_border_halfway_between_points():
    rows = _rows(["phase0", "phase0", "phase1", "phase1", "phase1", "phase2"], [100, 200, 400, 700, 800, 1000])
    # edges: 100 - 100/2 = 50; midpoints 150, 300, 550, 750, 900; 1000 + 200/2 = 1100
    assert phase_bands(rows, "env_steps") == [PhaseBand("phase0", 50, 300), PhaseBand("phase1", 300, 900),
                                              PhaseBand("phase2", 900, 1100)]
    rows[5].pop("env_steps_total")  # a row without the x value is left out
    assert phase_bands(rows, "env_steps")[-1] == PhaseBand("phase1", 300, 850)
    assert phase_bands([], "iteration") == []


def test_siri_phases_are_named_and_other_methods_keep_their_name():
    assert phase_name("phase0") == "Phase 0: warm-up"
    assert phase_name("phase1") == "Phase 1: mining"
    assert phase_name("phase2") == "Phase 2: internalization"
    assert phase_name("skill_sd") == "skill_sd"


def test_points_by_phase_split_a_series_by_the_phase_of_its_rows():
    rows = _rows(["phase0", "phase0", "phase1"], [10, 20, 35])
    for r, s in zip(rows, (0.1, None, 0.3)):
        r["train/success"] = s
    assert points_by_phase(rows, "train/success", "env_steps") == {"phase0": ([10], [0.1]), "phase1": ([35], [0.3])}


def test_identical_and_partly_identical_curves_are_found():
    xs = [0, 1, 2, 3, 4]
    a = (xs, [0.1, 0.2, 0.3, 0.4, 0.5])
    same = (xs, [0.1, 0.2, 0.1 + 0.2, 0.4, 0.5])  # 0.1 + 0.2 = 0.30000000000000004: equal to rounding
    prefix = (xs, [0.1, 0.2, 0.3, 0.9, 0.9])  # shares 3 of 5 points: >= max(3, 0.2 * 5)
    short = (xs, [0.1, 0.2, 0.7, 0.9, 0.9])  # shares 2: too little to hide anything
    found = overlaps([a, same, prefix, short])
    assert found == {1: Overlap(0, None), 2: Overlap(0, 2.0)}


def test_a_shared_flat_start_or_a_small_share_is_not_an_overlap():
    zeros = ([0, 1, 2, 3], [0.0, 0.0, 0.0, 1.0])
    other = ([0, 1, 2, 3], [0.0, 0.0, 0.0, 2.0])
    assert overlaps([zeros, other]) == {}  # both at 0 for a while is no news
    long_a = (list(range(30)), [0.01 * i for i in range(30)])
    long_b = (list(range(30)), [0.01 * i if i < 5 else 1.0 for i in range(30)])
    assert overlaps([long_a, long_b]) == {}  # 5 shared points < 0.2 * 30 = 6
    long_b[1][5] = 0.05  # now 6 shared points: enough
    assert overlaps([long_a, long_b]) == {1: Overlap(0, 5.0)}


def test_overlap_notes_name_the_curve_and_where_they_part():
    assert overlap_note("gigpo", None, "env_steps") == "same as gigpo"
    assert overlap_note("gigpo", 7600.0, "env_steps") == "same as gigpo up to 7,600 env steps"
    assert overlap_note("gigpo", 19.0, "iteration") == "same as gigpo up to iteration 19"


def test_time_stages_draw_teacher_and_skill_generation_apart_from_the_update():
    rows = [{"time/rollout": 10.0, "time/scoring": 2.0, "time/teacher": 3.0, "time/mining": 1.0, "time/update": 9.0,
             "time/eval": 4.0},
            {"time/rollout": 11.0, "time/scoring": 2.0, "time/teacher": 3.0, "time/update": 7.0}]
    assert time_stages(rows) == [("rollout", [10.0, 11.0]), ("reference scoring", [2.0, 2.0]),
                                 ("teacher scoring", [3.0, 3.0]), ("skill generation", [1.0, 0.0]),
                                 ("update", [9.0 - 3.0 - 1.0, 7.0 - 3.0]), ("evaluation", [4.0, 0.0])]
    # without a teacher (GiGPO) the update is time/update itself
    assert time_stages([{"time/rollout": 5.0, "time/update": 2.0}]) == [("rollout", [5.0]), ("update", [2.0])]
    # 0.3 - 0.1 - 0.2 = -2.8e-17 in floats: no update left, drawn as 0, not as a sliver below the axis
    stages = dict(time_stages([{"time/rollout": 10.0, "time/update": 0.3, "time/teacher": 0.1, "time/mining": 0.2}]))
    assert stages["update"] == [0.0]


def test_bars_centre_on_iterations_and_span_each_iterations_env_steps():
    assert bar_spans([0, 1, 2], "iteration") == ([-0.45, 0.55, 1.55], [0.9, 0.9, 0.9])
    # the first bar as wide as the second (150) but not below 0: from 0 to 100
    assert bar_spans([100, 250, 300], "env_steps") == ([0.0, 100, 250], [100.0, 150, 50])
    assert bar_spans([400, 500], "env_steps") == ([300, 400], [100, 100])


def test_final_evaluation_is_the_first_final_file_with_an_all_row():
    files = [parse_eval("sft_start", eval_result({"all": (10, 0.1, 0.0, 0.4)})),
             parse_eval("final_bad", eval_result({"clean": (10, 0.2, 0.1, 0.5)} | {"all": (10, 0.2, 0.1, 0.5)})),
             parse_eval("final_eval", eval_result({"all": (40, 0.35, 0.22, 0.5)}))]
    files[1].success.pop("all")
    assert final_evaluation(files).name == "final_eval"
    assert final_evaluation(files[:2]) is None


def test_iterations_map_to_their_env_steps_or_to_themselves():
    rows = [{"iteration": 0, "env_steps_total": 120}, {"iteration": 1}, {"iteration": 2, "env_steps_total": 370}]
    assert iteration_to_x(rows, "env_steps") == {0: 120, 2: 370}
    assert iteration_to_x(rows, "iteration") == {0: 0, 1: 1, 2: 2}


def test_utility_history_uses_the_recorded_utility_when_an_evaluation_has_no_delta():
    arm = parse_skill({"id": "a", "evaluations": [{"iteration": 5, "reward": 0.1, "utility": 0.1},
                                                  {"iteration": 10, "reward": 0.3, "utility": 0.2}]})
    assert arm.utility_history() == ([5, 10], [0.1, 0.2])
    siri = parse_skill({"id": "s", "evaluations": [{"iteration": 2, "delta": 1.0, "utility": 9.0},
                                                   {"iteration": 3, "delta": 0.0, "utility": 9.0}]})
    assert siri.utility_history() == ([2, 3], [1.0, 0.5])  # SIRI's U(z) is the running mean of Δ


def test_metric_labels_have_units_and_fall_back_to_the_key():
    assert axis_label("update/kl/loss") == "KL to the reference, k3 (nats/token)"
    assert axis_label("update/skill_sd/rho_mean") == "ρ = π_θ / π_old (mean) (ratio)"
    assert axis_label("train/success") == "train success rate"
    assert axis_label("update/something_new") == "update/something_new"
    assert is_count("bank/size") and is_count("library/active") and is_count("sd/taught_rows")
    assert not is_count("sd/taught_fraction") and not is_count("update/something_new")


def test_one_x_axis_option_with_one_default_for_single_run_and_compare():
    from siri.report.compare import write_compare
    from siri.report.markdown import write_report

    assert DEFAULT_X == "env_steps"
    assert inspect.signature(write_report).parameters["x"].default == DEFAULT_X
    assert inspect.signature(write_compare).parameters["x"].default == DEFAULT_X
    assert (x_key("env_steps"), x_key("iteration")) == ("env_steps_total", "iteration")
    assert (x_label("env_steps"), x_label("iteration")) == ("environment steps (total)", "iteration")
    with pytest.raises(UserError, match=r"^unknown x axis 'steps'; allowed: env_steps, iteration$"):
        check_x("steps")
