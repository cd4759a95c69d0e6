"""The report's first section, "At a glance" (docs/run-directory.md "Report"): what a SIRI run did to
the plain-prompt policy, and why, on one screen.

- plain-prompt held-out success at the SFT start (`eval/sft_start.json`), at the end of Phase 0
  (`eval/phase0_end.json`) and at the end (`eval/final_*.json`), those present;
- the warm start with each task type's best active skill at the end of the run in its prompt
  (`eval/sft_start_skills.json`) against plain: the premise that the skills carry something the warm
  start can use;
- the skills ever promoted, with their utility U and number of evaluations n;
- the action tokens internalized in each iteration (`int/tokens`).

A run with none of these but its final evaluation (GiGPO, Skill-SD) gets no section: the evaluation
section below already shows that.
"""

from __future__ import annotations

from siri.report.data import EvalFile, RunData, number
from siri.report.tables import table, with_ci

STAGES = (("SFT start", "sft_start"), ("end of Phase 0", "phase0_end"), ("end", "final_"))


def _find(run: RunData, name: str) -> EvalFile | None:
    """The evaluation called `name` (a name ending in `_`: the first whose name starts with it)."""
    for ev in run.evals:
        if ev.name == name or (name.endswith("_") and ev.name.startswith(name)):
            return ev
    return None


def _all(ev: EvalFile) -> float | None:
    return number(ev.success.get("all", {}).get("success"))


def _success(ev: EvalFile) -> str:
    s = ev.success.get("all", {})
    return with_ci(number(s.get("success")), number(s.get("ci_low")), number(s.get("ci_high")))


def headline_lines(run: RunData) -> list[str]:
    """The "At a glance" section's markdown lines (none when the run has nothing to show there)."""
    lines: list[str] = []
    stages = [(label, ev) for label, name in STAGES if (ev := _find(run, name)) is not None]
    if any(label != "end" for label, _ in stages):
        lines += table(("plain-prompt held-out success", "success [95% CI]", "episodes"),
                       [(label, _success(ev), ev.episodes) for label, ev in stages]) + [""]
    plain, skilled = _find(run, "sft_start"), _find(run, "sft_start_skills")
    if plain is not None and skilled is not None:
        gain = _all(skilled) - _all(plain) if _all(skilled) is not None and _all(plain) is not None else None
        lines += [f"The warm start with each task type's best active skill in its prompt: {_success(skilled)}, "
                  f"against {_success(plain)} plain" + (f" ({gain:+.3f})." if gain is not None else "."), ""]
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
