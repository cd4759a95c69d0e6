"""Words for the plots: readable axis labels for metric keys, SIRI's phase names, the x axes.

One table maps the metrics.jsonl keys the plots draw (docs/run-directory.md "metrics.jsonl") to a
label, its unit and whether the value counts things (a count gets integer ticks). A key missing from
the table is shown as itself, so a new metric is still plotted, only less readably.
"""

from __future__ import annotations

from typing import NamedTuple

from siri.utils.errors import UserError


class Label(NamedTuple):
    text: str
    unit: str = ""
    count: bool = False  # a number of things: integer ticks


NATS = "nats/token"
METRIC_LABELS: dict[str, Label] = {
    "iteration": Label("iteration", count=True),
    "env_steps_total": Label("environment steps (total)", count=True),
    "train/success": Label("train success rate"),
    "eval/success": Label("held-out success rate"),
    "update/kl/loss": Label("KL to the reference, k3", NATS),
    "update/entropy/entropy": Label("policy entropy", NATS),
    "update/skill_sd/ell_mean": Label("ℓ = log π_θ − log π_T (mean)", NATS),
    "update/skill_sd/rho_mean": Label("ρ = π_θ / π_old (mean)", "ratio"),
    "update/skill_sd/reverse_kl_k3": Label("reverse KL to the teacher, k3", NATS),
    "update/skill_sd/loss": Label("Skill-SD loss", NATS),
    "update/naive_k3_sd/loss": Label("naive k3 distillation loss", NATS),
    "update/naive_sq_sd/loss": Label("naive squared distillation loss", NATS),
    "update/internalization/loss": Label("internalization loss", NATS),
    "sd/taught_fraction": Label("taught share of rows", "share"),
    "sd/taught_rows": Label("taught rows", "rows", count=True),
    "sd/old_teacher_gap": Label("log π_old − log π_T (mean, before the update)", NATS),
    "bank/size": Label("skills in the bank", "skills", count=True),
    "bank/active": Label("active (promoted) skills", "skills", count=True),
    "bank/candidates": Label("candidate skills", "skills", count=True),
    "bank/retired": Label("retired skills", "skills", count=True),
    "library/size": Label("skills in the library", "skills", count=True),
    "library/active": Label("active library skills", "skills", count=True),
    "library/retired": Label("retired library skills", "skills", count=True),
    "int/lambda": Label("internalization weight λ"),
    "int/tokens": Label("internalized action tokens", "tokens", count=True),
    "time/rollout": Label("rollout", "s"),
    "time/scoring": Label("reference scoring", "s"),
    "time/teacher": Label("teacher scoring", "s"),
    "time/mining": Label("skill generation", "s"),
    "time/update": Label("update", "s"),
    "time/eval": Label("evaluation", "s"),
}

# SIRI's phases as metrics.jsonl names them (train/methods/siri/phases.py, docs/algorithms.md §4)
PHASE_NAMES = {"phase0": "Phase 0: warm-up", "phase1": "Phase 1: mining", "phase2": "Phase 2: internalization"}

X_AXES = {"env_steps": "env_steps_total", "iteration": "iteration"}  # the option's values -> metric key
DEFAULT_X = "env_steps"  # runs of different methods compare fairly at equal environment steps


def label(key: str) -> Label:
    return METRIC_LABELS.get(key, Label(key))


def axis_label(key: str) -> str:
    """"KL to the reference, k3 (nats/token)"; the key itself when the table lacks it."""
    found = label(key)
    return f"{found.text} ({found.unit})" if found.unit else found.text


def legend_label(key: str) -> str:
    return label(key).text


def is_count(key: str) -> bool:
    return label(key).count


def phase_name(phase: str) -> str:
    """"Phase 1: mining" for SIRI's "phase1"; any other phase (a method's name) as it is."""
    return PHASE_NAMES.get(phase, phase)


def check_x(x: str) -> str:
    """The x-axis option, or a one-line error naming the allowed values."""
    if x not in X_AXES:
        raise UserError(f"unknown x axis {x!r}; allowed: {', '.join(X_AXES)}")
    return x


def x_key(x: str) -> str:
    return X_AXES[check_x(x)]


def x_label(x: str) -> str:
    return axis_label(x_key(x))
