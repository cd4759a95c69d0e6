"""`RUN_DIR/report.md`: summary, plots, final evaluation with 95% CIs, skill bank (docs/architecture.md
"Run directory"). The text is built by pure functions from a `RunData`; `write_report` draws the
PNGs into RUN_DIR/report/ and writes the markdown atomically, linking the PNGs by relative path.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from siri.report.aggregate import default_window
from siri.report.data import EvalFile, RunData, Skill, load_run, number
from siri.report.headline import headline_lines
from siri.report.labels import DEFAULT_X, check_x, x_label
from siri.report.tables import f3, table, with_ci
from siri.report.plots import PLOTS
from siri.report.prep import check_x_logged
from siri.utils.atomic import atomic_write_text

PLOT_DIR = "report"
TOP_SKILLS_TABLE = 10


def _last(run: RunData, key: str) -> tuple[dict[str, Any], float] | None:
    for r in reversed(run.rows):
        if number(r.get(key)) is not None:
            return r, float(r[key])
    return None


def summary_section(run: RunData) -> list[str]:
    rows: list[tuple[str, Any]] = [("run", run.name), ("directory", str(run.path)), ("algorithm", run.algo),
                                   ("environment", run.env), ("seed", run.seed if run.seed is not None else "—"),
                                   ("model", run.cfg("model.path", "—"))]
    if run.rows:
        its = [r["iteration"] for r in run.rows]
        rows.append(("iterations", f"{len(its)} (iteration {its[0]} to {its[-1]})"))
        steps = _last(run, "env_steps_total")
        rows.append(("environment steps", f"{int(steps[1]):,}" if steps else "—"))
        train = run.series("train/success")[1]
        if train:
            w = min(10, len(train))
            rows.append(("final train success", f"{train[-1]:.3f} (mean of the last {w}: {sum(train[-w:]) / w:.3f})"))
        last_eval = _last(run, "eval/success")
        if last_eval:
            r, s = last_eval
            rows.append(("last eval success (in training)",
                         f"{with_ci(s, number(r.get('eval/ci_low')), number(r.get('eval/ci_high')))} "
                         f"at iteration {r['iteration']}"))
    else:
        rows.append(("iterations", "0 (no RL iteration rows in metrics.jsonl)"))
    sft = [r for r in run.other_rows if r.get("event") == "done" and r.get("phase") == "sft"]
    if sft:
        done = sft[-1]
        rows.append(("SFT warm start", f"{done.get('steps', '?')} steps, final loss {f3(number(done.get('loss')))}"))
    return ["## Summary", ""] + table(("item", "value"), rows)


def phases_section(run: RunData) -> list[str]:
    spans = run.phases()
    if not spans:
        return []
    rows = []
    for span in spans:
        part = [r for r in run.rows if span.first <= r["iteration"] <= span.last]
        succ = [number(r.get("train/success")) for r in part]
        succ = [s for s in succ if s is not None]
        steps = number(part[-1].get("env_steps_total"))
        rows.append((span.phase, f"{span.first}–{span.last}", len(part),
                     f3(sum(succ) / len(succ)) if succ else "—", f"{int(steps):,}" if steps is not None else "—"))
    return ["## Phases", ""] + table(("phase", "iterations", "count", "mean train success", "env steps at end"), rows)


def eval_table(ev: EvalFile) -> list[str]:
    """Per task type then "all" (bold): episodes and success with its Wilson 95% interval."""
    def row(name: str, label: str) -> tuple[str, str, str]:
        r = ev.success[name]
        n = r.get("n")
        return label, str(int(n)) if n is not None else "—", with_ci(r["success"], r.get("ci_low"), r.get("ci_high"))

    rows = [row(t, t) for t in sorted(ev.success) if t != "all"]
    if "all" in ev.success:
        rows.append(row("all", "**all**"))
    lines = [f"### {ev.name} ({ev.split} split, {ev.episodes} episodes)", ""]
    lines += table(("task type", "episodes", "success [95% CI]"), rows)
    extras = []
    if ev.mean_score:
        m = ev.mean_score
        extras.append(f"mean score {with_ci(number(m.get('mean')), number(m.get('ci_low')), number(m.get('ci_high')))}")
    if ev.mean_steps is not None:
        extras.append(f"mean steps {ev.mean_steps:.2f}")
    if ev.invalid_ratio is not None:
        extras.append(f"invalid-action ratio {ev.invalid_ratio:.3f}")
    return lines + ([""] + ["; ".join(extras) + "."] if extras else [])


def eval_section(run: RunData) -> list[str]:
    lines = ["## Final evaluation (plain prompt, held-out seeds)", ""]
    if not run.evals:
        lines.append("_No evaluation results (eval/*.json absent); run `siri eval --checkpoint RUN_DIR`._")
    for ev in run.evals:
        lines += eval_table(ev) + [""]
    if run.skipped_evals:
        lines.append(f"_Skipped (not evaluation results): {', '.join(run.skipped_evals)}._")
    return lines


def _top(skills: Sequence[Skill]) -> list[Skill]:
    rated = [s for s in skills if s.utility is not None]
    return sorted(rated, key=lambda s: (-s.utility, s.id))[:TOP_SKILLS_TABLE]


def skills_section(run: RunData) -> list[str]:
    lines = ["## Skills", ""]
    if run.skills is None:
        return lines + ["_No skill bank (skills.jsonl absent): this method does not mine skills._"]
    if not run.skills:
        return lines + ["_The skill bank is empty._"]
    states = Counter(s.state for s in run.skills)
    gens = Counter(s.generator for s in run.skills)
    lines += table(("mined", "candidate", "active", "retired", "ever active", "generators"), [(
        len(run.skills), states.get("candidate", 0), states.get("active", 0), states.get("retired", 0),
        sum(s.was_active for s in run.skills), ", ".join(f"{g} {c}" for g, c in sorted(gens.items())))])
    top = _top(run.skills)
    lines += ["", "### Top skills by utility U(z) (mean paired Δ, skill arm − plain arm)", ""]
    if not top:
        return lines + ["_No skill has been evaluated yet._"]
    rows = [(s.id, s.task_type, s.state, f"{s.utility:+.3f}", s.n,
             "—" if s.created_iter is None else s.created_iter, s.text) for s in top]
    return lines + table(("id", "task type", "state", "U", "n", "created", "text"), rows)


def plots_section(run: RunData, drawn: dict[str, Path | None], x: str = DEFAULT_X) -> list[str]:
    lines = ["## Plots", "", f"Against {x_label(x)}.", ""]
    for spec in PLOTS:
        lines.append(f"### {spec.title}")
        lines.append("")
        if drawn.get(spec.file) is not None:
            lines.append(f"![{spec.title}]({PLOT_DIR}/{spec.file})")
        else:
            lines.append(f"_Skipped: {spec.missing}._")
        lines.append("")
    w = default_window(len(run.rows))
    lines.append(f"Smoothed train curves are trailing moving averages over {w} iteration(s); eval error bars "
                 "are Wilson 95% intervals over the evaluation episodes. Values within rounding noise of 0 are "
                 "drawn as 0; a dashed curve with \"same as\" in its legend lies on the curve it names.")
    return lines


def build_markdown(run: RunData, drawn: dict[str, Path | None], x: str = DEFAULT_X) -> str:
    """The whole report.md text; `drawn` maps each plot file name to its path, or None if skipped."""
    parts = [[f"# Run report: {run.name}", ""], headline_lines(run), summary_section(run), phases_section(run),
             eval_section(run), skills_section(run), plots_section(run, drawn, x)]
    blocks = ["\n".join(part).strip("\n") for part in parts if part]
    return "\n\n".join(blocks) + "\n"


def draw_plots(run: RunData, x: str = DEFAULT_X) -> dict[str, Path | None]:
    """Every plot into RUN_DIR/report/ against the x axis `x`; a stale PNG of a plot now skipped is removed."""
    check_x_logged(run.rows, x, str(run.path))
    out_dir = run.path / PLOT_DIR
    drawn: dict[str, Path | None] = {}
    for spec in PLOTS:
        target = out_dir / spec.file
        drawn[spec.file] = spec.draw(run, target, x)
        if drawn[spec.file] is None and target.exists():
            target.unlink()
    return drawn


def write_report(run_dir: str | os.PathLike[str], x: str = DEFAULT_X) -> Path:
    """Write RUN_DIR/report.md (and RUN_DIR/report/*.png, against the x axis `x`, the option `siri report
    --compare` shares); returns the markdown's path."""
    check_x(x)
    run = load_run(run_dir)
    text = build_markdown(run, draw_plots(run, x), x)
    path = run.path / "report.md"
    atomic_write_text(path, text)
    return path
