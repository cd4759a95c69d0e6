"""Loading a run directory: typed rows, phases, skills, eval files; a bad path is a one-line error."""

import json

import pytest

from report_fixtures import write_run
from siri.report.data import PhaseSpan, load_run, phase_spans
from siri.utils.errors import UserError


def test_load_run_reads_config_rows_skills_and_evals(siri_run):
    run = load_run(siri_run)
    assert (run.name, run.algo, run.env, run.seed) == ("siri-s0", "siri", "household", 0)
    assert [r["iteration"] for r in run.rows] == [0, 1, 2, 3, 4, 5]
    assert run.suffixes("train/success/") == ["clean", "heat"]
    assert [s.id for s in run.skills] == ["s1", "s2", "s3", "s4"]
    assert [e.name for e in run.evals] == ["final_eval"]
    assert run.evals[0].success["clean"] == {"n": 20, "success": 0.45, "ci_low": 0.38, "ci_high": 0.52}


def test_series_skips_missing_and_null_values(siri_run):
    run = load_run(siri_run)
    # eval only on odd iterations; the KL of iteration 3 was NaN, written as null
    assert run.series("eval/success") == ([1.0, 3.0, 5.0], [0.1, pytest.approx(0.3), 0.5])
    assert run.series("update/kl/loss")[0] == [0.0, 1.0, 2.0, 4.0, 5.0]
    assert run.series("eval/success", "env_steps")[0] == [200.0, 400.0, 600.0]
    with pytest.raises(UserError, match="unknown x axis"):
        run.series("train/success", "time")


def test_phase_spans_are_maximal_runs_of_one_phase():
    rows = [{"iteration": i, "phase": p} for i, p in enumerate(["a", "a", "b", "b", "b", "a"])]
    assert phase_spans(rows) == [PhaseSpan("a", 0, 1), PhaseSpan("b", 2, 4), PhaseSpan("a", 5, 5)]


def test_repeated_iteration_keeps_last_row_and_sft_rows_are_kept_apart(tmp_path):
    rows = [{"phase": "sft", "event": "data"}, {"iteration": 1, "phase": "gigpo", "train/success": 0.1},
            {"iteration": 0, "phase": "gigpo", "train/success": 0.0},
            {"iteration": 1, "phase": "gigpo", "train/success": 0.9}]
    run = load_run(write_run(tmp_path, "r", rows))
    assert [(r["iteration"], r["train/success"]) for r in run.rows] == [(0, 0.0), (1, 0.9)]
    assert run.other_rows == [{"phase": "sft", "event": "data"}]


def test_skill_utility_history_is_running_mean_of_deltas(siri_run):
    s1 = load_run(siri_run).skills[0]
    xs, ys = s1.utility_history()
    assert xs == [2.0, 3.0, 4.0]
    assert ys == pytest.approx([0.2, 0.3, 0.3])  # 0.2, (0.2+0.4)/2, (0.2+0.4+0.3)/3
    assert s1.was_active


def test_torn_skill_line_and_foreign_eval_json_are_skipped(tmp_path):
    run_dir = write_run(tmp_path, "r", [{"iteration": 0, "phase": "siri"}],
                        evals={"notes.json": {"hello": 1}})
    (run_dir / "skills.jsonl").write_text(json.dumps({"id": "a", "utility": 0.1, "n": 1}) + "\n{\"id\": \"b\", \"ut")
    run = load_run(run_dir)
    assert [s.id for s in run.skills] == ["a"]
    assert run.evals == [] and run.skipped_evals == ["notes.json"]


@pytest.mark.parametrize("make", ["missing", "empty_dir"])
def test_not_a_run_directory_is_a_one_line_user_error(tmp_path, make):
    path = tmp_path / "x"
    if make == "empty_dir":
        path.mkdir()
    with pytest.raises(UserError) as e:
        load_run(path)
    assert "not a run directory" in str(e.value) and "metrics.jsonl" in str(e.value)
    assert "\n" not in str(e.value)


def test_binary_and_garbled_files_are_one_line_errors_naming_the_line(tmp_path):
    good = json.dumps({"id": "a", "utility": 0.1, "n": 1}) + "\n"
    blob = bytes(range(128, 256)) + bytes(range(128))  # not UTF-8 from its first byte
    for name, data, where in [
        ("metrics.jsonl", b'{"iteration": 0}\n' + blob, "metrics file .*metrics.jsonl:2: not UTF-8"),
        ("config.yaml", b"run:\n" + blob, "run config .*config.yaml:2: not UTF-8"),
        ("skills.jsonl", good.encode() + blob, "skill bank .*skills.jsonl:2: not UTF-8"),
        ("skills.jsonl", (good + "{not json}\n" + good).encode(), "skill bank .*skills.jsonl:2: not a JSON line"),
    ]:
        run_dir = write_run(tmp_path, f"r_{name}_{len(data)}", [{"iteration": 0, "phase": "gigpo"}])
        (run_dir / name).write_bytes(data)
        with pytest.raises(UserError, match=where) as e:
            load_run(run_dir)
        assert "\n" not in str(e.value)


def test_skill_fields_of_unexpected_types_are_read_leniently(tmp_path):
    run_dir = write_run(tmp_path, "r", [{"iteration": 0, "phase": "siri"}])
    (run_dir / "skills.jsonl").write_text(json.dumps({"id": 1, "evaluations": 5, "state_changes": "x"}) + "\n")
    (skill,) = load_run(run_dir).skills
    assert (skill.id, skill.evaluations, skill.state_changes) == ("1", [], [])
