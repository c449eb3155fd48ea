"""The checks run as SQL in the warehouse: keys, time, freshness, volume, column types, discards.

Each check is a template of ``warehouse_sql/<dialect>/quality_*.sql`` (DuckDB, Postgres,
Redshift, BigQuery) run through the integration's dialect, so the rows never leave the warehouse:
one pass per event table for keys, time and volume (``quality_scan``), the catalog for column
types, and the ``discards`` table for discard rates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import fmean
from typing import Any

from eventyard.warehouse.dialects import Dialect
from eventyard.warehouse.dialects.bigquery import BigQueryDialect
from eventyard.warehouse.quality.results import CheckResult
from eventyard.warehouse.quality.thresholds import Thresholds
from eventyard.warehouse.types import DISCARDS_TABLE

RESULTS_TABLE = "quality_results"
COLUMN_TYPES = "column_types"
# received_at is the collector's clock: more than this ahead of the check's clock is an error.
FUTURE_TOLERANCE = timedelta(minutes=5)
VOLUME_DAYS = 7
# The staging tables BigQueryDialect.staged creates in the dataset while it loads.
BIGQUERY_STAGE_PREFIX = "_eventyard_stage_"
# The template folders whose warehouses enforce unique indexes (``unique_key.sql``).
UNIQUE_KEY_FOLDERS = frozenset({"duckdb", "postgres"})

Columns = dict[str, dict[str, str]]  # table -> column -> physical type


def schema_columns(dialect: Dialect, schema: str) -> Columns:
    """Every table of the schema with its columns' physical types (one catalog query)."""
    if isinstance(dialect, BigQueryDialect):
        return _bigquery_columns(dialect, schema)
    out: Columns = {}
    for row in dialect.query(dialect.sql.statement("quality_columns"), (schema,)):
        out.setdefault(str(row["table_name"]), {})[str(row["column_name"])] = str(row["data_type"])
    return out


def _bigquery_columns(dialect: BigQueryDialect, schema: str) -> Columns:
    """BigQuery's tables (listed through the API: the emulator has no INFORMATION_SCHEMA) with the
    physical types a dry run of ``SELECT *`` reports (free). Load stages are not the schema's."""
    from google.cloud import bigquery

    out: Columns = {}
    for table in dialect.table_names(schema):
        if table.startswith(BIGQUERY_STAGE_PREFIX):
            continue
        job = dialect.client.query(
            dialect.sql.statement("columns", table=dialect.qualified(schema, table)),
            job_config=bigquery.QueryJobConfig(dry_run=True, use_query_cache=False),
        )
        out[table] = {field.name: str(field.field_type) for field in job.schema or []}
    return out


def event_tables(columns: Columns) -> list[str]:
    """Tables with Segment's event envelope (id, received_at, timestamp): all but users and ours."""
    wanted = {"id", "received_at", "timestamp"}
    return sorted(
        t for t, c in columns.items() if t not in (RESULTS_TABLE, DISCARDS_TABLE) and wanted <= set(c)
    )


@dataclass
class Scanned:
    """What the scans found: the results, and per table its rows in the quality window (the
    discard rate's denominator) and in all (completeness compares them with the ledger)."""

    results: list[CheckResult] = field(default_factory=list)
    window_rows: dict[str, int] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)


def scan_checks(
    dialect: Dialect, schema: str, columns: Columns, limits: Thresholds, now: datetime
) -> Scanned:
    """One pass per event table (``quality_scan``) for the key, time and volume checks: ids not
    null and unique in every table, received_at present and not ahead, timestamps within the skew
    window of received_at, freshness of the newest row, and rows in the last full hour against
    the same hour of the 7 days before."""
    scanned = Scanned()
    results, window_rows = scanned.results, scanned.window_rows
    newest: list[datetime] = []
    hours = volume_hours(now)
    params = _bind(
        dialect,
        [now + FUTURE_TOLERANCE, *_skew_bounds(dialect, limits.timestamp_skew), now - limits.window,
         *(moment for start in hours for moment in (start, start + timedelta(hours=1)))],
    )  # fmt: skip
    for table in event_tables(columns):
        keyed = _unique_id(dialect, schema, table)
        duplicates = "0" if keyed else dialect.sql.statement("quality_duplicate_ids", id=dialect.quote("id"))
        sql = dialect.sql.statement(
            "quality_scan",
            target=dialect.qualified(schema, table),
            id=dialect.quote("id"),
            received_at=dialect.quote("received_at"),
            timestamp=dialect.quote("timestamp"),
            duplicate_ids=duplicates,
        )
        (row,) = dialect.query(sql, params)
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
                f"rows whose timestamp is more than {_hours(limits.timestamp_skew)} h from received_at",
            ),
        ]
        results += _volume_result(table, [_int(row[f"hour_{k}"]) for k in range(len(hours))], hours, limits)
        window_rows[table] = _int(row["window_rows"])
        scanned.row_counts[table] = _int(row["row_count"])
        if row["newest"] is not None:
            newest.append(_utc(row["newest"]))
    if "users" in columns and "id" in columns["users"]:
        sql = _table_sql(dialect, "quality_keys", schema, "users", id="id")
        (row,) = dialect.query(sql)
        results += _key_results("users", row, False)
        scanned.row_counts["users"] = _int(row["row_count"])
    if newest:
        age = (now - max(newest)).total_seconds() / 60
        limit = limits.freshness.total_seconds() / 60
        results.append(
            CheckResult("freshness", "*", round(age, 1), limit, age <= limit, "minutes since the newest row")
        )
    return scanned


def volume_hours(now: datetime) -> list[datetime]:
    """The starts of the last full hour before ``now`` and of the same hour on the 7 days before."""
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=1)
    return [start - timedelta(days=d) for d in range(VOLUME_DAYS + 1)]


def _volume_result(
    table: str, counts: list[int], hours: list[datetime], limits: Thresholds
) -> list[CheckResult]:
    """The volume check of one table: the last full hour against the mean of the same hour over
    the 7 days before.

    A table whose mean at that hour is below ``volume_min_rows`` has no baseline yet and passes;
    one with a baseline whose count falls outside [mean / factor, mean * factor] fails, so an
    event that stops arriving (0 rows) is flagged.
    """
    if limits.volume_factor <= 0:
        return []
    observed, baseline = counts[0], fmean(counts[1:])
    if baseline < limits.volume_min_rows:
        return [CheckResult("volume", table, observed, baseline, True, "no baseline yet")]
    low, high = baseline / limits.volume_factor, baseline * limits.volume_factor
    start = hours[0]
    end = start + timedelta(hours=1)
    return [
        CheckResult(
            "volume",
            table,
            observed,
            round(baseline, 1),
            low <= observed <= high,
            f"rows {start:%Y-%m-%d %H}:00-{end:%H}:00 UTC; band {low:.1f}..{high:.1f}",
        )
    ]


def _unique_id(dialect: Dialect, schema: str, table: str) -> bool:
    """Whether a unique index on ``id`` rules repeated ids out (Postgres, DuckDB: counting DISTINCT
    ids would sort them all). Redshift and BigQuery enforce no unique keys: always counted."""
    if dialect.sql.folder not in UNIQUE_KEY_FOLDERS:
        return False
    return bool(dialect.query(dialect.sql.statement("unique_key"), (schema, table, ["id"])))


def _skew_bounds(dialect: Dialect, skew: timedelta) -> tuple[Any, Any]:
    """The timestamp skew as the scan binds it: an interval twice (Postgres, DuckDB), or the
    lower and upper bound of the difference in seconds (Redshift) or milliseconds (BigQuery)."""
    if dialect.sql.folder == "redshift":
        return -skew.total_seconds(), skew.total_seconds()
    if dialect.sql.folder == "bigquery":
        ms = int(skew.total_seconds() * 1000)
        return -ms, ms
    return skew, skew


def _bind(dialect: Dialect, values: Sequence[Any]) -> list[Any]:
    """Bound values as the dialect's templates take times: aware datetimes (Postgres, DuckDB),
    naive UTC (Redshift's TIMESTAMP holds UTC), ISO-8601 text (BigQuery: ``TIMESTAMP(?)``)."""
    folder = dialect.sql.folder
    out: list[Any] = []
    for value in values:
        if isinstance(value, datetime) and folder == "redshift":
            value = _utc(value).replace(tzinfo=None)
        elif isinstance(value, datetime) and folder == "bigquery":
            value = _utc(value).isoformat()
        out.append(value)
    return out


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
            str(r["table_name"]): _int(r["discarded"])
            for r in dialect.query(sql, _bind(dialect, [now - limits.window]))
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
