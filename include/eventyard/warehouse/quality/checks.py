"""The checks run as SQL in the warehouse: keys, time, freshness, volume, column types, discards.

Each check is a template of ``warehouse_sql/<dialect>/quality_*.sql`` run through the
integration's dialect, so the rows never leave the warehouse: one pass per event table for keys
and time (``quality_scan``), one grouped count per table for volume (``quality_hourly``), the
catalog for column types, and the ``discards`` table for discard rates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from statistics import fmean
from typing import Any

from eventyard.warehouse.dialects import Dialect
from eventyard.warehouse.quality.results import CheckResult
from eventyard.warehouse.quality.thresholds import Thresholds
from eventyard.warehouse.types import DISCARDS_TABLE

RESULTS_TABLE = "quality_results"
COLUMN_TYPES = "column_types"
# received_at is the collector's clock: more than this ahead of the check's clock is an error.
FUTURE_TOLERANCE = timedelta(minutes=5)
VOLUME_DAYS = 7

Columns = dict[str, dict[str, str]]  # table -> column -> physical type


def schema_columns(dialect: Dialect, schema: str) -> Columns:
    """Every table of the schema with its columns' physical types (one catalog query)."""
    out: Columns = {}
    for row in dialect.query(dialect.sql.statement("quality_columns"), (schema,)):
        out.setdefault(str(row["table_name"]), {})[str(row["column_name"])] = str(row["data_type"])
    return out


def event_tables(columns: Columns) -> list[str]:
    """Tables with Segment's event envelope (id, received_at, timestamp): all but users and ours."""
    wanted = {"id", "received_at", "timestamp"}
    return sorted(
        t for t, c in columns.items() if t not in (RESULTS_TABLE, DISCARDS_TABLE) and wanted <= set(c)
    )


def key_and_time_checks(
    dialect: Dialect, schema: str, columns: Columns, limits: Thresholds, now: datetime
) -> tuple[list[CheckResult], dict[str, int]]:
    """Ids not null and unique in every table, received_at present and not ahead, timestamps within
    the skew window of received_at, freshness of the newest row. Also returns each event table's
    rows in the quality window (the discard rate's denominator)."""
    results: list[CheckResult] = []
    window_rows: dict[str, int] = {}
    newest: list[datetime] = []
    for table in event_tables(columns):
        # A unique index on id rules repeated ids out; counting DISTINCT ids would sort them all.
        keyed = bool(dialect.query(dialect.sql.statement("unique_key"), (schema, table, ["id"])))
        sql = _table_sql(
            dialect,
            "quality_scan_keyed" if keyed else "quality_scan",
            schema,
            table,
            id="id",
            received_at="received_at",
            timestamp="timestamp",
        )
        skew = limits.timestamp_skew
        (row,) = dialect.query(sql, (now + FUTURE_TOLERANCE, skew, skew, now - limits.window))
        results += _key_results(table, row, keyed)
        results += [
            CheckResult(
                "received_at_null",
                table,
                _int(row["null_received_at"]),
                0,
                not row["null_received_at"],
                "rows without received_at",
            ),
            CheckResult(
                "received_at_future",
                table,
                _int(row["future_received_at"]),
                0,
                not row["future_received_at"],
                f"rows received more than {FUTURE_TOLERANCE} ahead",
            ),
            CheckResult(
                "timestamp_skew",
                table,
                _int(row["skewed_timestamps"]),
                0,
                not row["skewed_timestamps"],
                f"rows whose timestamp is more than {_hours(skew)} h from received_at",
            ),
        ]
        window_rows[table] = _int(row["window_rows"])
        if row["newest"] is not None:
            newest.append(_utc(row["newest"]))
    if "users" in columns and "id" in columns["users"]:
        sql = _table_sql(dialect, "quality_keys", schema, "users", id="id")
        results += _key_results("users", dialect.query(sql)[0], False)
    if newest:
        age = (now - max(newest)).total_seconds() / 60
        limit = limits.freshness.total_seconds() / 60
        results.append(
            CheckResult("freshness", "*", round(age, 1), limit, age <= limit, "minutes since the newest row")
        )
    return results, window_rows


def _key_results(table: str, row: Mapping[str, Any], keyed: bool) -> list[CheckResult]:
    rows = f"among {_int(row['row_count'])} rows" + (
        " (a unique index on id rules them out)" if keyed else ""
    )
    return [
        CheckResult("id_not_null", table, _int(row["null_ids"]), 0, not row["null_ids"], "rows without id"),
        CheckResult(
            "id_unique",
            table,
            _int(row["duplicate_ids"]),
            0,
            not row["duplicate_ids"],
            f"repeated ids {rows}",
        ),
    ]


def volume_checks(
    dialect: Dialect, schema: str, columns: Columns, limits: Thresholds, now: datetime
) -> list[CheckResult]:
    """Rows in the last full hour per event table against the same hour of the 7 days before.

    A table whose mean at that hour is below ``volume_min_rows`` has no baseline yet and passes;
    one with a baseline whose count falls outside [mean / factor, mean * factor] fails, so an
    event that stops arriving (0 rows) is flagged.
    """
    if limits.volume_factor <= 0:
        return []
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=1)
    first = start - timedelta(days=VOLUME_DAYS)
    results = []
    for table in event_tables(columns):
        sql = _table_sql(dialect, "quality_hourly", schema, table, received_at="received_at")
        counts = {_utc(r["hour"]): _int(r["row_count"]) for r in dialect.query(sql, (first, end))}
        observed = counts.get(start, 0)
        baseline = fmean(counts.get(start - timedelta(days=d), 0) for d in range(1, VOLUME_DAYS + 1))
        if baseline < limits.volume_min_rows:
            results.append(CheckResult("volume", table, observed, baseline, True, "no baseline yet"))
            continue
        low, high = baseline / limits.volume_factor, baseline * limits.volume_factor
        results.append(
            CheckResult(
                "volume",
                table,
                observed,
                round(baseline, 1),
                low <= observed <= high,
                f"rows {start:%Y-%m-%d %H}:00-{end:%H}:00 UTC; band {low:.1f}..{high:.1f}",
            )
        )
    return results


def column_type_checks(columns: Columns, last: Mapping[str, Mapping[str, str]]) -> list[CheckResult]:
    """Column types unchanged since the last round (a change fails), new columns listed.

    Each result's ``snapshot`` carries the table's types as JSON: the next round's ``last``.
    """
    results = []
    for table, types in sorted(columns.items()):
        if table == RESULTS_TABLE:
            continue
        before = last.get(table, {})
        changed = {c: f"{before[c]} -> {t}" for c, t in types.items() if c in before and before[c] != t}
        new = sorted(c for c in types if c not in before) if before else []
        detail = "; ".join(f"{c}: {v}" for c, v in changed.items())
        if new:
            detail = (detail + "; " if detail else "") + "new columns: " + ", ".join(new)
        results.append(
            CheckResult(
                COLUMN_TYPES,
                table,
                len(changed),
                0,
                not changed,
                detail,
                snapshot=json.dumps(types, sort_keys=True),
            )
        )
    return results


def _table_sql(dialect: Dialect, template: str, schema: str, table: str, **columns: str) -> str:
    """A check's statement on ``schema.table``: each placeholder names a column, quoted here."""
    return dialect.sql.statement(
        template,
        target=dialect.qualified(schema, table),
        **{placeholder: dialect.quote(column) for placeholder, column in columns.items()},
    )


def last_column_types(dialect: Dialect, schema: str, columns: Columns) -> dict[str, dict[str, str]]:
    """The column types the previous round recorded (empty on the first round)."""
    if RESULTS_TABLE not in columns:
        return {}
    sql = _table_sql(
        dialect,
        "quality_last_columns",
        schema,
        RESULTS_TABLE,
        table_name="table_name",
        detail="snapshot",
        check="check_name",
        run_id="run_id",
    )
    return {
        str(r["table_name"]): json.loads(r["detail"] or "{}") for r in dialect.query(sql, (COLUMN_TYPES,) * 2)
    }


def discard_checks(
    dialect: Dialect,
    schema: str,
    columns: Columns,
    limits: Thresholds,
    now: datetime,
    window_rows: Mapping[str, int],
) -> list[CheckResult]:
    """Values discarded per row loaded in the quality window, per table, under the ceiling."""
    discarded: dict[str, int] = {}
    if DISCARDS_TABLE in columns:
        sql = _table_sql(
            dialect,
            "quality_discards",
            schema,
            DISCARDS_TABLE,
            table_name="table_name",
            received_at="received_at",
        )
        discarded = {
            str(r["table_name"]): _int(r["discarded"]) for r in dialect.query(sql, (now - limits.window,))
        }
    results = []
    for table, rows in sorted(window_rows.items()):
        count = discarded.get(table, 0)
        rate = count / rows if rows else float(count > 0)
        results.append(
            CheckResult(
                "discards_rate",
                table,
                round(rate, 4),
                limits.discards_rate_max,
                rate <= limits.discards_rate_max,
                f"{count} values discarded over {rows} rows in the window",
            )
        )
    return results


def _int(value: Any) -> int:
    return int(value or 0)


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:g}"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
