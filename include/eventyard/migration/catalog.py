"""Both sides' tables and columns, read from the warehouse's catalog (the seed's spreadsheet of
``information_schema.columns``, side by side)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventyard.warehouse.dialects import Dialect
from eventyard.warehouse.types import Logical


@dataclass(frozen=True)
class ColumnInfo:
    """One column as the catalog shows it."""

    name: str
    physical: str  # the type as the catalog names it, with its length: ``character varying(512)``
    logical: Logical
    position: int
    length: int | None = None  # a text column's maximum length, None when unbounded

    def to_dict(self) -> dict[str, Any]:
        """The column for ``--json``."""
        return {"name": self.name, "type": self.physical, "position": self.position}


Tables = dict[str, list[ColumnInfo]]


def read_tables(dialect: Dialect, schema: str) -> Tables:
    """Every base table of ``schema`` and its columns in ordinal order (empty: no such schema)."""
    sql = dialect.sql.statement("segment_columns", dataset=dialect.quote(schema))
    rows = dialect.query(sql, (schema, schema)) if "?" in sql or "%s" in sql else dialect.query(sql)
    tables: Tables = {}
    for row in rows:
        data_type = str(row["data_type"])
        raw_length = row.get("character_maximum_length")
        length = int(raw_length) if raw_length is not None else None
        physical = f"{data_type}({length})" if length is not None else data_type
        tables.setdefault(str(row["table_name"]), []).append(
            ColumnInfo(
                name=str(row["column_name"]),
                physical=physical,
                logical=dialect.logical_for(data_type),
                position=int(row["ordinal_position"]),
                length=length,
            )
        )
    return tables
