"""report.md: summary, phases, final evaluation with CIs, skills, plots; missing data is said, not faked."""

from report_fixtures import write_run
from siri.report import write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ALL_PLOTS = ("success.png", "task_types.png", "skills.png", "bank.png", "stability.png", "time.png")


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 5000  # a real figure, not an empty canvas


def test_full_report_tables_hold_the_numbers_written_in(siri_run):
    path = write_report(siri_run)
    assert path == siri_run / "report.md"
    text = path.read_text()
    # summary
    assert "| iterations | 6 (iteration 0 to 5) |" in text
    assert "| environment steps | 600 |" in text
    assert "| final train success | 0.500 (mean of the last 6: 0.250) |" in text
    assert "| last eval success (in training) | 0.500 [0.450, 0.550] at iteration 5 |" in text
    # phases: mean train success of iterations (0, 1), (2, 3), (4, 5)
    assert "| phase0 | 0–1 | 2 | 0.050 | 200 |" in text
    assert "| phase2 | 4–5 | 2 | 0.450 | 600 |" in text
    # final evaluation, per task type then all
    assert "### final_eval (eval split, 40 episodes)" in text
    assert "| clean | 20 | 0.450 [0.380, 0.520] |" in text
    assert "| heat | 20 | 0.250 [0.110, 0.470] |" in text
    assert "| **all** | 40 | 0.350 [0.220, 0.500] |" in text
    assert "mean score 0.500 [0.400, 0.600]; mean steps 12.25; invalid-action ratio 0.031." in text
    # skills: 4 mined, s1 active, s2 retired, s3/s4 candidates; s4 has no utility yet
    assert "| 4 | 2 | 1 | 1 | 1 | self 4 |" in text
    top = text[text.index("### Top skills"):]
    assert top.index("| s1 |") < top.index("| s3 |") < top.index("| s2 |")
    assert "| s1 | clean | active | +0.300 | 3 | 2 | When the item is dirty: clean it \\| then place it. |" in text
    assert "| s4 |" not in text


def test_full_report_links_valid_pngs(siri_run):
    text = write_report(siri_run).read_text()
    for name in ALL_PLOTS:
        assert f"(report/{name})" in text
        assert_png(siri_run / "report" / name)
    # a SIRI run has no distillation term: the one plot skipped, and said so
    assert text.count("Skipped") == 1 and "_Skipped: no sd/* or distillation-loss values" in text


def test_missing_eval_skills_and_logs_are_reported_and_plots_skipped(tmp_path):
    rows = [{"iteration": i, "phase": "gigpo", "env_steps_total": 10 * (i + 1), "train/success": 0.2}
            for i in range(3)]
    run_dir = write_run(tmp_path, "plain", rows)
    text = write_report(run_dir).read_text()
    assert "_No evaluation results (eval/*.json absent)" in text
    assert "_No skill bank (skills.jsonl absent)" in text
    assert "_Skipped: no per-task-type success" in text
    assert "_Skipped: neither update/kl/loss nor update/entropy/entropy" in text
    assert "_Skipped: no time/* values" in text
    assert "| final train success | 0.200 (mean of the last 3: 0.200) |" in text
    assert "last eval success" not in text
    assert sorted(p.name for p in (run_dir / "report").iterdir()) == ["success.png"]
    assert_png(run_dir / "report" / "success.png")


def test_stale_plot_of_a_now_missing_series_is_removed(siri_run):
    write_report(siri_run)
    (siri_run / "skills.jsonl").unlink()
    text = write_report(siri_run).read_text()
    assert not (siri_run / "report" / "skills.png").exists()
    assert "(report/skills.png)" not in text


def test_sft_only_run_has_a_report_without_plots(tmp_path):
    rows = [{"phase": "sft", "event": "data"}, {"phase": "sft", "event": "done", "steps": 120, "loss": 0.4321}]
    run_dir = write_run(tmp_path, "sft", rows)
    text = write_report(run_dir).read_text()
    assert "| iterations | 0 (no RL iteration rows in metrics.jsonl) |" in text
    assert "| SFT warm start | 120 steps, final loss 0.432 |" in text
    assert text.count("_Skipped:") == 7


def test_at_a_glance_shows_the_milestones_the_premise_the_promoted_skills_and_internalized_tokens(tmp_path):
    from report_fixtures import eval_result, siri_rows, skill

    rows = siri_rows()
    for row, tokens in zip(rows, [0, 0, 0, 0, 120, 0]):
        row["int/tokens"] = float(tokens)
    evals = {"sft_start.json": eval_result({"all": (500, 0.30, 0.26, 0.34)}),
             "sft_start_skills.json": eval_result({"all": (500, 0.55, 0.51, 0.59)}),
             "phase0_end.json": eval_result({"all": (500, 0.35, 0.31, 0.39)}),
             "final_eval.json": eval_result({"all": (500, 0.42, 0.38, 0.46)})}
    demoted = skill("s2", "retired", [-1.0], task="heat")
    demoted["state_changes"] = [{"iteration": 3, "from": "candidate", "to": "active"},
                                {"iteration": 4, "from": "active", "to": "retired"}]
    skills = [skill("s1", "active", [2.0, 4.0]), demoted, skill("s3", "candidate", [1.0]),
              skill("s4", "retired", [-2.0])]
    run = write_run(tmp_path, "qs", rows, algo="siri", skills=skills, evals=evals)
    text = write_report(run).read_text()
    glance = text[text.index("## At a glance"):text.index("## Summary")]
    assert "| SFT start | 0.300 [0.260, 0.340] | 500 |" in glance
    assert "| end of Phase 0 | 0.350 [0.310, 0.390] | 500 |" in glance
    assert "| end | 0.420 [0.380, 0.460] | 500 |" in glance
    assert glance.index("SFT start") < glance.index("end of Phase 0") < glance.index("| end |")
    assert ("The warm start with each task type's best active skill in its prompt: 0.550 [0.510, 0.590], against "
            "0.300 [0.260, 0.340] plain (+0.250).") in glance
    # s1 is active and s2 was promoted before it was retired; the candidate s3 and s4, retired as a
    # candidate, never were
    assert "| clean | active | +3.000 | 2 | When x: do y. |" in glance
    assert "| heat | retired | -1.000 | 1 | When x: do y. |" in glance and "+1.000" not in glance and "-2.000" not in glance
    assert "Action tokens internalized per iteration: 4: 120." in glance


def test_a_run_without_milestones_or_skills_has_no_at_a_glance(tmp_path):
    from report_fixtures import siri_rows

    text = write_report(write_run(tmp_path, "g", siri_rows())).read_text()
    assert "## At a glance" not in text
