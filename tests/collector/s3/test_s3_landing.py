"""Landing to an S3-compatible HTTP endpoint (moto's server mode), through an outage of it.

While the endpoint is down the spool keeps accepting, flushes fail and keep their segments;
when it is back on the same port, everything lands, once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from eventyard.collector.flusher import flush_all
from eventyard.collector.spool import Spool
from eventyard.settings import Settings
from tests.conftest import free_port

from ..spool.helpers import batches, landed_ids, record


class Endpoint:
    """A moto S3 server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: ThreadedMotoServer | None = None
        self.bucket = ""

    def start(self) -> None:
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture
def endpoint(aws_credentials: None) -> Iterator[Endpoint]:
    server = Endpoint()
    server.start()
    # moto keeps its state per process, across servers: a bucket per test keeps tests apart.
    server.bucket = f"landing-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=server.url, region_name="us-east-1").create_bucket(Bucket=server.bucket)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_settings(sqlite_settings: Settings, endpoint: Endpoint) -> Settings:
    return sqlite_settings.model_copy(
        update={
            "landing_url": f"s3://{endpoint.bucket}/events",
            "s3_endpoint_url": endpoint.url,
            "flush_interval_seconds": 0.1,
        }
    )


async def test_lands_under_the_prefix_with_one_manifest_row_per_batch(s3_settings: Settings) -> None:
    spool = Spool.open(s3_settings)
    await spool.append([record(message_id=f"m-{i}") for i in range(50)])
    await spool.close()
    assert flush_all(s3_settings)["rows"] == 50
    [batch] = batches(s3_settings)
    assert batch.uri.startswith(f"{s3_settings.landing_url}/source=")
    assert "/date=2024-01-01/hour=10/" in batch.uri
    assert sorted(landed_ids(s3_settings)) == sorted(f"m-{i}" for i in range(50))


async def _wait(condition: object, seconds: float = 30.0) -> None:
    """Bounded wait for the background flusher (not a timing assertion)."""
    for _ in range(int(seconds / 0.05)):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)


async def test_an_outage_loses_nothing_and_duplicates_nothing(
    s3_settings: Settings, endpoint: Endpoint
) -> None:
    spool = Spool.open(s3_settings)
    await spool.start_flusher()
    await spool.append([record(message_id=f"before-{i}") for i in range(20)])
    await _wait(lambda: len(landed_ids(s3_settings)) == 20)
    assert len(landed_ids(s3_settings)) == 20

    endpoint.stop()
    for round_ in range(5):  # the spool keeps accepting while the store is down
        await spool.append([record(message_id=f"during-{round_}-{i}") for i in range(20)])
        await asyncio.sleep(0.1)
    await _wait(lambda: spool.stats()["upload_failures"] > 0)
    assert spool.healthy()
    during = flush_all(s3_settings, owned=[spool])
    assert during["failed_segments"] >= 1 and during["rows"] == 0
    assert spool.stats()["segments"] >= 1

    endpoint.start()  # same port, same (in-process) moto state
    await spool.append([record(message_id=f"after-{i}") for i in range(20)])
    expected = 20 + 5 * 20 + 20
    await _wait(lambda: spool.stats()["segments"] == 0 and spool.active_age() == 0)
    flush_all(s3_settings, owned=[spool])  # whatever the backoff has not retried yet
    ids = landed_ids(s3_settings)
    assert len(ids) == len(set(ids)) == expected
    assert sum(row.row_count for row in batches(s3_settings)) == expected
    await spool.close()
