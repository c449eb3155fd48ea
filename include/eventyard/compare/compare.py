"""Compare a Segment schema with ours, table by table: figures from SQL, verdicts from thresholds.

``run_compare`` is what the CLI and the ``segment_compare`` DAG call: it sets the integration's
warehouse up once (``table_setup``), opens one session, and for every event table on either
side reads a handful of aggregate rows per side (``queries.Side``). Only those rows reach
Python, so the cost is the warehouse's scan, whatever the table's size.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from eventyard.compare.model import (
    CompareReport,
    Counts,
    FillRow,
    Flag,
    HourRow,
    TableComparison,
    Thresholds,
    TopRow,
    relative_difference,
)
from eventyard.compare.queries import BOOKKEEPING, TOP_COLUMNS, HourFigures, Side, Window
from eventyard.settings import Settings
from eventyard.warehouse.dialects import Dialect
from eventyard.warehouse.errors import TerminalWarehouseError
from eventyard.warehouse.integration import table_setup
from eventyard.warehouse.types import Logical

TOP_ROWS = 20


class CompareError(TerminalWarehouseError, ValueError):
    """The comparison cannot run as asked (no such schema, nothing to compare)."""


def run_compare(
    settings: Settings,
    integration_id: str,
    segment_schema: str,
    since: datetime,
    until: datetime,
    *,
    schema: str | None = None,
    thresholds: Thresholds | None = None,
) -> CompareReport:
    """Compare ``segment_schema`` with the integration's schema (or ``schema``) over ``[since, until)``."""
    window = Window(since, until)
    setup = table_setup(settings, integration_id)
    ours = schema or setup.schema
    if ours == segment_schema:
        raise CompareError(f"--segment-schema and --schema are both {ours!r}: compare two different schemas")
    with setup.dialect as dialect:
        return compare_schemas(
            dialect, integration_id, segment_schema, ours, window, thresholds or Thresholds()
        )


def compare_schemas(
    dialect: Dialect,
    integration_id: str,
    segment_schema: str,
    schema: str,
    window: Window,
    thresholds: Thresholds,
) -> CompareReport:
    """The report for two schemas of one connected warehouse."""
    dialect.run(dialect.sql.statements("compare_session"))
    segment, eventyard = Side(dialect, segment_schema, window), Side(dialect, schema, window)
    segment_tables, our_tables = segment.tables(), eventyard.tables()
    for name, found in ((segment_schema, segment_tables), (schema, our_tables)):
        if not found:
            raise CompareError(f"schema {name!r} has no event tables (no table with a received_at column)")
    compared = tuple(
        _compare_table(
            table, segment, eventyard, segment_tables.get(table), our_tables.get(table), thresholds
        )
        for table in sorted(segment_tables.keys() | our_tables.keys())
    )
    return CompareReport(
        integration_id=integration_id,
        dialect=dialect.name,
        segment_schema=segment_schema,
        schema=schema,
        since=window.since,
        until=window.until,
        thresholds=thresholds,
        tables=compared,
    )


def _compare_table(
    table: str,
    segment: Side,
    eventyard: Side,
    segment_columns: dict[str, Logical] | None,
    our_columns: dict[str, Logical] | None,
    thresholds: Thresholds,
) -> TableComparison:
    on_segment, on_ours = segment_columns is not None, our_columns is not None
    seg_columns, our_columns = segment_columns or {}, our_columns or {}
    properties = [c for c in {**seg_columns, **our_columns} if c not in BOOKKEEPING]
    seg_counts, seg_filled = (
        segment.totals(table, seg_columns, [c for c in properties if c in seg_columns])
        if on_segment
        else (Counts(), {})
    )
    our_counts, our_filled = (
        eventyard.totals(table, our_columns, [c for c in properties if c in our_columns])
        if on_ours
        else (Counts(), {})
    )

    flags: list[Flag] = []
    if not (on_segment and on_ours):
        side = "Segment" if on_segment else "Eventyard"
        rows = seg_counts.rows or our_counts.rows
        if rows:
            flags.append(Flag(table, f"only {side} has this table ({rows} rows in the window)"))
        verdict = "segment_only" if on_segment else "eventyard_only"
        return TableComparison(
            table, verdict if rows else "empty", seg_counts, our_counts, flags=tuple(flags)
        )

    for what, a, b, limit in (
        ("rows", seg_counts.rows, our_counts.rows, thresholds.counts),
        ("distinct anonymous_id", seg_counts.anonymous_ids, our_counts.anonymous_ids, thresholds.ids),
        ("distinct user_id", seg_counts.user_ids, our_counts.user_ids, thresholds.ids),
    ):
        if relative_difference(a, b) > limit:
            flags.append(Flag(table, f"{what}: Segment {a}, Eventyard {b} (more than {limit:.1%} apart)"))

    key = "event" if table == "tracks" and "event" in seg_columns and "event" in our_columns else None
    event_hours = (
        _hour_rows(
            segment.hourly(table, seg_columns, key), eventyard.hourly(table, our_columns, key), thresholds
        )
        if key
        else ()
    )
    hours = _hour_rows(
        segment.hourly(table, seg_columns, None), eventyard.hourly(table, our_columns, None), thresholds
    )
    if key:
        # tracks: an hour is explained by the events in it, so the events are what is flagged.
        bad = {row.hour for row in event_hours if row.flagged}
        hours = tuple(_with_flag(row, row.hour in bad) for row in hours)
        flags.extend(_hour_flag(table, row) for row in event_hours if row.flagged)
    else:
        flags.extend(_hour_flag(table, row) for row in hours if row.flagged)

    fill = tuple(
        _fill_rows(
            properties,
            seg_columns,
            our_columns,
            seg_counts.rows,
            our_counts.rows,
            seg_filled,
            our_filled,
            thresholds,
        )
    )
    flags.extend(
        Flag(table, f"fill rate of {f.column}: Segment {f.segment:.1%}, Eventyard {f.eventyard:.1%}")
        for f in fill
        if f.flagged and f.segment is not None and f.eventyard is not None
    )

    top_column = next((c for c in TOP_COLUMNS.get(table, ()) if c in seg_columns and c in our_columns), None)
    top = _top_rows(segment.top(table, top_column), eventyard.top(table, top_column)) if top_column else ()
    verdict = "empty" if not (seg_counts.rows or our_counts.rows) else ("differs" if flags else "match")
    return TableComparison(
        table=table,
        verdict=verdict,
        segment=seg_counts,
        eventyard=our_counts,
        hours=hours,
        event_hours=event_hours,
        fill=fill,
        segment_only_columns=tuple(c for c in seg_columns if c not in our_columns and c not in BOOKKEEPING),
        eventyard_only_columns=tuple(c for c in our_columns if c not in seg_columns and c not in BOOKKEEPING),
        type_conflicts=tuple(
            (c, seg_columns[c], our_columns[c])
            for c in properties
            if c in seg_columns and c in our_columns and seg_columns[c] != our_columns[c]
        ),
        lag_segment=segment.lag(table, seg_columns),
        lag_eventyard=eventyard.lag(table, our_columns),
        top_column=top_column,
        top=top,
        flags=tuple(flags),
    )


def _hour_rows(
    segment: Iterable[HourFigures], ours: Iterable[HourFigures], thresholds: Thresholds
) -> tuple[HourRow, ...]:
    """Both sides' hours side by side (an hour one side lacks counts as 0 there), flagged by threshold."""
    seg = {(f.hour, f.key): f.counts for f in segment}
    our = {(f.hour, f.key): f.counts for f in ours}
    rows = []
    for hour, key in sorted(seg.keys() | our.keys(), key=lambda k: (k[0], k[1] or "")):
        a, b = seg.get((hour, key), Counts()), our.get((hour, key), Counts())
        judged = max(a.rows, b.rows) >= thresholds.min_hour_rows
        rows.append(
            HourRow(hour, a, b, key, judged and relative_difference(a.rows, b.rows) > thresholds.counts)
        )
    return tuple(rows)


def _with_flag(row: HourRow, flagged: bool) -> HourRow:
    return HourRow(row.hour, row.segment, row.eventyard, row.event, flagged)


def _hour_flag(table: str, row: HourRow) -> Flag:
    what = f"event {row.event!r} in " if row.event is not None else ""
    figures = f"Segment {row.segment.rows} rows, Eventyard {row.eventyard.rows}"
    reason = f"{what}hour {row.hour:%Y-%m-%d %H}:00: {figures}"
    return Flag(table, reason, hour=row.hour, event=row.event)


def _fill_rows(
    properties: list[str], seg_columns: dict[str, str], our_columns: dict[str, str],
    seg_rows: int, our_rows: int, seg_filled: dict[str, int], our_filled: dict[str, int],
    thresholds: Thresholds,
) -> Iterable[FillRow]:  # fmt: skip
    for column in properties:
        a = (seg_filled.get(column, 0) / seg_rows if seg_rows else 0.0) if column in seg_columns else None
        b = (our_filled.get(column, 0) / our_rows if our_rows else 0.0) if column in our_columns else None
        flagged = a is not None and b is not None and abs(a - b) > thresholds.fill
        yield FillRow(column, None if a is None else round(a, 4), None if b is None else round(b, 4), flagged)


def _top_rows(segment: dict[str | None, int], ours: dict[str | None, int]) -> tuple[TopRow, ...]:
    """The values of either side's top 50, the most different first."""
    values = sorted(
        segment.keys() | ours.keys(),
        key=lambda v: (
            -abs(segment.get(v, 0) - ours.get(v, 0)),
            -max(segment.get(v, 0), ours.get(v, 0)),
            v or "",
        ),
    )
    return tuple(TopRow(v, segment.get(v, 0), ours.get(v, 0)) for v in values[:TOP_ROWS])
