"""Write-audit-publish on DuckDB and real Postgres: a bad batch stays in quarantine, the good ones
publish, and after a fix the quarantined batch publishes with nothing lost or doubled."""

from __future__ import annotations

import json
from datetime import timedelta

from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.warehouse.quality import wap
from tests.quality.conftest import LAST_HOUR, check_round, configure, execute, healthy
from tests.warehouse.conftest import Warehouse


def _ids(warehouse: Warehouse, table: str) -> list[str]:
    return sorted(r["id"] for r in warehouse.query(f'SELECT "id" FROM "{warehouse.schema}"."{table}"'))


def test_a_bad_batch_is_quarantined_and_publishes_after_a_fix(warehouse: Warehouse) -> None:
    configure(warehouse, qualityWriteAuditPublish=True)
    moment = LAST_HOUR + timedelta(minutes=10)
    bad = healthy("b", moment)
    assert bad[0]["messageId"] == "b-o1"  # a client whose clock is a year ahead: this order's timestamp
    bad[0]["timestamp"] = bad[0]["timestamp"].replace(str(moment.year), str(moment.year + 1), 1)
    warehouse.land(healthy("a"))
    quarantined_id = warehouse.land(bad)
    warehouse.land(healthy("c"))

    report = warehouse.load()
    assert not report.errors and report.remaining == 0 and report.batches_completed == 2
    orders = _ids(warehouse, "order_completed")
    assert orders == ["a-o1", "a-o2", "c-o1", "c-o2"], "the good batches published, nothing of the bad one"
    assert not any(i.startswith("b-") for i in _ids(warehouse, "tracks") + _ids(warehouse, "pages"))
    (held,) = wap.quarantined(warehouse.settings, warehouse.integration_id)
    assert held.batch_id == quarantined_id and "timestamp_skew on order_completed: 1" in held.reason
    staged = f'"{held.staging_schema}"'
    assert len(warehouse.query(f'SELECT * FROM {staged}."tracks"')) == 3, "kept in its staging tables"

    assert warehouse.load().batches == 0, "later loads go on without it"
    listed = CliRunner().invoke(app, ["quality", "--quarantined", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output)["batch_id"] == quarantined_id

    refused = CliRunner().invoke(
        app, ["quality", "--republish", quarantined_id, "--integration", warehouse.integration_id]
    )
    assert refused.exit_code == 1 and "timestamp_skew order_completed" in refused.output
    assert "b-o1" not in _ids(warehouse, "order_completed")

    # The fix, in the staging tables: the client's clock was a year off.
    for table in ("tracks", "order_completed"):
        execute(warehouse, f'UPDATE {staged}."{table}" SET "timestamp" = "received_at" WHERE "id" = \'b-o1\'')
    published = CliRunner().invoke(
        app, ["quality", "--republish", quarantined_id, "--integration", warehouse.integration_id]
    )
    assert published.exit_code == 0, published.output
    assert wap.quarantined(warehouse.settings, warehouse.integration_id) == []
    assert _ids(warehouse, "order_completed") == ["a-o1", "a-o2", "b-o1", "b-o2", "c-o1", "c-o2"]
    tracks = _ids(warehouse, "tracks")
    assert len(tracks) == len(set(tracks)) == 9, "nothing lost, nothing doubled"
    assert held.staging_schema not in {
        r["schema_name"] for r in warehouse.query("SELECT schema_name FROM information_schema.schemata")
    }
    # The published data passes every check, completeness and the ledger's balance included.
    assert check_round(warehouse).passed
