"""The operation skeleton is reusable: it imports no service, and what a state table takes from it no DB."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
OURS = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found & OURS


def test_the_skeleton_imports_only_what_sits_below_a_service() -> None:
    assert "volume" in OURS and "operations" in OURS
    for path in sorted((ROOT / "operations").glob("*.py")):
        assert _imported(path) <= {"common", "db", "drivers", "operations"}, path.name


def test_an_operation_record_pulls_in_nothing_of_ours() -> None:
    # volume/states/ (imported by the api) takes Operation and Recovery from here
    assert _imported(ROOT / "operations" / "operation.py") == set()
