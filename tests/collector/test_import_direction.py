"""The collector's modules import in one direction: no circle, not even a lazy or type-only one."""

from __future__ import annotations

import ast
from pathlib import Path

import eventyard.collector

PACKAGE = "eventyard.collector"
ROOT = Path(eventyard.collector.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    parts = parts[:-1] if parts[-1] == "__init__" else parts
    return ".".join((PACKAGE, *parts))


def _imports(path: Path, known: set[str]) -> set[str]:
    """Collector modules ``path`` imports anywhere in its body (functions and TYPE_CHECKING too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
    return {name for name in found if name in known}


def _graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in ROOT.rglob("*.py")}
    known = set(paths)
    return {name: _imports(path, known) - {name} for name, path in paths.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_collector_has_no_import_circle() -> None:
    graph = _graph()
    assert f"{PACKAGE}.spool" in graph and f"{PACKAGE}.flusher" in graph[f"{PACKAGE}.spool"]
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_spool_path_points_one_way() -> None:
    graph = _graph()
    order = ["segment", "slots", "flusher", "lander", "flush_loop", "spool"]
    for lower_index, lower in enumerate(order):
        for higher in order[lower_index + 1 :]:
            assert f"{PACKAGE}.{higher}" not in graph[f"{PACKAGE}.{lower}"], f"{lower} imports {higher}"


def test_a_circle_is_found() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
