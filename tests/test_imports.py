"""No import circles in include/eventyard: between modules, and between components.

The graph is read from the source with ``ast``: every ``import`` / ``from ... import`` statement,
at module level or inside a function (a function-level import hides a circle, it does not remove
it), plus the packages Python runs on the way (importing ``a.b.c`` runs ``a/__init__`` and
``a/b/__init__``). Imports under ``if TYPE_CHECKING:`` count too: they do not run, but two
modules that need each other's types are one design knot all the same.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "include"

# Entry points above every component: they may import any of them, and none imports them back.
# Alembic's script directory registers every component's tables, so it is one of them.
ENTRY_POINTS = ("eventyard.cli", "eventyard.demo", "eventyard.db.migrations")

Graph = dict[str, set[str]]


def module_names(root: Path = PACKAGE_ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every module and package of ``eventyard``."""
    names = {}
    for path in sorted((root / "eventyard").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imported_names(module: str, path: Path) -> Iterator[str]:
    """Every dotted name an import statement of ``module`` may load (module or attribute)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)


def import_graph(root: Path = PACKAGE_ROOT) -> Graph:
    """Module -> the ``eventyard`` modules it makes Python run (its own packages excepted)."""
    names = module_names(root)
    graph: Graph = {name: set() for name in names}
    for module, path in names.items():
        for target in imported_names(module, path):
            parts = target.split(".")
            for end in range(1, len(parts) + 1):
                name = ".".join(parts[:end])
                # A module's own packages are already running when it is imported.
                if name in names and name != module and not module.startswith(name + "."):
                    graph[module].add(name)
    return graph


def cycles(graph: Graph) -> list[frozenset[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.add(member)
                    if member == node:
                        break
                if len(members) > 1:
                    found.append(frozenset(members))
    return found


def component(module: str) -> str:
    """The component a module belongs to: an entry point, or ``eventyard.<first level>``."""
    for entry in ENTRY_POINTS:
        if module == entry or module.startswith(entry + "."):
            return entry
    return ".".join(module.split(".")[:2])


def component_graph(graph: Graph) -> Graph:
    """The module graph collapsed to components (edges inside a component dropped)."""
    collapsed: Graph = {}
    for module, targets in graph.items():
        source = component(module)
        collapsed.setdefault(source, set())
        for target in targets:
            if component(target) != source:
                collapsed[source].add(component(target))
    return collapsed


def _describe(found: Iterable[frozenset[str]], graph: Graph) -> str:
    lines = []
    for members in found:
        lines.append(", ".join(sorted(members)))
        lines += [f"    {a} -> {b}" for a in sorted(members) for b in sorted(graph[a] & members)]
    return "\n".join(lines)


def test_no_import_cycle_between_modules() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import circles:\n" + _describe(found, graph)


def test_no_import_cycle_between_components() -> None:
    """Components import downwards only: e.g. Houston -> destinations.service, never back."""
    graph = component_graph(import_graph())
    found = cycles(graph)
    assert not found, "components importing each other:\n" + _describe(found, graph)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"a.py": "from eventyard import b\n", "b.py": "def f():\n    import eventyard.a\n"}, True),
        ({"a.py": "from . import b\n", "b.py": "from .a import x\n"}, True),
        (
            {
                "p/__init__.py": "from eventyard.q import y\n",
                "q.py": "from eventyard.p.m import z\n",
                "p/m.py": "",
            },
            True,
        ),
        ({"a.py": "from eventyard import b\n", "b.py": "import os\n"}, False),
        (
            {"a.py": "import eventyard.b\n", "b.py": "if TYPE_CHECKING:\n    from eventyard.a import A\n"},
            True,
        ),
    ],
    ids=["function-level", "relative", "through-a-package", "no-cycle", "typing-only"],
)
def test_the_graph_sees_every_kind_of_import(tmp_path: Path, files: dict[str, str], expected: bool) -> None:
    for name, text in {"__init__.py": "", **files}.items():
        path = tmp_path / "eventyard" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert bool(cycles(import_graph(tmp_path))) is expected
