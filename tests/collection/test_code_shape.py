"""Functions short enough to read at once (STYLE.md: about 40 lines as a habit, 60 the
ceiling) in the runtime library and the CLI. ruff's complexity rules count branches and
statements; this counts lines, which a long chain of simple statements never trips there."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator, Tuple

from harness.ansible_runner import REPO

MAX_LINES = 60
COLLECTION = REPO / "collections" / "ansible_collections" / "ocirt" / "containerd"
TREES = (COLLECTION / "plugins" / "module_utils", REPO / "src")


def _functions(path: Path) -> Iterator[Tuple[str, int]]:
    """(name, length in lines) of every function and method in one file, nested ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, (node.end_lineno or node.lineno) - node.lineno + 1


def test_no_function_is_longer_than_60_lines():
    too_long = [
        f"{path.relative_to(REPO)}:{name}:{length}"
        for tree in TREES
        for path in sorted(tree.rglob("*.py"))
        for name, length in _functions(path)
        if length > MAX_LINES
    ]
    assert not too_long, f"functions over {MAX_LINES} lines: " + ", ".join(too_long)
