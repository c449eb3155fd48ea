"""S3 event logs against an S3-compatible endpoint (moto server): layout, content, idempotency."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import orjson
import pytest

from eventyard.settings import Settings
from eventyard.warehouse.cycle import load_integration, load_integration_chunks
from eventyard.warehouse.errors import TERMINAL_ATTEMPTS, TerminalWarehouseError
from eventyard.warehouse.integration import StorageSetup, setup_warehouse, table_setup
from eventyard.warehouse.report import TableFigures
from eventyard.warehouse.storage.s3_event_logs import S3EventLogsWriter, object_key, received_day
from tests.warehouse.factories import BASE_TIME, iso, land_batch, make_integration, message

DAY_1 = int(BASE_TIME.timestamp() * 1000)  # 2024-01-01T00:00Z
DAY_2 = DAY_1 + 86_400_000


def _objects(s3: Any, bucket: str) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        found[item["Key"]] = [orjson.loads(line) for line in gzip.decompress(body).splitlines()]
    return found


def test_layout_helpers() -> None:
    assert received_day("2024-01-01T23:59:59.999Z") == DAY_1
    assert received_day(datetime(2024, 1, 2, 0, 0, tzinfo=UTC)) == DAY_2
    assert object_key("", "src", DAY_1, "b1") == f"segment-logs/src/{DAY_1}/b1.gz"
    assert object_key("/team/", "src", DAY_1, "b1") == f"team/segment-logs/src/{DAY_1}/b1.gz"


def test_batches_land_as_gzip_json_lines_per_received_day(
    sqlite_settings: Settings, moto_endpoint: str
) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="event-logs")
    details = {
        "bucketName": "event-logs",
        "endpointUrl": moto_endpoint,
        "roleBasedAuth": False,
        "accessKeyID": "testing",
        "accessKey": "testing",
    }
    source_id, integration_id = make_integration(
        sqlite_settings, "s3_event_logs", details, config={"eventDenyList": ["Card Entered"]}
    )
    late = BASE_TIME + timedelta(days=1, minutes=5)
    first = [
        message("track", event="Order Completed", userId="u1", properties={"revenue": 9.5}),
        message("track", event="Card Entered", userId="u1", properties={"pan": "4111"}),
        message("identify", userId="u1", traits={"email": "e@x.io"}),
    ]
    second = [message("page", anonymousId="a1", name="Home", receivedAt=iso(late))]
    batch_1 = land_batch(sqlite_settings, source_id, first)
    batch_2 = land_batch(sqlite_settings, source_id, second)

    # The DAG's task function routes this integration to the event-log writer.
    report = load_integration_chunks(sqlite_settings, integration_id)
    assert report.errors == {} and report.batches_completed == 2 and report.remaining == 0
    assert report.tables == {"event_logs": TableFigures(3, 0)}
    assert report.schema == f"s3://event-logs/segment-logs/{source_id}"

    objects = _objects(s3, "event-logs")
    assert sorted(objects) == [
        f"segment-logs/{source_id}/{DAY_1}/{batch_1}.gz",
        f"segment-logs/{source_id}/{DAY_2}/{batch_2}.gz",
    ]
    day_1 = objects[f"segment-logs/{source_id}/{DAY_1}/{batch_1}.gz"]
    assert [m["messageId"] for m in day_1] == [first[0]["messageId"], first[2]["messageId"]]
    assert day_1[0]["properties"] == {"revenue": 9.5} and day_1[1]["traits"] == {"email": "e@x.io"}
    assert objects[f"segment-logs/{source_id}/{DAY_2}/{batch_2}.gz"][0]["name"] == "Home"

    # Nothing new to write, and writing a batch again would overwrite the same key.
    again = load_integration(sqlite_settings, integration_id)
    assert (again.batches, again.remaining) == (0, 0)
    assert _objects(s3, "event-logs") == objects


def test_load_once_routes_event_log_integrations(sqlite_settings: Settings, moto_endpoint: str) -> None:
    """`eventyard load --once` runs the same cycle: event-log integrations get files, not errors."""
    from eventyard.warehouse.cycle import load_once

    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket="logs")
    details = {"bucketName": "logs", "endpointUrl": moto_endpoint, "accessKeyID": "t", "accessKey": "t"}
    source_id, integration_id = make_integration(sqlite_settings, "s3_event_logs", details)
    batch = land_batch(sqlite_settings, source_id, [message("track", event="A", userId="u")])
    [report] = load_once(sqlite_settings)
    assert report.integration_id == integration_id and report.errors == {}
    assert report.batches_completed == 1
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    assert [k for k in _objects(s3, "logs")] == [f"segment-logs/{source_id}/{DAY_1}/{batch}.gz"]


def test_missing_bucket_is_reported_and_retried(sqlite_settings: Settings, moto_endpoint: str) -> None:
    details = {"bucketName": "not-there", "endpointUrl": moto_endpoint, "accessKeyID": "t", "accessKey": "t"}
    source_id, integration_id = make_integration(sqlite_settings, "s3_event_logs", details)
    batch = land_batch(sqlite_settings, source_id, [message("track", event="A", userId="u")])
    report = load_integration(sqlite_settings, integration_id)
    assert report.batches_completed == 0 and f"batch {batch}" in report.errors
    # A missing bucket stays missing until someone creates it: terminal, not retried by Airflow.
    assert report.terminal == [f"batch {batch}"] and "NoSuchBucket" in report.errors[f"batch {batch}"]
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket="not-there")
    assert load_integration(sqlite_settings, integration_id).batches_completed == 1


def test_a_batch_failing_terminally_is_parked_then_reopened(
    sqlite_settings: Settings, moto_endpoint: str
) -> None:
    """A batch that keeps failing terminally stops blocking the queue; --retry-parked reloads it."""
    from typer.testing import CliRunner

    from eventyard.cli import app

    details = {"bucketName": "later", "endpointUrl": moto_endpoint, "accessKeyID": "t", "accessKey": "t"}
    source_id, integration_id = make_integration(sqlite_settings, "s3_event_logs", details)
    batch = land_batch(sqlite_settings, source_id, [message("track", event="A", userId="u")])
    reports = [load_integration(sqlite_settings, integration_id) for _ in range(TERMINAL_ATTEMPTS)]
    assert [r.parked for r in reports] == [[]] * (TERMINAL_ATTEMPTS - 1) + [[f"{batch}/event_logs"]]
    assert load_integration(sqlite_settings, integration_id).batches == 0  # settled: no longer pending

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="later")
    result = CliRunner().invoke(app, ["load", "--once", "--integration", integration_id, "--retry-parked"])
    assert result.exit_code == 0, result.output
    assert '"batches_completed": 1' in result.output
    assert list(_objects(s3, "later")) == [f"segment-logs/{source_id}/{DAY_1}/{batch}.gz"]


def test_storage_has_its_own_interface_not_a_table_dialect(sqlite_settings: Settings) -> None:
    details = {"bucketName": "b", "accessKeyID": "AKIDEXAMPLE", "accessKey": "s3cr3t-value"}
    _, integration_id = make_integration(sqlite_settings, "s3_event_logs", details)
    setup = setup_warehouse(sqlite_settings, integration_id)
    assert isinstance(setup, StorageSetup) and isinstance(setup.writer, S3EventLogsWriter)
    assert setup.details == details and setup.location.startswith("s3://b/segment-logs/")
    assert not hasattr(setup.writer, "existing_columns")
    assert "s3cr3t-value" not in repr(setup)  # a logged setup never shows the connection's secrets
    with pytest.raises(TerminalWarehouseError, match="has no tables"):
        table_setup(sqlite_settings, integration_id)
