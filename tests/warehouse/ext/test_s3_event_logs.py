"""S3 event logs against an S3-compatible endpoint (moto server): layout, content, idempotency."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import orjson
import pytest

from eventyard.airflow_support import load_integration_chunks
from eventyard.settings import Settings
from eventyard.warehouse.dialects import get_dialect
from eventyard.warehouse.dialects.s3_event_logs import (
    NotATableWarehouse,
    load_event_logs,
    object_key,
    received_day,
)
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
    assert report["errors"] == {} and report["batches_completed"] == 2 and report["remaining"] == 0
    assert report["tables"] == {"event_logs": {"rows_loaded": 3, "rows_discarded": 0}}

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
    again = load_event_logs(sqlite_settings, integration_id)
    assert (again["batches"], again["remaining"]) == (0, 0)
    assert _objects(s3, "event-logs") == objects


def test_load_once_routes_event_log_integrations(sqlite_settings: Settings, moto_endpoint: str) -> None:
    """`eventyard load --once` runs the same cycle: event-log integrations get files, not errors."""
    from eventyard.warehouse.cycle import load_once

    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket="logs")
    details = {"bucketName": "logs", "endpointUrl": moto_endpoint, "accessKeyID": "t", "accessKey": "t"}
    source_id, integration_id = make_integration(sqlite_settings, "s3_event_logs", details)
    batch = land_batch(sqlite_settings, source_id, [message("track", event="A", userId="u")])
    [report] = load_once(sqlite_settings)
    assert report["integration_id"] == integration_id and report["errors"] == {}
    assert report["batches_completed"] == 1
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    assert [k for k in _objects(s3, "logs")] == [f"segment-logs/{source_id}/{DAY_1}/{batch}.gz"]


def test_missing_bucket_is_reported_and_retried(sqlite_settings: Settings, moto_endpoint: str) -> None:
    details = {"bucketName": "not-there", "endpointUrl": moto_endpoint, "accessKeyID": "t", "accessKey": "t"}
    source_id, integration_id = make_integration(sqlite_settings, "s3_event_logs", details)
    batch = land_batch(sqlite_settings, source_id, [message("track", event="A", userId="u")])
    report = load_event_logs(sqlite_settings, integration_id)
    assert report["batches_completed"] == 0 and f"batch {batch}" in report["errors"]
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket="not-there")
    assert load_event_logs(sqlite_settings, integration_id)["batches_completed"] == 1


def test_table_primitives_are_refused(sqlite_settings: Settings) -> None:
    dialect = get_dialect("s3_event_logs", {"bucketName": "b"}, sqlite_settings)
    assert dialect.supports_tables is False
    with pytest.raises(NotATableWarehouse, match="load_event_logs"):
        dialect.existing_columns("s", "t")
