"""Amazon Kinesis Data Streams: each Segment message as one record, sent with ``PutRecords``
through boto3 (SigV4 signing, an optional ``endpointUrl`` for Kinesis-compatible servers).

``PartitionKey`` = userId or anonymousId (keeps a user's events in order) or messageId with
``useMessageId``. ``PutRecords`` can succeed with ``FailedRecordCount > 0``: throttled records
(``ProvisionedThroughputExceededException``, ``InternalFailure``, KMS throttling) are retried
alone with backoff; configuration errors (access denied, unknown stream, validation) are dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

RETRYABLE_RECORD_ERRORS = frozenset(
    {"ProvisionedThroughputExceededException", "InternalFailure", "KMSThrottlingException"}
)
RETRYABLE_CALL_ERRORS = frozenset(
    {
        "LimitExceededException",
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "InternalFailure",
        "ServiceUnavailable",
        "KMSThrottlingException",
    }
)
MAX_RECORD_BYTES = 1024 * 1024
MAX_PARTITION_KEY = 256


class AmazonKinesis(base.SdkIntegration):
    """Kinesis Data Streams."""

    code = "amazon_kinesis"
    max_batch_events = 500
    max_batch_bytes = 5 * 1024 * 1024 - 64 * 1024
    secret_settings = frozenset({"accessKeyID", "accessKey"})

    def __init__(self, connection: Mapping[str, Any], config: Mapping[str, Any]) -> None:
        super().__init__(connection, config)
        self.stream = str(self.config.get("stream") or self.connection.get("stream") or "")
        if not self.stream:
            raise ValueError("amazon_kinesis: setting 'stream' is required")
        self._client: Any = None

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """The whole message as UTF-8 JSON plus a newline (Firehose/Athena friendly)."""
        message_id = m.message_id(message)
        key = (
            message_id if self.config.get("useMessageId") else (m.user_id(message) or m.anonymous_id(message))
        )
        key = (key or message_id)[:MAX_PARTITION_KEY]
        data = orjson.dumps(message) + b"\n"
        if len(data) + len(key.encode()) > MAX_RECORD_BYTES:
            raise base.InvalidMessage("the message is larger than Kinesis' 1 MiB record limit")
        return [base.VendorRecord(message_id, {"Data": data, "PartitionKey": key}, self.stream)]

    def record_size(self, record: base.VendorRecord) -> int:
        """Data plus partition key, as Kinesis counts them."""
        return len(record.payload["Data"]) + len(record.payload["PartitionKey"])

    def client(self) -> Any:
        """The boto3 Kinesis client (static keys, an assumed role, or the default chain)."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            conn = self.connection
            region = str(conn.get("region") or "us-east-1")
            endpoint = conn.get("endpointUrl") or None
            session_args: dict[str, Any] = {}
            if conn.get("accessKeyID") and conn.get("accessKey"):
                session_args = {
                    "aws_access_key_id": conn["accessKeyID"],
                    "aws_secret_access_key": conn["accessKey"],
                }
            session = boto3.session.Session(region_name=region, **session_args)
            if conn.get("roleBasedAuth") and conn.get("iamRoleARN"):
                assume: dict[str, Any] = {"RoleArn": conn["iamRoleARN"], "RoleSessionName": "eventyard"}
                if conn.get("externalId"):
                    assume["ExternalId"] = conn["externalId"]
                creds = session.client("sts", endpoint_url=endpoint).assume_role(**assume)["Credentials"]
                session = boto3.session.Session(
                    region_name=region,
                    aws_access_key_id=creds["AccessKeyId"],
                    aws_secret_access_key=creds["SecretAccessKey"],
                    aws_session_token=creds["SessionToken"],
                )
            config = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=self.timeout_seconds)
            self._client = session.client("kinesis", endpoint_url=endpoint, config=config)
        return self._client

    async def send(self, route: str, records: Sequence[base.VendorRecord]) -> base.Classification:
        """PutRecords in a worker thread (boto3 is blocking), then classify per record."""
        from botocore.exceptions import ClientError

        entries = [dict(r.payload) for r in records]
        try:
            response = await asyncio.to_thread(self.client().put_records, StreamName=route, Records=entries)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if (
                code in RETRYABLE_CALL_ERRORS
                or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500
            ):
                return base.Classification(base.Outcome.RETRY, error=f"Kinesis {code}: {exc}")
            return base.Classification(base.Outcome.DROP, error=f"Kinesis {code}: {exc}")
        return classify_put_records(response)

    async def aclose(self) -> None:
        """Close the boto3 client's connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None


def classify_put_records(response: Mapping[str, Any]) -> base.Classification:
    """Per-record results of PutRecords: retry throttled records, drop the others that failed."""
    if not response.get("FailedRecordCount"):
        return base.Classification(base.Outcome.SUCCESS)
    retry: list[int] = []
    failed: dict[int, str] = {}
    for index, result in enumerate(response.get("Records", [])):
        code = result.get("ErrorCode")
        if not code:
            continue
        if code in RETRYABLE_RECORD_ERRORS:
            retry.append(index)
        else:
            failed[index] = f"{code}: {result.get('ErrorMessage', '')}"
    if failed:
        # Config errors hit every record; throttled ones in the same answer are simply resent.
        return base.Classification(
            base.Outcome.PARTIAL, error=next(iter(failed.values())), failed=failed, resend=tuple(retry)
        )
    errors = {i: "ProvisionedThroughputExceededException or InternalFailure" for i in retry}
    return base.Classification(
        base.Outcome.PARTIAL, error="throttled records", failed=errors, retry_failed=True
    )
