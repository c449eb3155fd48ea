"""What the ``segment_compare`` DAG's tasks call (plain functions, testable without Airflow).

A manual run names one comparison in its params (``integration``, ``segment_schema``, optional
``schema``, ``since``, ``until``, thresholds). A scheduled (daily) run compares, over the previous
UTC day, every enabled warehouse integration whose config names its
Segment schema (``segmentSchema``): one mapped task each. Each task writes the HTML report
under ``$EVENTYARD_HOME/reports/compare/`` and returns the JSON summary as its XCom.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eventyard.compare.compare import CompareError, run_compare
from eventyard.compare.model import CompareReport, Thresholds
from eventyard.compare.queries import parse_moment
from eventyard.compare.report_html import render
from eventyard.db.engine import get_engine, session_scope
from eventyard.db.models import Integration
from eventyard.settings import Settings, get_settings
from eventyard.warehouse.cycle import enabled_warehouse_integrations

log = logging.getLogger("eventyard.segment_compare")
CONFIG_KEY = "segmentSchema"


@dataclass(frozen=True)
class CompareTarget:
    """One comparison a task runs (XCom-serializable through ``asdict``)."""

    integration: str
    segment_schema: str
    schema: str | None
    since: str
    until: str


def compare_targets(
    params: Mapping[str, Any], interval_start: datetime | None, interval_end: datetime | None,
    settings: Settings | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The comparisons of one run: the params' one, else every integration configured for A/A."""
    settings = settings or get_settings()
    moment = interval_end or interval_start
    day_since, day_until = previous_day(moment) if moment else ("", "")
    since, until = str(params.get("since") or day_since), str(params.get("until") or day_until)
    if not (since and until):
        raise CompareError("no window: give the params since and until")
    if params.get("integration"):
        if not params.get("segment_schema"):
            raise CompareError("the param segment_schema is required with integration")
        target = CompareTarget(str(params["integration"]), str(params["segment_schema"]),
                               str(params.get("schema") or "") or None, since, until)  # fmt: skip
        return [asdict(target)]
    targets = []
    with session_scope(get_engine(settings)) as session:
        for integration_id in enabled_warehouse_integrations(settings):
            integration = session.get(Integration, integration_id)
            segment_schema = (integration.config or {}).get(CONFIG_KEY) if integration else None
            if segment_schema:
                targets.append(asdict(CompareTarget(integration_id, str(segment_schema), None, since, until)))
    return targets


def previous_day(moment: datetime) -> tuple[str, str]:
    """The whole UTC day before ``moment``'s day: a daily run's window. (Airflow 3's cron
    schedules give a run a zero-length data interval, so the interval itself cannot be it.)"""
    until = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return (until - timedelta(days=1)).isoformat(), until.isoformat()


def thresholds_from(params: Mapping[str, Any]) -> Thresholds:
    """The run's thresholds: params ``max_count_diff``, ``max_id_diff``, ``max_fill_diff``,
    ``min_hour_rows``."""
    default = Thresholds()
    return Thresholds(
        counts=float(params.get("max_count_diff", default.counts)),
        ids=float(params.get("max_id_diff", default.ids)),
        fill=float(params.get("max_fill_diff", default.fill)),
        min_hour_rows=int(params.get("min_hour_rows", default.min_hour_rows)),
    )


def report_path(settings: Settings, report: CompareReport) -> Path:
    """Where a run's HTML report goes: one file per integration and window."""
    name = f"{report.since:%Y%m%dT%H%M}_{report.until:%Y%m%dT%H%M}.html"
    return settings.home.resolve() / "reports" / "compare" / report.integration_id / name


def run_compare_task(
    target: Mapping[str, Any], params: Mapping[str, Any], context: MutableMapping[str, Any] | None = None
) -> dict[str, Any]:
    """The body of a mapped ``compare`` task: compare, write the HTML, log, label; return the summary."""
    settings = get_settings()
    report = run_compare(
        settings, str(target["integration"]), str(target["segment_schema"]),
        parse_moment(str(target["since"])), parse_moment(str(target["until"])),
        schema=target.get("schema") or None, thresholds=thresholds_from(params),
    )  # fmt: skip
    path = report_path(settings, report)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(report), encoding="utf-8")
    for table in report.tables:
        log.info("%s: %s (Segment %d rows, Eventyard %d)", table.table, table.verdict,
                 table.segment.rows, table.eventyard.rows)  # fmt: skip
    for flag in report.flags:
        log.warning("%s: %s", flag.table, flag.reason)
    log.info("HTML report: %s", path)
    if context is not None:
        context["eventyard_label"] = f"{report.segment_schema} vs {report.schema}: {report.summary()}"
    data = report.to_dict()
    # The XCom keeps the verdicts and flags; the hourly figures are in the HTML report.
    return {
        "ok": data["ok"],
        "summary": report.summary(),
        "html": str(path),
        "segment_schema": report.segment_schema,
        "schema": report.schema,
        "since": data["since"],
        "until": data["until"],
        "verdicts": {t.table: t.verdict for t in report.tables},
        "flags": data["flags"],
        "matching": report.matching,
    }
