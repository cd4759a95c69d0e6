"""Install hints name the distribution in pyproject.toml and an extra it really declares.

`siri` on the package index is an unrelated project, so a hint naming it would install the wrong
thing. These tests read pyproject.toml itself, never the installed metadata (a checkout may still be
installed under an older name).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from siri.utils.errors import DISTRIBUTION, install_hint

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli", reason="reading pyproject.toml needs tomllib (Python 3.11+) or tomli")

ROOT = Path(__file__).resolve().parents[2]
# Where hints are written: the code, its documentation, tests, benchmarks and the build files.
HINT_ROOTS = ("src", "docs", "tests", "benchmarks", "configs", ".ci")
HINT_FILES = ("README.md", "Makefile", "pyproject.toml")
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ""}
# A requirement with extras (a name, then extras in square brackets, optionally quoted) written after
# `install` on the same line, as pip's command line and the prose hints write it.
REQUIREMENT = re.compile(r"install\b[^\n]*?[\s'\"`]([A-Za-z0-9_.-]+)\[([a-z][a-z0-9_-]*(?:,[a-z][a-z0-9_-]*)*)\]")


@pytest.fixture(scope="module")
def project() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _hint_files() -> list[Path]:
    files = [ROOT / name for name in HINT_FILES]
    for top in HINT_ROOTS:
        files += [p for p in (ROOT / top).rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES
                  and "__pycache__" not in p.parts]
    return files


def _written_hints() -> list[tuple[str, str, str]]:
    """(where, distribution, extras) of every install command with extras written in the repository."""
    return [(f"{p.relative_to(ROOT)}:{i}", m.group(1), m.group(2))
            for p in _hint_files() for i, line in enumerate(p.read_text(errors="replace").splitlines(), 1)
            for m in REQUIREMENT.finditer(line)]


def _hint_calls() -> list[tuple[str, ast.expr]]:
    """(where, argument) of every `install_hint(...)` call in the package and the benchmarks."""
    calls = []
    for p in [*(ROOT / "src").rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py")]:
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "install_hint":
                calls.append((f"{p.relative_to(ROOT)}:{node.lineno}", node.args[0]))
    return calls


def test_distribution_constant_is_the_pyproject_name(project):
    assert DISTRIBUTION == project["name"] == "siri-rl"
    assert project["scripts"]["siri"] == "siri.cli:main"  # the command keeps its name


def test_install_hint_names_the_distribution_and_the_extra():
    hint = install_hint("tensorboard")
    assert hint == "pip install 'siri-rl[tensorboard]' (in a source checkout: pip install -e '.[tensorboard]')"
    assert [(m.group(1), m.group(2)) for m in REQUIREMENT.finditer(hint)] == [
        ("siri-rl", "tensorboard"), (".", "tensorboard")]


def test_every_hint_in_code_uses_a_declared_extra(project):
    calls = _hint_calls()
    where = {w.split(":")[0] for w, _ in calls}
    # the places that produce hints today; one lost would mean a hint written by hand again
    assert {"src/siri/utils/trackers.py", "src/siri/config.py", "src/siri/policy/serve.py",
            "src/siri/skills/generators/external.py", "src/siri/envs/household/alfworld_adapter.py",
            "src/siri/envs/household/pddl_export.py", "benchmarks/env_speed.py"} <= where
    extras = project["optional-dependencies"]
    for w, arg in calls:
        assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), f"{w}: extra must be a literal"
        assert arg.value in extras, f"{w}: no extra {arg.value!r} in pyproject.toml"
        named = [(m.group(1), m.group(2)) for m in REQUIREMENT.finditer(install_hint(arg.value))]
        assert named == [(DISTRIBUTION, arg.value), (".", arg.value)], w


def test_every_written_hint_names_this_distribution_and_declared_extras(project):
    hints = _written_hints()
    assert len(hints) >= 3  # README, Makefile, benchmarks at least: the scan sees them
    extras = set(project["optional-dependencies"])
    wrong_name = [(w, d) for w, d, _ in hints if d not in (DISTRIBUTION, ".")]
    unknown = [(w, e) for w, _, named in hints for e in named.split(",") if e not in extras]
    assert wrong_name == [] and unknown == []


def test_the_scan_catches_the_old_name():
    old = "pip install 'siri" + "[alfworld]'"  # spelled apart so the scan of this file does not see it
    assert [(m.group(1), m.group(2)) for m in REQUIREMENT.finditer(old)] == [("siri", "alfworld")]
