"""The comparison's figures and verdicts: frozen dataclasses, one ``to_dict`` for JSON and XCom.

Everything here is an aggregate read back from the warehouse (an hour's row count, a column's
non-null count, a percentile): the report never holds an event.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

Verdict = Literal["match", "differs", "segment_only", "eventyard_only", "empty"]

MATCHING_NOTE = (
    "Rows are matched by aggregates (counts, distinct ids, fill rates, percentiles per table, "
    "event and hour), not by id: the Segment snippet and ours fire independently, so the same "
    "real call has a different message id (the id column) on each side."
)


@dataclass(frozen=True)
class Thresholds:
    """When two sides agree. Relative differences are |ours - segment| / max(ours, segment)."""

    # Rows per table, per table-and-hour and per event-and-hour (the default: 1%).
    counts: float = 0.01
    # Distinct anonymous_id / user_id per table.
    ids: float = 0.01
    # A shared column's fill rate (non-null share), as an absolute difference of the two rates.
    fill: float = 0.05
    # An hour whose busier side has fewer rows than this is not judged on its own (noise);
    # it still counts in the table's totals.
    min_hour_rows: int = 1

    def __post_init__(self) -> None:
        for name in ("counts", "ids", "fill"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"threshold {name} must be between 0 and 1, not {value}")
        if self.min_hour_rows < 1:
            raise ValueError(f"min_hour_rows must be at least 1, not {self.min_hour_rows}")


def relative_difference(segment: float, ours: float) -> float:
    """|ours - segment| / the larger of the two (0 when both are 0, 1 when one side is 0)."""
    top = max(segment, ours)
    return abs(ours - segment) / top if top else 0.0


def ratio(segment: float, ours: float) -> float | None:
    """Ours / Segment's (None when Segment has nothing)."""
    return ours / segment if segment else None


@dataclass(frozen=True)
class Counts:
    """One side's rows and distinct ids over some slice (a table, an hour, an event's hour)."""

    rows: int = 0
    anonymous_ids: int = 0
    user_ids: int = 0


class BothSides:
    """Counts of Segment's side and ours; their ratio is what the verdicts and flags judge."""

    segment: Counts
    eventyard: Counts

    @property
    def ratio(self) -> float | None:
        """Our rows / Segment's rows."""
        return ratio(self.segment.rows, self.eventyard.rows)


@dataclass(frozen=True)
class HourRow(BothSides):
    """One hour of one table (``event`` set: one event's rows in ``tracks``), both sides."""

    hour: datetime
    segment: Counts
    eventyard: Counts
    event: str | None = None
    flagged: bool = False


@dataclass(frozen=True)
class FillRow:
    """One column's fill rate (non-null share of the rows in the window); None: no such column."""

    column: str
    segment: float | None
    eventyard: float | None
    flagged: bool = False


@dataclass(frozen=True)
class Lag:
    """Percentiles of ``timestamp - received_at`` in seconds (negative: the event was sent before
    it was received, as usual)."""

    rows: int
    p0: float | None
    p5: float | None
    p50: float | None
    p95: float | None
    p99: float | None
    p100: float | None


@dataclass(frozen=True)
class TopRow:
    """A value of ``pages.path`` or ``tracks.event`` among the most frequent on either side."""

    value: str | None
    segment: int
    eventyard: int


@dataclass(frozen=True)
class Flag:
    """What a person should look at: a table (and an event of ``tracks``) in an hour, or overall."""

    table: str
    reason: str
    hour: datetime | None = None
    event: str | None = None


@dataclass(frozen=True)
class TableComparison(BothSides):
    """One table on both sides: its verdict and every figure behind it."""

    table: str
    verdict: Verdict
    segment: Counts
    eventyard: Counts
    hours: tuple[HourRow, ...] = ()
    event_hours: tuple[HourRow, ...] = ()
    fill: tuple[FillRow, ...] = ()
    segment_only_columns: tuple[str, ...] = ()
    eventyard_only_columns: tuple[str, ...] = ()
    # (column, Segment's logical type, ours) where both have the column with different types.
    type_conflicts: tuple[tuple[str, str, str], ...] = ()
    lag_segment: Lag | None = None
    lag_eventyard: Lag | None = None
    top_column: str | None = None
    top: tuple[TopRow, ...] = ()
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True)
class CompareReport:
    """The whole A/A comparison of one Segment schema with ours over ``[since, until)``."""

    integration_id: str
    dialect: str
    segment_schema: str
    schema: str
    since: datetime
    until: datetime
    thresholds: Thresholds
    tables: tuple[TableComparison, ...] = field(default_factory=tuple)
    matching: str = MATCHING_NOTE

    @property
    def flags(self) -> tuple[Flag, ...]:
        """Every table's flags, in table order."""
        return tuple(flag for table in self.tables for flag in table.flags)

    @property
    def ok(self) -> bool:
        """Whether every table present on both sides matches (or is empty on both)."""
        return all(t.verdict in ("match", "empty") for t in self.tables)

    def summary(self) -> str:
        """One line for a log or a task label."""
        differ = [t.table for t in self.tables if t.verdict not in ("match", "empty")]
        if not differ:
            return f"{len(self.tables)} tables match"
        return f"{len(differ)} of {len(self.tables)} tables differ: {', '.join(differ[:5])}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``--json``, the DAG's XCom): plain types, ISO timestamps."""
        data = _plain(asdict(self))
        data["ok"] = self.ok
        data["flags"] = _plain([asdict(f) for f in self.flags])
        for table, plain in zip(self.tables, data["tables"], strict=True):
            plain["ratio"] = table.ratio
            for key in ("hours", "event_hours"):
                for row, hour in zip(getattr(table, key), plain[key], strict=True):
                    hour["ratio"] = row.ratio
        return data


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
