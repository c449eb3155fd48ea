"""Amazon Kinesis: PutRecords through boto3 against moto's server (a real AWS-API endpoint)."""

from __future__ import annotations

from typing import Any

import boto3
import orjson

from eventyard.destinations.base import Outcome
from eventyard.destinations.vendors.amazon_kinesis import AmazonKinesis, classify_put_records
from tests.destinations.drive import run_engine
from tests.destinations.pipeline import message

KINDS = ("track", "identify", "page", "screen", "group", "alias")


def kinesis(endpoint: str, **config: Any) -> AmazonKinesis:
    connection = {
        "region": "us-east-1",
        "roleBasedAuth": False,
        "accessKeyID": "AKIATESTKEY0001",
        "accessKey": "test-secret-access-key",
        "endpointUrl": endpoint,
    }
    return AmazonKinesis(connection, {"stream": "events", **config})


def read_stream(endpoint: str, stream: str) -> list[dict[str, Any]]:
    client = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1")
    records: list[dict[str, Any]] = []
    for shard in client.describe_stream(StreamName=stream)["StreamDescription"]["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records.extend(client.get_records(ShardIterator=iterator, Limit=10_000)["Records"])
    return records


def test_every_call_type_lands_in_the_stream(moto_endpoint: str) -> None:
    boto3.client("kinesis", endpoint_url=moto_endpoint, region_name="us-east-1").create_stream(
        StreamName="all-calls", ShardCount=2
    )
    messages = [message(KINDS[i % 6], i) for i in range(1203)]  # 3 PutRecords calls of ≤500
    # One call at a time: moto numbers records per call and loses some under concurrent PutRecords.
    run = run_engine(kinesis(moto_endpoint, stream="all-calls"), messages, concurrency=1)
    assert set(run.statuses().values()) == {"delivered"} and run.stats.requests == 3
    records = read_stream(moto_endpoint, "all-calls")
    assert len(records) == 1203
    by_id = {orjson.loads(r["Data"])["messageId"]: r for r in records}
    assert set(by_id) == {m["messageId"] for m in messages}
    first = by_id["msg-track-000000"]
    assert first["Data"].endswith(b"\n") and orjson.loads(first["Data"]) == messages[0]
    assert first["PartitionKey"] == "user-0000"
    assert by_id["msg-alias-000005"]["PartitionKey"] == "user-0005"


def test_partition_by_message_id_and_unknown_stream_drops(moto_endpoint: str) -> None:
    # moto keeps its state per process, not per server: each test uses its own stream.
    boto3.client("kinesis", endpoint_url=moto_endpoint, region_name="us-east-1").create_stream(
        StreamName="by-message", ShardCount=1
    )
    run_engine(kinesis(moto_endpoint, useMessageId=True, stream="by-message"), [message("track", 7)])
    (record,) = read_stream(moto_endpoint, "by-message")
    assert record["PartitionKey"] == "msg-track-000007"
    vendor = AmazonKinesis(
        {
            "region": "us-east-1",
            "endpointUrl": moto_endpoint,
            "accessKeyID": "AKIATESTKEY0001",
            "accessKey": "s3cr3t-key",
        },
        {"stream": "missing"},
    )
    result = run_engine(vendor, [message("track", 8)]).results["msg-track-000008"]
    assert result.status == "dead" and "ResourceNotFoundException" in result.error
    assert "s3cr3t-key" not in result.error


def test_per_record_failures_retry_throttled_and_drop_the_rest() -> None:
    throttled = classify_put_records(
        {
            "FailedRecordCount": 1,
            "Records": [
                {"SequenceNumber": "1", "ShardId": "s"},
                {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded"},
            ],
        }
    )
    assert throttled.outcome is Outcome.PARTIAL and throttled.retry_failed and list(throttled.failed) == [1]
    mixed = classify_put_records(
        {
            "FailedRecordCount": 2,
            "Records": [
                {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"},
                {"ErrorCode": "KMSAccessDeniedException", "ErrorMessage": "denied"},
            ],
        }
    )
    assert list(mixed.failed) == [1] and not mixed.retry_failed and mixed.resend == (0,)
    assert classify_put_records({"FailedRecordCount": 0, "Records": []}).outcome is Outcome.SUCCESS
