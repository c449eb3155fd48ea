"""The "SQL lives only in the templates" check the warehouse, compare and merge tests share:
string literals (and f-strings) outside docstrings that start like a SQL statement."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from pathlib import Path


def inline_statements(
    paths: Iterable[Path], statement: re.Pattern[str], label: Callable[[Path], str] = lambda p: p.name
) -> list[str]:
    """``label:line`` of every string in ``paths`` whose text (or f-string head) ``statement`` matches."""
    found = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        for node in ast.walk(tree):
            if id(node) in docstrings:
                continue
            parts = node.values if isinstance(node, ast.JoinedStr) else [node]
            head = parts[0] if parts else None
            if isinstance(head, ast.Constant) and isinstance(head.value, str) and statement.match(head.value):
                found.append(f"{label(path)}:{node.lineno}")
    return found
