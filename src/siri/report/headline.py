"""The report's first section, "At a glance" (docs/run-directory.md "Report"): what a SIRI run did to
the plain-prompt policy, and why, on one screen.

- plain-prompt held-out success at the SFT start (`eval/sft_start.json`), at the end of Phase 0
  (`eval/phase0_end.json`) and at the end (`eval/final_*.json`), those present;
- the warm start with the run's promoted skills in its prompt (`eval/sft_start_skills.json`) against
  plain: the premise that the skills carry something the warm start can use;
- the skills ever promoted, with their utility U and number of evaluations n;
- the action tokens internalized in each iteration (`int/tokens`).

A run without any of these (GiGPO, a run never evaluated) gets no section.
"""

from __future__ import annotations

from siri.report.data import EvalFile, RunData, number

STAGES = (("SFT start", "sft_start"), ("end of Phase 0", "phase0_end"), ("end", "final_"))


def _find(run: RunData, name: str) -> EvalFile | None:
    """The evaluation called `name` (a name ending in `_`: the first whose name starts with it)."""
    for ev in run.evals:
        if ev.name == name or (name.endswith("_") and ev.name.startswith(name)):
            return ev
    return None


def _success(ev: EvalFile) -> str:
    s = ev.success.get("all", {})
    low, high = number(s.get("ci_low")), number(s.get("ci_high"))
    ci = f" [{low:.3f}, {high:.3f}]" if low is not None and high is not None else ""
    return f"{s.get('success', float('nan')):.3f}{ci}"


def _gain(with_skills: EvalFile, plain: EvalFile) -> str:
    return f"{with_skills.success['all']['success'] - plain.success['all']['success']:+.3f}"


def headline_lines(run: RunData) -> list[str]:
    """The "At a glance" section's markdown lines (none when the run has nothing to show there)."""
    from siri.report.markdown import table

    lines: list[str] = []
    stages = [(label, ev) for label, name in STAGES if (ev := _find(run, name)) is not None]
    if stages:
        lines += table(("plain-prompt held-out success", "success [95% CI]", "episodes"),
                       [(label, _success(ev), ev.episodes) for label, ev in stages]) + [""]
    plain, skilled = _find(run, "sft_start"), _find(run, "sft_start_skills")
    if plain is not None and skilled is not None:
        lines += [f"The warm start with the run's promoted skills in its prompt: {_success(skilled)}, against "
                  f"{_success(plain)} plain ({_gain(skilled, plain)}).", ""]
    promoted = sorted((s for s in run.skills or [] if s.was_active), key=lambda s: (s.task_type, s.id))
    if promoted:
        lines += ["Skills ever promoted:", ""]
        lines += table(("task type", "state", "U", "n", "text"),
                       [(s.task_type, s.state, f"{s.utility:+.3f}" if s.utility is not None else "—", s.n, s.text)
                        for s in promoted]) + [""]
    its, tokens = run.series("int/tokens")
    if any(tokens):
        lines += ["Action tokens internalized per iteration: "
                  + ", ".join(f"{int(i)}: {int(t)}" for i, t in zip(its, tokens) if t) + ".", ""]
    return ["## At a glance", "", *lines] if lines else []
