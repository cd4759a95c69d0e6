"""The project's structural promises (docs/architecture.md): no module-level import cycle inside
`siri`, no source file over 400 lines, and no reference to a file outside the repository."""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_imports(path: Path, modules: set[str]) -> set[str]:
    """The `siri` modules a module imports when it is imported: statements at module level, not
    inside functions or `if TYPE_CHECKING:`. `import a.b.c` also runs the packages `a` and `a.b`,
    except the packages the importer sits in (they are already being initialized)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    this = _module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for h in getattr(node, "handlers", []):
                    visit(h.body)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                subs = {f"{base}.{a.name}" for a in node.names}
                found.update(subs & modules)
                if subs - modules:  # names read from `base` itself, not submodules of it
                    found.add(base)

    visit(tree.body)
    closed = set()
    for name in found:
        parts = name.split(".")
        closed.update(".".join(parts[:k]) for k in range(1, len(parts) + 1))
    ancestors = {".".join(this.split(".")[:k]) for k in range(1, this.count(".") + 1)}
    return {m for m in closed if m in modules and m != this and (m not in ancestors or m in found)}


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in SRC.rglob("*.py")}
    return {name: _top_level_imports(path, set(files)) for name, path in files.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := dfs(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := dfs(node)):
            return found
    return None


def test_cycle_finder_finds_a_cycle_by_hand():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_module_level_import_cycle():
    graph = _graph()
    assert "siri.train.loop" in graph and "siri.train.methods.registry" in graph["siri.config"]
    assert _cycle(graph) is None


def _tracked(*patterns: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return [ROOT / line for line in out.stdout.splitlines() if (ROOT / line).is_file()]


def test_no_python_file_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in _tracked("*.py") if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}


def test_nothing_refers_to_a_file_outside_the_repository():
    spec_names = "|".join(n.upper() for n in ("algorithms", "environments", "architecture"))
    shared = "shared"  # spelled apart so this file does not match itself
    outside = re.compile(r"\.\./" + shared + "|" + shared + r"/spec|(?<![\w/])(" + spec_names + r")\.md")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in _tracked() if p.suffix in {".py", ".md", ".yaml", ".toml", ""}
            for i, line in enumerate(p.read_text(errors="replace").splitlines(), 1) if outside.search(line)]
    assert hits == []
