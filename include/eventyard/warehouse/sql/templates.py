"""Dialect-specific SQL: the templates of ``warehouse_sql/<folder>/<name>.sql``.

A template is split into statements on the ``;`` that ends a line and stripped of its ``--``
comment lines *before* it is filled in, so no identifier can add, split or comment out a
statement. Placeholders take only what ``eventyard.warehouse.sql.build`` produces (quoted
identifiers, lists of them, type names); values travel as staged rows or bound parameters.
"""

from __future__ import annotations

from functools import lru_cache

from eventyard.project_files import project_folder


@lru_cache(maxsize=256)
def _statements(folder: str, name: str) -> tuple[str, ...]:
    path = project_folder("warehouse_sql") / folder / f"{name}.sql"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"no SQL template {folder}/{name}.sql under {path.parents[1]}") from None
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    parts = (part.strip().removesuffix(";").strip() for part in code.split(";\n"))
    return tuple(part for part in parts if part)


class Templates:
    """The SQL templates of one dialect (one folder of ``warehouse_sql/``)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def statements(self, name: str, **parts: str) -> list[str]:
        """Every statement of a template, filled in."""
        return [statement.format(**parts) for statement in _statements(self.folder, name)]

    def statement(self, name: str, **parts: str) -> str:
        """A one-statement template (or expression), filled in."""
        statements = self.statements(name, **parts)
        if len(statements) != 1:
            raise ValueError(f"{self.folder}/{name}.sql holds {len(statements)} statements, not one")
        return statements[0]

    def __repr__(self) -> str:
        return f"Templates({self.folder!r})"
