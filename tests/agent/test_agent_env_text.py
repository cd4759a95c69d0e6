"""The agent layer knows environments only through their `AgentText`: it never tests a name, and the
environments never import it back."""

from __future__ import annotations

import ast
from pathlib import Path

import siri.agent
import siri.envs
from siri.envs import env_names


def _code_strings(path: Path) -> set[str]:
    """String constants of a module, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    }


def test_the_agent_layer_names_no_environment() -> None:
    for path in Path(siri.agent.__file__).parent.glob("*.py"):
        assert not _code_strings(path) & set(env_names()), path.name


def test_environments_never_import_the_agent_layer() -> None:
    for path in Path(siri.envs.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("siri.agent"), path
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("siri.agent") for a in node.names), path
