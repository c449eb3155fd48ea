"""``eventyard bench intake``: it times the collector's real per-event work, against JSON alone."""

from __future__ import annotations

import asyncio

import orjson
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.collector import segment
from eventyard.collector.bench import intake


def test_the_pipeline_it_times_makes_the_spool_records_a_worker_appends() -> None:
    for make in intake.BODIES.values():
        framed = asyncio.run(intake.pipeline(intake.body_of(make)))
        records = [orjson.loads(r) for r in segment.parse(segment.MAGIC + framed).records]
        assert len(records) == intake.EVENTS_PER_BODY
        for record in records:
            assert record["sourceId"] == "bench-source" and record["rejected"] is None
            message = record["message"]
            # Enriched, as the collector stores it: ids, server clock, clock skew, project.
            assert message["messageId"] and message["receivedAt"] == record["receivedAt"]
            assert message["projectId"] == "bench-source" and message["version"] == 2
            assert message["timestamp"].endswith("Z")


def test_the_cli_reports_each_kind_of_event_against_its_ceiling() -> None:
    result = CliRunner().invoke(app, ["bench", "intake", "--rounds", "1", "--requests", "3", "--json"])
    assert result.exit_code == 0, result.output
    rows = orjson.loads(result.stdout)
    assert [row["events"] for row in rows] == list(intake.BODIES)
    for row in rows:
        assert row["ceiling_us_per_event"] > 0
        # Parsing and serializing are part of the pipeline: it cannot cost less than they do.
        assert row["pipeline_us_per_event"] > row["ceiling_us_per_event"]
        assert row["ratio"] > 1


def test_the_table_names_the_ceiling() -> None:
    result = CliRunner().invoke(app, ["bench", "intake", "--rounds", "1", "--requests", "2"])
    assert result.exit_code == 0, result.output
    assert "ceiling: orjson.loads of the body and one orjson.dumps per event" in result.output
    assert "track (bench)" in result.output and "page (analytics.js)" in result.output
