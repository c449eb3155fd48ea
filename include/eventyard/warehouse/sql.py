"""Rendering the SQL templates in ``warehouse_sql/<dialect>/`` with already-quoted identifiers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[3] / "warehouse_sql"


@lru_cache(maxsize=64)
def template(dialect: str, name: str) -> str:
    """The text of ``warehouse_sql/<dialect>/<name>.sql``."""
    return (SQL_DIR / dialect / f"{name}.sql").read_text(encoding="utf-8")


def render(dialect: str, name: str, **identifiers: str) -> str:
    """A template with its placeholders filled by quoted identifiers / identifier lists."""
    return template(dialect, name).format(**identifiers)


def render_statements(dialect: str, name: str, **identifiers: str) -> list[str]:
    """A multi-statement template split on the ``;`` ending its lines *before* filling it in,
    so no identifier can ever split or add a statement."""
    parts = [p.strip().rstrip(";") for p in template(dialect, name).split(";\n")]
    return [p.format(**identifiers) for p in parts if p]
