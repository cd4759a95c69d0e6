"""`siri report`: writes and prints each run's report, or a comparison; user errors are one line."""

from report_fixtures import write_run
from siri.cli import main


def _run(tmp_path, name="r", algo="gigpo"):
    rows = [{"iteration": i, "phase": algo, "env_steps_total": 10 * (i + 1), "train/success": 0.5} for i in range(3)]
    return write_run(tmp_path, name, rows, algo=algo)


def test_report_writes_and_prints_each_path(tmp_path, capsys):
    a, b = _run(tmp_path, "a"), _run(tmp_path, "b")
    assert main(["report", str(a), str(b)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"wrote {a / 'report.md'}", f"wrote {b / 'report.md'}"]
    assert (a / "report.md").exists() and (b / "report.md").exists()


def test_compare_defaults_to_runs_compare(tmp_path, capsys, monkeypatch):
    a, b = _run(tmp_path, "a"), _run(tmp_path, "b", "grpo")
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(a), str(b), "--compare"]) == 0
    assert (tmp_path / "runs" / "compare" / "compare.md").exists()
    assert capsys.readouterr().out.strip() == "wrote runs/compare/compare.md"
    assert main(["report", str(a), str(b), "--compare", "--out", str(tmp_path / "elsewhere")]) == 0
    assert (tmp_path / "elsewhere" / "compare.md").exists()


def _error(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("siri report: error: ")
    return err


def test_user_errors_are_one_line_and_write_nothing(tmp_path, capsys):
    good = _run(tmp_path)
    err = _error(capsys, ["report", str(good), str(tmp_path / "missing")])
    assert "is not a run directory" in err
    assert not (good / "report.md").exists()  # every path is checked before anything is written
    assert "given twice" in _error(capsys, ["report", str(good), str(good)])
    assert "only with --compare" in _error(capsys, ["report", str(good), "--out", str(tmp_path / "o")])
    assert "only with --compare" in _error(capsys, ["report", str(good), "--final-eval", "final_eval"])
    assert "is not a run directory" in _error(capsys, ["report", str(tmp_path), "--compare"])


def test_x_reaches_both_the_single_run_and_the_compare_writers(tmp_path, monkeypatch):
    """`--x` is one option for both kinds of report, passed through unchanged; a bad value is refused."""
    import siri.report.compare as compare
    import siri.report.markdown as markdown

    seen = []
    monkeypatch.setattr(markdown, "write_report", lambda r, x: seen.append(("report", x)) or r)
    monkeypatch.setattr(compare, "write_compare", lambda runs, out, g, f, x: seen.append(("compare", x)) or out)
    a, b = _run(tmp_path, "a"), _run(tmp_path, "b")
    assert main(["report", str(a), "--x", "iteration"]) == 0
    assert main(["report", str(a), str(b), "--compare", "--x", "iteration", "--out", str(tmp_path / "c")]) == 0
    assert main(["report", str(a)]) == 0
    assert seen == [("report", "iteration"), ("compare", "iteration"), ("report", "env_steps")]


def test_bad_x_is_one_line(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit) as exit_:  # argparse's own choice errors exit with status 2
        main(["report", str(_run(tmp_path)), "--x", "time"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert "--x" in err and "env_steps" in err and "iteration" in err
