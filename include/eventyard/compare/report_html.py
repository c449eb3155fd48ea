"""The comparison as one self-contained HTML page: verdicts first, then a section per table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from eventyard.compare.charts import hourly_bars
from eventyard.compare.model import CompareReport, FillRow, HourRow, Lag, TableComparison

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1f2933}
table{border-collapse:collapse;margin:.5rem 0 1rem}
td,th{border:1px solid #d9e2ec;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}.match{color:#137333}.differs,.segment_only,.eventyard_only{color:#c5221f;font-weight:600}
.flagged{background:#fde2e1}.note{background:#f0f4f8;padding:.6rem 1rem;border-left:4px solid #2f6fde}
section{border-top:1px solid #d9e2ec;margin-top:1.5rem}
"""


def render(report: CompareReport) -> str:
    """The HTML page for ``report``."""
    t = report.thresholds
    head = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>A/A comparison: {escape(report.segment_schema)} vs {escape(report.schema)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>A/A comparison: Segment <code>{escape(report.segment_schema)}</code> vs Eventyard "
        f"<code>{escape(report.schema)}</code></h1>",
        f"<p>{escape(report.dialect)}, integration <code>{escape(report.integration_id)}</code>, received "
        f"{report.since.isoformat()} to {report.until.isoformat()} (UTC hours). Thresholds: counts within "
        f"{t.counts:.1%}, distinct ids within {t.ids:.1%}, fill rates within {t.fill:.1%} points, hours "
        f"judged from {t.min_hour_rows} rows.</p>",
        f'<p class="note">{escape(report.matching)}</p>',
        f"<h2>{'All tables match' if report.ok else escape(report.summary())}</h2>",
    ]
    summary = _table(
        (
            "table",
            "verdict",
            "Segment rows",
            "Eventyard rows",
            "ratio",
            "anonymous_id (S / E)",
            "user_id (S / E)",
        ),
        (
            (
                f'<a href="#t-{escape(c.table)}">{escape(c.table)}</a>',
                f'<span class="{c.verdict}">{c.verdict}</span>',
                c.segment.rows,
                c.eventyard.rows,
                _ratio(c.ratio),
                f"{c.segment.anonymous_ids} / {c.eventyard.anonymous_ids}",
                f"{c.segment.user_ids} / {c.eventyard.user_ids}",
            )
            for c in report.tables
        ),
    )
    flags = "".join(f"<li><b>{escape(f.table)}</b>: {escape(f.reason)}</li>" for f in report.flags)
    body = [summary, f"<h2>Flags</h2><ul>{flags}</ul>" if flags else ""]
    body.extend(_section(c) for c in report.tables)
    return "".join([*head, *body, "</body></html>"])


def _section(c: TableComparison) -> str:
    verdict = f'<span class="{c.verdict}">{c.verdict}</span>'
    parts = [f'<section id="t-{escape(c.table)}"><h2>{escape(c.table)} — {verdict}</h2>']
    parts.append(hourly_bars(c.hours, f"{c.table}: rows per hour, Segment vs Eventyard"))
    if c.flags:
        parts.append("<ul>" + "".join(f"<li>{escape(f.reason)}</li>" for f in c.flags) + "</ul>")
    if c.event_hours:
        events = sorted({h.event or "" for h in c.event_hours})
        parts.append("<h3>Per event</h3>")
        for event in events:
            rows = [h for h in c.event_hours if (h.event or "") == event]
            parts.append(f"<h4><code>{escape(event)}</code></h4>")
            parts.append(hourly_bars(rows, f"{c.table} {event}: rows per hour"))
    parts.append("<h3>Per hour</h3>")
    parts.append(_hours_table(c.event_hours or c.hours, with_event=bool(c.event_hours)))
    if c.segment_only_columns or c.eventyard_only_columns:
        parts.append(
            f"<p>Columns only Segment has: {_names(c.segment_only_columns)}. "
            f"Columns only Eventyard has: {_names(c.eventyard_only_columns)}.</p>"
        )
    if c.type_conflicts:
        conflicts = ", ".join(
            f"<code>{escape(n)}</code> ({escape(a)} / {escape(b)})" for n, a, b in c.type_conflicts
        )
        parts.append(f"<p>Columns typed differently (Segment / Eventyard): {conflicts}.</p>")
    if c.fill:
        parts.append("<h3>Property coverage (fill rate)</h3>")
        parts.append(_fill_table(c.fill))
    if c.lag_segment or c.lag_eventyard:
        parts.append("<h3>timestamp - received_at (seconds)</h3>")
        parts.append(_lag_table(c.lag_segment, c.lag_eventyard))
    if c.top:
        parts.append(
            f"<h3>Top values of <code>{escape(c.top_column or '')}</code>, most different first</h3>"
        )
        parts.append(
            _table(
                ("value", "Segment", "Eventyard"),
                ((escape(str(r.value)), r.segment, r.eventyard) for r in c.top),
            )
        )
    parts.append("</section>")
    return "".join(parts)


def _hours_table(hours: Sequence[HourRow], with_event: bool) -> str:
    header = ("hour", *(("event",) if with_event else ()), "Segment rows", "Eventyard rows", "ratio",
              "anonymous_id (S / E)", "user_id (S / E)")  # fmt: skip
    rows = (
        (f"{h.hour:%Y-%m-%d %H}:00", *((escape(h.event or ""),) if with_event else ()), h.segment.rows,
         h.eventyard.rows, _ratio(h.ratio), f"{h.segment.anonymous_ids} / {h.eventyard.anonymous_ids}",
         f"{h.segment.user_ids} / {h.eventyard.user_ids}")
        for h in hours
    )  # fmt: skip
    return _table(header, rows, flagged=[h.flagged for h in hours])


def _fill_table(fill: Sequence[FillRow]) -> str:
    rows = ((escape(f.column), _rate(f.segment), _rate(f.eventyard)) for f in fill)
    return _table(("column", "Segment", "Eventyard"), rows, flagged=[f.flagged for f in fill])


def _lag_table(segment: Lag | None, ours: Lag | None) -> str:
    keys = ("p0", "p5", "p50", "p95", "p99", "p100")
    rows = (
        (side, lag.rows, *(_num(getattr(lag, k)) for k in keys))
        for side, lag in (("Segment", segment), ("Eventyard", ours))
        if lag is not None
    )
    return _table(("side", "rows", "min", "p5", "p50", "p95", "p99", "max"), rows)


def _table(header: Sequence[str], rows: Iterable[Sequence[object]], flagged: Sequence[bool] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    lines = []
    for i, row in enumerate(rows):
        mark = ' class="flagged"' if i < len(flagged) and flagged[i] else ""
        lines.append(f"<tr{mark}>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(lines)}</table>"


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"<code>{escape(n)}</code>" for n in names) or "none"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _rate(value: float | None) -> str:
    return "no column" if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"
