"""Write-audit-publish on DuckDB, real Postgres, Redshift (its SQL on Postgres) and BigQuery (the
emulator): a bad batch stays in quarantine, the good ones publish, and after a fix the quarantined
batch publishes with nothing lost or doubled."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from eventyard.airflow_links import redirect_app
from eventyard.cli import app
from eventyard.settings import Settings
from eventyard.warehouse.quality import wap
from eventyard.warehouse.quality.paths import data_docs_index
from tests.quality.conftest import (
    EXT_PARAMS,
    LAST_HOUR,
    check_round,
    configure,
    execute,
    ext_warehouse,
    healthy,
)
from tests.warehouse.conftest import Warehouse
from tests.warehouse.ext.conftest import bigquery_endpoint  # noqa: F401 - the session's emulator


def _ids(warehouse: Warehouse, table: str) -> list[str]:
    return sorted(r["id"] for r in warehouse.query(f'SELECT "id" FROM "{warehouse.schema}"."{table}"'))


@pytest.fixture(params=EXT_PARAMS)
def ext(
    request: pytest.FixtureRequest, sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Warehouse:
    """A Redshift-on-Postgres or BigQuery-emulator integration."""
    return ext_warehouse(request, request.param, sqlite_settings, monkeypatch)


def _a_year_ahead(tag: str) -> list[dict[str, object]]:
    """A healthy batch but for its first order: a client whose clock is a year ahead."""
    moment = LAST_HOUR + timedelta(minutes=10)
    bad = healthy(tag, moment)
    assert bad[0]["messageId"] == f"{tag}-o1"
    bad[0]["timestamp"] = str(bad[0]["timestamp"]).replace(str(moment.year), str(moment.year + 1), 1)
    return bad


def test_a_bad_batch_is_quarantined_and_publishes_after_a_fix(warehouse: Warehouse) -> None:
    configure(warehouse, qualityWriteAuditPublish=True)
    warehouse.land(healthy("a"))
    quarantined_id = warehouse.land(_a_year_ahead("b"))
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


def test_great_expectations_on_the_landed_batch_quarantines_what_our_sql_audit_passes(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    """A track without its event name passes the SQL audit (ids and times are fine) but not the
    GX suite of the landed batch: quarantined, listed with GX's reason, in the Data Docs; after a
    fix in staging (checked by the tables' GX suites) it publishes. On DuckDB only: GX validates
    the landed file and the staging tables' rows through pandas, whatever the warehouse (the
    staging tables are read back on every warehouse by the round trips above)."""
    warehouse = Warehouse("duckdb", {"path": str(tmp_path / "warehouse.duckdb")}, sqlite_settings).setup()
    configure(warehouse, qualityWriteAuditPublish=True)
    bad = healthy("b")
    del bad[2]["event"]  # b-v1: a track whose name the SDK lost
    warehouse.land(healthy("a"))
    quarantined_id = warehouse.land(bad)
    report = warehouse.load()
    assert not report.errors and report.batches_completed == 1
    (held,) = wap.quarantined(warehouse.settings, warehouse.integration_id)
    assert held.batch_id == quarantined_id
    assert held.reason.startswith("gx_landed on landed batch: 1 ")
    assert "expect_column_values_to_not_be_null(event)" in held.reason
    assert not any(i.startswith("b-") for i in _ids(warehouse, "tracks"))
    docs = data_docs_index(warehouse.settings)
    assert docs.exists() and f"{warehouse.integration_id}.landed" in docs.read_text()
    # The Airflow UI plugin's "Quality Data Docs" link serves GX's site, validation pages included.
    client = TestClient(redirect_app(warehouse.settings))
    index = client.get("/data-docs/index.html")
    assert index.status_code == 200 and f"{warehouse.integration_id}.landed" in index.text
    page = re.search(r"(validations/[^'\"]+\.html)", index.text)  # the index lists them in its JS data
    assert page and client.get(f"/data-docs/{page.group(1)}").status_code == 200
    assert client.get("/data-docs/static/images/favicon.ico").status_code == 200

    republish = ["quality", "--republish", quarantined_id, "--integration", warehouse.integration_id]
    refused = CliRunner().invoke(app, republish)
    assert refused.exit_code == 1 and "gx_suite tracks" in refused.output, refused.output
    # The fix: the event's name back in tracks, and the table of the nameless event dropped.
    staging = f'"{held.staging_schema}"'
    execute(warehouse, f'UPDATE {staging}."tracks" SET "event" = \'Product Viewed\' WHERE "id" = \'b-v1\'')
    nameless = {
        r["table_name"]
        for r in warehouse.query(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{held.staging_schema}'"
        )
    } - {"tracks", "order_completed", "identifies", "users", "pages", "discards"}
    assert len(nameless) == 1
    execute(warehouse, f'DROP TABLE {staging}."{nameless.pop()}"')
    published = CliRunner().invoke(app, republish)
    assert published.exit_code == 0, published.output
    assert (
        len(_ids(warehouse, "tracks")) == 6
        and wap.quarantined(warehouse.settings, warehouse.integration_id) == []
    )


def test_write_audit_publish_on_redshift_and_bigquery(ext: Warehouse) -> None:
    """The same round trip through Redshift's and BigQuery's SQL: the batch a year ahead stays in
    its staging schema while the good one publishes; refused until fixed there, then published."""
    configure(ext, qualityWriteAuditPublish=True)
    # Two orders a batch (tables tracks and order_completed only: the emulator is slow per table)
    ext.land(healthy("a")[:2])
    held_id = ext.land(_a_year_ahead("b")[:2])
    report = ext.load()
    assert not report.errors and report.remaining == 0 and report.batches_completed == 1, report
    with ext.dialect() as d:

        def ids(schema: str, table: str) -> list[str]:
            return sorted(
                r["id"] for r in d.query(f"SELECT {d.quote('id')} AS id FROM {d.qualified(schema, table)}")
            )

        assert ids(ext.schema, "order_completed") == ["a-o1", "a-o2"]
        (held,) = wap.quarantined(ext.settings, ext.integration_id)
        assert held.batch_id == held_id and "timestamp_skew on order_completed: 1" in held.reason
        assert len(ids(held.staging_schema, "tracks")) == 2, "kept in its staging tables"
        refused = wap.republish(ext.settings, ext.integration_id, held_id)
        assert set(refused.errors) == {"timestamp_skew order_completed", "timestamp_skew tracks"}, (
            refused.errors
        )
        # The fix, in the staging tables: the client's clock was a year off.
        for table in ("tracks", "order_completed"):
            ts, received = d.quote("timestamp"), d.quote("received_at")
            target = d.qualified(held.staging_schema, table)
            d.run([f"UPDATE {target} SET {ts} = {received} WHERE {d.quote('id')} = 'b-o1'"])
        published = wap.republish(ext.settings, ext.integration_id, held_id)
        assert not published.errors, published.errors
        assert wap.quarantined(ext.settings, ext.integration_id) == []
        assert ids(ext.schema, "order_completed") == ["a-o1", "a-o2", "b-o1", "b-o2"]
        tracks = ids(ext.schema, "tracks")
        assert len(tracks) == len(set(tracks)) == 4, "nothing lost, nothing doubled"
        assert d.existing_columns(held.staging_schema, "tracks") is None, "the staging schema is dropped"
    assert check_round(ext).passed
