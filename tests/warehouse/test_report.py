"""The typed load report: chunks add up, the JSON form round-trips, the log and label read well."""

from __future__ import annotations

import json

from eventyard.warehouse.errors import TerminalWarehouseError
from eventyard.warehouse.report import LoadReport, TableFigures


def _chunk(batches: int, done: int, remaining: int, rows: int) -> LoadReport:
    report = LoadReport("i1", "postgres", "src", "my_shop", batches, done, remaining, events=rows)
    report.add_table("tracks", rows, 1)
    return report


def test_chunks_add_up() -> None:
    total = LoadReport("i1")
    total.absorb(_chunk(50, 50, 30, 100))
    second = _chunk(30, 29, 0, 60)
    second.add_error("users", "UniqueViolation: …", terminal=False)
    second.add_error("bad", "CheckViolation: …", terminal=True)
    second.fallbacks = 2
    total.absorb(second)
    assert (total.batches, total.batches_completed, total.remaining, total.events) == (80, 79, 0, 160)
    assert total.tables == {"tracks": TableFigures(160, 2)}
    assert (total.integration_code, total.schema, total.fallbacks) == ("postgres", "my_shop", 2)
    assert total.terminal == ["bad"] and total.retriable
    # A later chunk that fails the same table for a transient reason makes it retriable again.
    third = LoadReport("i1")
    third.add_error("bad", "OperationalError: …", terminal=False)
    total.absorb(third)
    assert total.terminal == [] and set(total.errors) == {"users", "bad"}


def test_json_form_round_trips_and_reads_well() -> None:
    report = _chunk(2, 1, 0, 7)
    report.add_error("batch b1", "ArrowInvalid: …", terminal=True)
    report.parked.append("b1/tracks")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["tables"] == {"tracks": {"rows_loaded": 7, "rows_discarded": 1}}
    assert LoadReport.from_dict(data) == report
    assert report.label() == "postgres my_shop: 7 events -> 7 rows, 1 discarded, 1 failed"
    assert report.lines() == [
        "postgres schema my_shop: 1/2 batches loaded, 0 pending",
        "  tracks: 7 rows loaded, 1 discarded",
        "  batch b1: FAILED (terminal, not retried) ArrowInvalid: …",
        "  parked after repeated terminal errors: b1/tracks",
    ]
    failed = LoadReport.failed("i2", TerminalWarehouseError("no integration 'i2'"), terminal=True)
    assert failed.errors == {"*": "TerminalWarehouseError: no integration 'i2'"} and not failed.retriable
