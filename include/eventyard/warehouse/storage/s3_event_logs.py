"""S3 Event Logs: every message as gzipped JSON lines, in Segment's S3 object layout.

Layout (Segment's AWS S3 destination)::

    s3://<bucket>/[<prefix>/]segment-logs/<source id>/<received day>/<file>.gz

``<received day>`` is the Unix time in milliseconds of the UTC midnight of the day the messages
were received (e.g. ``1704067200000`` for 2024-01-01), so a day's calls sit under one folder.
Each file holds one landed batch's messages of that day, one full normalized message (as the
collector landed it) per line; it is named ``<batch id>.gz``, so loading a batch again
overwrites the same object instead of duplicating it.

There are no tables: this is a ``StorageWriter``, driven by ``eventyard.warehouse.storage.load``
with the same ledger as the table loader (table name ``event_logs``).
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from eventyard.warehouse.s3 import s3_client, s3_error
from eventyard.warehouse.storage.base import StorageWriter

ALL_CALL_TYPES = ("track", "identify", "page", "screen", "group", "alias")


def received_day(received_at: str | datetime | None) -> int:
    """Unix milliseconds of the UTC midnight of the day a message was received."""
    if isinstance(received_at, str):
        moment = datetime.fromisoformat(received_at.replace("Z", "+00:00"))
    elif isinstance(received_at, datetime):
        moment = received_at
    else:
        moment = datetime.now(UTC)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return int(midnight.timestamp() * 1000)


def object_key(prefix: str, source_id: str, day_ms: int, batch_id: str) -> str:
    """``[<prefix>/]segment-logs/<source id>/<day ms>/<batch id>.gz``."""
    base = f"segment-logs/{source_id}/{day_ms}/{batch_id}.gz"
    clean = prefix.strip("/")
    return f"{clean}/{base}" if clean else base


def selected(message: dict[str, Any], config: Mapping[str, Any]) -> bool:
    """Whether the integration's config lets this message through (call types, event lists)."""
    kind = str(message.get("type") or "")
    if kind not in (config.get("callTypes") or ALL_CALL_TYPES):
        return False
    if kind != "track":
        return True
    event = message.get("event")
    allow = config.get("eventAllowList") or []
    if allow and event not in allow:
        return False
    return event not in (config.get("eventDenyList") or [])


def encode_lines(messages: Iterable[dict[str, Any]]) -> bytes:
    """Newline-delimited JSON, gzipped (mtime 0, so the same messages give the same bytes)."""
    body = b"".join(orjson.dumps(m) + b"\n" for m in messages)
    return gzip.compress(body, compresslevel=6, mtime=0)


class S3EventLogsWriter(StorageWriter):
    """Writes event logs to an S3 bucket (or an S3-compatible server via ``endpointUrl``)."""

    name = "s3_event_logs"
    ledger_table = "event_logs"
    client: Any = None

    @property
    def bucket(self) -> str:
        """The destination bucket."""
        return self.required("bucketName")

    def connect(self) -> None:
        self.client = s3_client(self.details, self.settings, assume_role=True)

    def close(self) -> None:
        self.client = None

    def location(self, source_id: str, config: Mapping[str, Any]) -> str:
        """``s3://<bucket>/[<prefix>/]segment-logs/<source id>``."""
        folder = object_key(str(config.get("prefix") or ""), source_id, 0, "").removesuffix("/0/.gz")
        return f"s3://{self.details.get('bucketName')}/{folder}"

    def write_batch(
        self, source_id: str, batch_id: str, messages: list[dict[str, Any]], config: Mapping[str, Any]
    ) -> int:
        """Write one batch's selected messages, one object per received day; returns the lines."""
        by_day: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for message in messages:
            if selected(message, config):
                by_day[received_day(message.get("receivedAt"))].append(message)
        extra = {"ServerSideEncryption": "AES256"} if config.get("enableSSE") else {}
        for day, day_messages in sorted(by_day.items()):
            key = object_key(str(config.get("prefix") or ""), source_id, day, batch_id)
            try:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=encode_lines(day_messages),
                    ContentType="application/x-ndjson",
                    ContentEncoding="gzip",
                    **extra,
                )
            except Exception as exc:  # botocore raises many types: sorted into transient / terminal
                raise s3_error(f"cannot write s3://{self.bucket}/{key}", exc) from exc
        return sum(len(day_messages) for day_messages in by_day.values())
