"""The aggregate queries of one side (a schema), through the dialect's ``compare_*`` templates.

Every figure is computed by the warehouse: a query returns one row per hour (and event), one
row of counts per table, or the 50 most frequent values, whatever the table's size. The
templates take only quoted identifiers and typed NULLs from here; the window's bounds are bound
as ISO-8601 text and cast by the template, so every dialect gets the same parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventyard.compare.model import Counts, Lag
from eventyard.warehouse.dialects import Dialect
from eventyard.warehouse.types import Logical

# Columns every comparison query reads when the table has them.
ANONYMOUS_ID, USER_ID, RECEIVED_AT, TIMESTAMP = "anonymous_id", "user_id", "received_at", "timestamp"
# Loader bookkeeping that is expected to differ between the two pipelines: not a property.
BOOKKEEPING = frozenset({"id", "uuid", "uuid_ts", "loaded_at", "received_at"})
# Most frequent values compared per table (the first column the table has).
TOP_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "pages": ("path", "context_page_path"),
    "screens": ("name",),
    "tracks": ("event",),
}
# Tables that are not events of the source (our discards; Segment's are never synced).
IGNORED_TABLES = frozenset({"discards"})


@dataclass(frozen=True)
class Window:
    """``[since, until)`` in UTC."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("the window's bounds need a time zone")
        if self.since >= self.until:
            raise ValueError(
                f"--since ({self.since.isoformat()}) must be before --until ({self.until.isoformat()})"
            )

    @property
    def params(self) -> tuple[str, str]:
        """The bounds as bound parameters (ISO-8601 text; the templates cast them)."""
        return (self.since.astimezone(UTC).isoformat(), self.until.astimezone(UTC).isoformat())


@dataclass(frozen=True)
class HourFigures:
    """One row of ``compare_hourly``: an hour (and tracks' event) and its counts."""

    hour: datetime
    key: str | None
    counts: Counts


def as_utc(value: Any) -> datetime:
    """A warehouse timestamp as an aware UTC datetime (Segment's columns have no time zone: UTC)."""
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Side:
    """One schema of the warehouse, read only through aggregate queries."""

    def __init__(self, dialect: Dialect, schema: str, window: Window) -> None:
        self.d = dialect
        self.schema = schema
        self.window = window

    def tables(self) -> dict[str, dict[str, Logical]]:
        """The schema's event tables (those with ``received_at``) and their columns, by name."""
        found = {}
        for table in self.d.table_names(self.schema):
            columns = self.columns(table) if table not in IGNORED_TABLES else {}
            if RECEIVED_AT in columns:
                found[table] = columns
        return found

    def columns(self, table: str) -> dict[str, Logical]:
        """The table's columns and logical types, in the table's order."""
        return self.d.existing_columns(self.schema, table) or {}

    def _column_or_null(self, columns: Mapping[str, Logical], name: str) -> str:
        return self.d.quote(name) if name in columns else f"CAST(NULL AS {self.d.type_for('text')})"

    def _parts(self, table: str) -> dict[str, str]:
        return {"table": self.d.qualified(self.schema, table), "received_at": self.d.quote(RECEIVED_AT)}

    def hourly(self, table: str, columns: Mapping[str, Logical], key: str | None) -> list[HourFigures]:
        """Rows and distinct ids per hour (and per ``key``'s value, when given)."""
        sql = self.d.sql.statement(
            "compare_hourly",
            **self._parts(table),
            key=self._column_or_null(columns, key) if key else f"CAST(NULL AS {self.d.type_for('text')})",
            anonymous_id=self._column_or_null(columns, ANONYMOUS_ID),
            user_id=self._column_or_null(columns, USER_ID),
        )
        return [
            HourFigures(
                as_utc(r["hour"]),
                None if r["key"] is None else str(r["key"]),
                Counts(int(r["row_count"]), int(r["anonymous_ids"]), int(r["user_ids"])),
            )
            for r in self.d.query(sql, self.window.params)
        ]

    def totals(
        self, table: str, columns: Mapping[str, Logical], fill: Sequence[str]
    ) -> tuple[Counts, dict[str, int]]:
        """Rows and distinct ids over the whole window, and the non-null count of each ``fill`` column."""
        aliases = {f"f_{i}": name for i, name in enumerate(fill)}
        q = self.d.quote
        parts = [
            f"count(DISTINCT {self._column_or_null(columns, ANONYMOUS_ID)}) AS {q('anonymous_ids')}",
            f"count(DISTINCT {self._column_or_null(columns, USER_ID)}) AS {q('user_ids')}",
            *(f"count({self.d.quote(name)}) AS {self.d.quote(a)}" for a, name in aliases.items()),
        ]
        sql = self.d.sql.statement("compare_fill", **self._parts(table), counts=", ".join(parts))
        (row,) = self.d.query(sql, self.window.params)
        counts = Counts(int(row["row_count"]), int(row["anonymous_ids"] or 0), int(row["user_ids"] or 0))
        return counts, {name: int(row[a] or 0) for a, name in aliases.items()}

    def lag(self, table: str, columns: Mapping[str, Logical]) -> Lag | None:
        """Percentiles of ``timestamp - received_at`` (None when the table has no timestamp)."""
        if TIMESTAMP not in columns:
            return None
        sql = self.d.sql.statement("compare_lag", **self._parts(table), timestamp=self.d.quote(TIMESTAMP))
        (row,) = self.d.query(sql, self.window.params)
        values = {
            k: None if row[k] is None else round(float(row[k]), 3)
            for k in ("p0", "p5", "p50", "p95", "p99", "p100")
        }
        return Lag(rows=int(row["row_count"]), **values)

    def top(self, table: str, column: str) -> dict[str | None, int]:
        """The 50 most frequent values of ``column`` and their rows."""
        sql = self.d.sql.statement("compare_top", **self._parts(table), column=self.d.quote(column))
        return {
            None if r["value"] is None else str(r["value"]): int(r["row_count"])
            for r in self.d.query(sql, self.window.params)
        }


def parse_moment(text: str) -> datetime:
    """An ISO-8601 date or time (``2024-03-01``, ``2024-03-01T09:00``, ``...Z``); no zone means UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO-8601 date or time: {text!r} (e.g. 2024-03-01T09:00Z)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
