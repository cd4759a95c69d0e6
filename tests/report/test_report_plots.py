"""The drawn figures: what each shows (read back from the matplotlib objects before saving) and that
every PNG is written, for a SIRI run, a Skill-SD run and a comparison, on either x axis."""

import pytest

import siri.report.compare as compare
import siri.report.compare_plots as compare_plots
import siri.report.plots as plots
import siri.report.plots_methods as plots_methods
from report_fixtures import eval_result, siri_rows, write_run
from siri.report import write_report
from siri.report.compare import write_compare
from siri.report.data import load_run
from siri.report.style import Curve, draw_curves, new_figure
from siri.utils.errors import UserError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def figures(monkeypatch):
    """Every figure a plot saves, kept for inspection (the PNG is still written)."""
    kept = []
    for module in (plots, plots_methods, compare, compare_plots):
        real = module.save_png
        monkeypatch.setattr(module, "save_png", lambda fig, path, real=real: kept.append(fig) or real(fig, path))
    return kept


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_a_curve_equal_to_an_earlier_one_is_dashed_and_named_and_noise_is_drawn_as_zero():
    fig, axes = new_figure()
    ax = axes[0][0]
    xs = [100, 200, 300]
    draw_curves(ax, [Curve("gigpo", xs, [0.1, 0.2, 0.3], "C0"), Curve("siri", xs, [0.1, 0.2, 0.3], "C1"),
                     Curve("noise", xs, [1e-17, -1e-17, 0.0], "C2")], "env_steps")
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["gigpo", "siri (same as gigpo)", "noise"]
    assert lines[0].get_linestyle() == "-" and lines[1].get_linestyle() == "--"
    assert list(lines[2].get_ydata()) == [0.0, 0.0, 0.0]


def _sd_rows():
    rows = []
    for it in range(4):
        rows.append({"iteration": it, "phase": "skill_sd", "env_steps_total": 50 * (it + 1), "train/success": 0.25 * it,
                     "sd/taught_fraction": 0.5, "sd/taught_rows": 8, "sd/old_teacher_gap": 0.3,
                     "update/skill_sd/loss": 0.2, "update/skill_sd/ell_mean": 0.4 - 0.1 * it,
                     "update/skill_sd/rho_mean": 1.0, "update/skill_sd/reverse_kl_k3": 0.19,
                     "library/size": 2 + it, "library/active": 2 + it, "library/retired": 0,
                     "time/rollout": 5.0, "time/scoring": 1.0, "time/teacher": 2.0, "time/update": 4.0})
    return rows


def test_success_names_the_phases_and_draws_the_final_evaluation_right_of_the_last_point(siri_run, figures):
    plots.plot_success(load_run(siri_run), siri_run / "s.png", "env_steps")
    ax = figures[-1].axes[0]
    legend = _legend(ax)
    assert legend[:3] == ["train (Phase 0: warm-up)", "train (Phase 1: mining)", "train (Phase 2: internalization)"]
    assert "final held-out 0.350\n(final_eval, 40 episodes, 95% CI)" in legend
    assert {"Phase 0:\nwarm-up", "Phase 2:\ninternalization"} <= {t.get_text() for t in ax.texts}
    star = ax.containers[-1].lines[0]  # errorbar container: (data line, caps, bars)
    # last point at 600 env steps, first at 100: the star 2% of 500 to the right
    assert list(star.get_xdata()) == [610.0] and list(star.get_ydata()) == [0.35]


def test_time_shows_the_teacher_apart_from_the_update(tmp_path, figures):
    run = load_run(write_run(tmp_path, "sd", _sd_rows(), algo="skill_sd"))
    plots.plot_time(run, tmp_path / "t.png", "iteration")
    ax = figures[-1].axes[0]
    assert _legend(ax) == ["rollout", "reference scoring", "teacher scoring", "update"]
    update = [b for b in ax.containers if b.get_label() == "update"][0]
    assert [p.get_height() for p in update] == [2.0] * 4  # time/update 4 s minus the teacher's 2 s


def test_counts_get_integer_ticks(tmp_path, figures):
    rows = _sd_rows()
    for r in rows:  # 3 to 4 skills: a plain locator would tick at 3.25, 3.5, ...
        r["library/size"], r["library/active"] = 3 + r["iteration"] // 3, 3
    run = load_run(write_run(tmp_path, "sd", rows, algo="skill_sd"))
    plots.plot_bank(run, tmp_path / "b.png", "iteration")
    ax = figures[-1].axes[0]
    assert all(float(t).is_integer() for t in ax.get_yticks())
    assert ax.get_ylabel() == "skills"


def test_distillation_panels_carry_readable_labels(tmp_path, figures):
    run = load_run(write_run(tmp_path, "sd", _sd_rows(), algo="skill_sd"))
    plots_methods.plot_distill(run, tmp_path / "d.png", "env_steps")
    axes = figures[-1].axes
    visible = [ax for ax in axes if ax.get_visible()]
    assert [ax.get_ylabel() for ax in visible] == ["nats/token", "ρ = π_θ / π_old (mean) (ratio)", "nats/token",
                                                   "taught share of rows (share)"]
    assert _legend(visible[0]) == ["ℓ = log π_θ − log π_T (mean)",
                                   "log π_old − log π_T (mean, before the update)"]
    assert visible[0].get_xlabel() == "environment steps (total)"
    assert plots_methods.plot_distill(load_run(tmp_path / "sd"), tmp_path / "d.png", "iteration") is not None
    assert plots_methods.plot_distill(load_run(write_run(tmp_path, "g", siri_rows())), tmp_path / "n.png",
                                      "iteration") is None


def test_skill_utilities_at_rounding_noise_are_drawn_as_zero_height_bars(tmp_path, figures):
    arms = [{"id": f"a{k}", "state": "active", "utility": u, "evaluations": []}
            for k, u in enumerate(((0.1 + 0.2 - 0.3) / 3, -9.25e-18))]
    run = load_run(write_run(tmp_path, "sd", _sd_rows(), algo="skill_sd", skills=arms))
    plots_methods.plot_skills(run, tmp_path / "k.png", "env_steps")
    ax = figures[-1].axes[0]
    assert [p.get_height() for p in ax.patches] == [0.0, 0.0]
    assert ax.get_ylabel() == "arm's mean reward"


def test_skill_sd_report_writes_its_own_plots(tmp_path):
    run = write_run(tmp_path, "sd", _sd_rows(), algo="skill_sd",
                    evals={"final_eval.json": eval_result({"all": (40, 0.5, 0.35, 0.65)})})
    text = write_report(run).read_text()
    for name in ("success.png", "distill.png", "bank.png", "time.png"):
        assert f"(report/{name})" in text
        data = (run / "report" / name).read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 5000
    assert "Against environment steps (total)." in text


def test_a_run_without_env_steps_needs_the_iteration_axis(tmp_path):
    rows = [{"iteration": i, "phase": "grpo", "train/success": 0.5} for i in range(3)]
    run = write_run(tmp_path, "old", rows)
    with pytest.raises(UserError, match="no row of metrics.jsonl has env_steps_total, which the x axis 'env_steps'"):
        write_report(run)
    assert "Against iteration." in write_report(run, x="iteration").read_text()
    assert (run / "report" / "success.png").read_bytes()[:8] == PNG_MAGIC


def test_compare_on_the_iteration_axis_marks_a_run_that_repeats_another(tmp_path, figures):
    a = write_run(tmp_path, "gigpo", siri_rows())
    b = write_run(tmp_path, "siri", siri_rows(), algo="siri")
    text = write_compare([a, b], tmp_path / "cmp", x="iteration").read_text()
    assert "## Success vs iteration" in text
    train = next(f for f in figures if f.axes[0].get_title().startswith("train success"))
    assert train.axes[0].get_xlabel() == "iteration"
    assert _legend(train.axes[0]) == ["gigpo", "siri (same as gigpo)"]
    stability = figures[-1]
    assert [ax.get_ylabel() for ax in stability.axes] == ["KL to the reference, k3 (nats/token)",
                                                          "policy entropy (nats/token)"]
