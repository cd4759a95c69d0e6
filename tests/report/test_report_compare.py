"""--compare: runs grouped by label, mean curves, final-evaluation tables with hand-computed intervals."""

import json

import pytest

from report_fixtures import eval_result, write_run
from siri.report.compare import group_runs, train_curve, write_compare
from siri.report.data import load_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def rows(succ, step=100, eval_every=0):
    out = []
    for i, s in enumerate(succ):
        r = {"iteration": i, "phase": "x", "env_steps_total": step * (i + 1), "train/success": s}
        if eval_every and (i + 1) % eval_every == 0:
            r.update({"eval/success": s, "eval/ci_low": s - 0.1, "eval/ci_high": s + 0.1})
        out.append(r)
    return out


@pytest.fixture
def four_runs(tmp_path):
    """Three gigpo seeds (final eval 0.4, 0.5, 0.6 on 50 episodes) and one siri run (0.35 on 40)."""
    dirs = []
    for seed, final in enumerate((0.4, 0.5, 0.6)):
        ev = eval_result({"clean": (50, final, final - 0.1, final + 0.1), "all": (50, final, final - 0.1, final + 0.1)})
        dirs.append(write_run(tmp_path, f"g{seed}", rows([0.1, 0.2, 0.3, 0.4], eval_every=2), seed=seed,
                              evals={"final_eval.json": ev}))
    ev = eval_result({"clean": (40, 0.35, 0.22, 0.5), "all": (40, 0.35, 0.221, 0.505)})
    dirs.append(write_run(tmp_path, "s0", rows([0.3, 0.3, 0.3, 0.3], eval_every=2), algo="siri",
                          evals={"final_eval.json": ev}))
    return dirs


def test_group_runs_by_config_outside_run_section(four_runs):
    groups = group_runs([load_run(d) for d in four_runs])
    assert [(g.label, [r.name for r in g.runs]) for g in groups] == [("gigpo", ["g0", "g1", "g2"]), ("siri", ["s0"])]
    groups = group_runs([load_run(d) for d in four_runs], "run.name")
    assert [g.label for g in groups] == ["g0", "g1", "g2", "s0"]


def test_train_curve_is_smoothed_against_env_steps(tmp_path):
    run = load_run(write_run(tmp_path, "r", rows([float(i % 2) for i in range(20)], step=5)))
    xs, ys = train_curve(run)
    assert xs == [5.0 * (i + 1) for i in range(20)]
    assert ys[:3] == [0.0, 0.5, 0.5]  # window 2 (a tenth of 20 iterations), trailing
    assert ys[-1] == 0.5


def test_compare_markdown_tables_and_pngs(four_runs, tmp_path):
    out = tmp_path / "cmp"
    path = write_compare(four_runs, out)
    text = path.read_text()
    assert path == out / "compare.md"
    assert "| g1 | gigpo | gigpo | 1 | 4 | 400 | 0.250 |" in text
    assert "| g2 | gigpo | eval | 50 | 0.600 [0.500, 0.700] |" in text
    # mean 0.5 of (0.4, 0.5, 0.6): sd 0.1, half-width t_{.975,2}·0.1/√3 = 0.248; pooled 75/150 Wilson
    assert "| gigpo | 3 | 0.500 [0.252, 0.748] | 0.500 [0.421, 0.579] (150 episodes) |" in text
    assert "| siri | 1 | 0.350 (one run) | 0.350 [0.221, 0.505] (40 episodes) |" in text
    assert "| gigpo | 0.500 |" in text and "| siri | 0.350 |" in text  # per task type (clean)
    for name in ("compare_eval.png", "compare_train.png"):
        assert f"]({name})" in text
        data = (out / name).read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 5000


def test_compare_without_eval_skips_the_eval_plot_and_table(tmp_path):
    a = write_run(tmp_path, "a", rows([0.1, 0.2]))
    b = write_run(tmp_path, "b", rows([0.5, 0.6]), algo="grpo")
    text = write_compare([a, b], tmp_path / "cmp").read_text()
    assert "_Held-out success: skipped, no run logged eval/success during training._" in text
    assert "_No run has eval/*.json results" in text
    assert not (tmp_path / "cmp" / "compare_eval.png").exists()
    assert (tmp_path / "cmp" / "compare_train.png").exists()


def test_single_run_success_plot_against_env_steps(siri_run, tmp_path):
    from siri.report.plots import plot_success

    path = plot_success(load_run(siri_run), tmp_path / "s.png", x="env_steps")
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 5000


def test_final_points_sit_at_each_runs_last_env_steps(four_runs):
    from siri.report.compare_plots import final_point

    x, ev = final_point(load_run(four_runs[1]), "final_eval")
    assert x == 400 and ev.success["all"]["success"] == 0.5
    assert final_point(load_run(four_runs[1]), "final_unseen") is None


def test_compare_draws_final_success_and_stability_when_logged(four_runs, tmp_path):
    text = write_compare(four_runs, tmp_path / "cmp").read_text()
    assert "](compare_final.png)" in text
    assert (tmp_path / "cmp" / "compare_final.png").read_bytes()[:8] == PNG_MAGIC
    # the fixture runs log no KL or entropy: that figure is skipped and said so
    assert "_KL to the reference and entropy: skipped, no run logged them._" in text
    stab = []
    for name, kl in (("sd", 0.01), ("naive", 0.5)):
        r = rows([0.2, 0.3, 0.4])
        for k, row in enumerate(r):
            row.update({"update/kl/loss": kl * (k + 1), "update/entropy/entropy": 0.4 - 0.1 * k})
        stab.append(write_run(tmp_path, name, r, algo=name))
    text = write_compare(stab, tmp_path / "cmp2").read_text()
    assert "](compare_stability.png)" in text and "_Final held-out success: skipped" in text
    assert (tmp_path / "cmp2" / "compare_stability.png").read_bytes()[:8] == PNG_MAGIC


def test_final_eval_picks_the_evaluation_the_final_figure_draws(four_runs, tmp_path, monkeypatch):
    import siri.report.compare as compare
    from siri.utils.errors import UserError

    ev = eval_result({"all": (500, 0.45, 0.41, 0.49)})
    for run in four_runs[:2]:
        (run / "eval" / "eval500.json").write_text(json.dumps(ev))
    drawn_names = []
    real = compare.plot_final
    monkeypatch.setattr(compare, "plot_final",
                        lambda g, name, path, x: drawn_names.append(name) or real(g, name, path, x))
    text = write_compare(four_runs, tmp_path / "default").read_text()
    assert drawn_names == ["final_eval"] and "![Final held-out success (final_eval)](compare_final.png)" in text
    text = write_compare(four_runs, tmp_path / "chosen", final_eval="eval500").read_text()
    assert drawn_names[-1] == "eval500" and "![Final held-out success (eval500)](compare_final.png)" in text
    with pytest.raises(UserError, match=r"no run has eval/eval200.json; allowed: eval500, final_eval$"):
        write_compare(four_runs, tmp_path / "bad", final_eval="eval200")
    assert not (tmp_path / "bad").exists()  # rejected before anything is written


def test_equal_budget_and_seed_offsets_by_hand():
    from siri.report.compare_plots import equal_budget, seed_offsets

    assert equal_budget([6413, 6572, 6440])  # 6413 >= 0.9 * 6572 = 5914.8
    assert not equal_budget([5000, 6572])  # 5000 < 5914.8: drawn along the env-step axis
    assert not equal_budget([])
    assert seed_offsets(1) == [-0.05]
    assert seed_offsets(3) == pytest.approx([-0.3, -0.175, -0.05])


def test_final_figure_draws_runs_at_unequal_steps_along_the_step_axis(tmp_path):
    from siri.report.compare_plots import plot_final

    ev = eval_result({"all": (50, 0.4, 0.3, 0.5)})
    short = write_run(tmp_path, "short", rows([0.1, 0.2]), evals={"final_eval.json": ev})
    long = write_run(tmp_path, "long", rows([0.1, 0.2, 0.3, 0.4, 0.5]), seed=1, evals={"final_eval.json": ev})
    groups = group_runs([load_run(short), load_run(long)], None)
    assert plot_final(groups, "final_eval", tmp_path / "f.png").read_bytes()[:8] == PNG_MAGIC
    assert plot_final(groups, "final_unseen", tmp_path / "none.png") is None
