"""The one loading algorithm: for each table, lock -> fit to existing columns -> evolve -> merge.

Every table is loaded on its own: an error in one is reported and leaves the others untouched,
and the values a table could not take are written to ``discards`` as part of that table's load
(so a retried table re-records its own discards, idempotently).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from eventyard.warehouse.dialects.base import Dialect
from eventyard.warehouse.errors import error_text
from eventyard.warehouse.evolve import reconcile
from eventyard.warehouse.naming import short_hash
from eventyard.warehouse.types import (
    ARROW_TYPES,
    DISCARD_COLUMNS,
    DISCARD_KEY,
    DISCARDS_TABLE,
    Discard,
    Logical,
    TableRows,
)

log = logging.getLogger(__name__)


@dataclass
class TableResult:
    """What loading one table did."""

    rows_loaded: int = 0
    rows_discarded: int = 0
    error: str | None = None
    terminal: bool = False  # the error will not go away by retrying (eventyard.warehouse.errors)


def with_load_columns(rows: TableRows, loaded_at: datetime, dialect: Dialect) -> TableRows:
    """Add ``uuid_ts`` (the load time) and, on BigQuery, ``loaded_at``."""
    extra = ["uuid_ts", *(["loaded_at"] if dialect.supports_loaded_at else [])]
    columns: dict[str, Logical] = dict(rows.columns)
    data = rows.data
    for name in extra:
        stamp = pa.repeat(pa.scalar(loaded_at, type=ARROW_TYPES["timestamp"]), rows.num_rows)
        data = data.append_column(name, stamp)
        columns[name] = "timestamp"
    return rows.with_data(columns, data)


def discard_rows(discards: list[Discard]) -> TableRows:
    """The discards of one load as rows of the ``discards`` table."""
    fields = ("table_name", "row_id", "column_name", "column_value", "reason", "received_at")
    data = pa.table(
        {
            f: pa.array([_capped(f, getattr(d, f)) for d in discards], type=ARROW_TYPES[DISCARD_COLUMNS[f]])
            for f in fields
        }
    )
    columns = {f: DISCARD_COLUMNS[f] for f in fields}
    return TableRows(DISCARDS_TABLE, "discards", columns, data, DISCARD_KEY)


# Key columns of `discards` stay well under index-entry limits (Postgres btree: ~2,700 bytes for
# the whole key, up to 4 bytes a character), whatever a hostile 10,000-character property name
# does to the reason text (table and column names are bounded by the dialect already); the hash
# keeps two long values distinct.
KEY_TEXT_LIMIT = 200


def _capped(field: str, value: object) -> object:
    if field in ("row_id", "reason") and isinstance(value, str) and len(value) > KEY_TEXT_LIMIT:
        return value[: KEY_TEXT_LIMIT - 12] + "…" + short_hash(value)
    return value


def load_table(dialect: Dialect, schema: str, rows: TableRows, loaded_at: datetime) -> TableResult:
    """Load one table's rows (and its discards); raises on failure."""
    loaded, fitted = _evolve_and_merge(dialect, schema, with_load_columns(rows, loaded_at, dialect))
    if fitted.discards:
        discards = with_load_columns(discard_rows(fitted.discards), loaded_at, dialect)
        _evolve_and_merge(dialect, schema, discards)
    return TableResult(rows_loaded=loaded, rows_discarded=len(fitted.discards))


def _evolve_and_merge(dialect: Dialect, schema: str, rows: TableRows) -> tuple[int, TableRows]:
    """Under the table's lock: fit the rows to its columns, create or evolve it, merge."""
    with dialect.table_lock(schema, rows.name):
        existing = dialect.existing_columns(schema, rows.name)
        fitted, new = reconcile(rows, existing)
        if existing is None:
            dialect.create_table(schema, rows.name, fitted.columns, fitted.key)
        elif new:
            dialect.add_columns(schema, rows.name, new)
        return dialect.merge(schema, fitted), fitted


def load_tables(
    dialect: Dialect, schema: str, tables: dict[str, TableRows], loaded_at: datetime
) -> dict[str, TableResult]:
    """Load every table independently; a failing table is reported (transient or terminal), never raised."""
    dialect.ensure_schema(schema)
    results: dict[str, TableResult] = {}
    for name, rows in tables.items():
        try:
            results[name] = load_table(dialect, schema, rows, loaded_at)
        except Exception as exc:  # any warehouse error: this table is retried next time (or parked)
            log.exception("loading %s.%s failed", schema, name)
            results[name] = TableResult(error=error_text(exc), terminal=dialect.is_terminal(exc))
    return results
