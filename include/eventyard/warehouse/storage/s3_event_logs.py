"""S3 Event Logs: every message as gzipped JSON lines, in Segment's S3 object layout.

Layout (Segment's AWS S3 destination)::

    s3://<bucket>/[<prefix>/]segment-logs/<source id>/<received day>/<file>.gz

``<received day>`` is the Unix time in milliseconds of the UTC midnight of the day the messages
were received (e.g. ``1704067200000`` for 2024-01-01), so a day's calls sit under one folder.
Each file holds one landed batch's messages of that day, one full normalized message (as the
collector landed it) per line; it is named ``<batch id>.gz``, so loading a batch again
overwrites the same object instead of duplicating it.

There are no tables: ``load_event_logs`` reads the landed batches and writes the files, using the
same ledger as the warehouse loader (table name ``event_logs``). The table primitives of the
``Dialect`` interface are refused with a clear error.
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson

from eventyard.settings import Settings
from eventyard.warehouse.dialects.base import Dialect, WarehouseError
from eventyard.warehouse.types import Logical, TableRows

LEDGER_TABLE = "event_logs"
ALL_CALL_TYPES = ("track", "identify", "page", "screen", "group", "alias")


class NotATableWarehouse(WarehouseError):
    """S3 event logs have no tables; they are written by ``load_event_logs``."""


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


def selected(message: dict[str, Any], config: dict[str, Any]) -> bool:
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


class S3EventLogsDialect(Dialect):
    """Writes event logs to an S3 bucket (or an S3-compatible server via ``endpointUrl``)."""

    name = "s3_event_logs"
    supports_tables = False
    supports_transactions = False
    max_identifier_length: ClassVar[int] = 1024

    def __init__(self, connection_details: dict[str, Any], settings: Settings) -> None:
        super().__init__(connection_details, settings)
        self.client: Any = None

    @property
    def bucket(self) -> str:
        """The destination bucket."""
        bucket = self.details.get("bucketName")
        if not bucket:
            raise WarehouseError("S3 event logs connection is missing 'bucketName'")
        return str(bucket)

    def connect(self) -> None:
        import boto3

        d = self.details
        region = str(d.get("region") or self.settings.s3_region)
        kwargs: dict[str, Any] = {"region_name": region, "endpoint_url": d.get("endpointUrl")}
        if d.get("accessKeyID") and d.get("accessKey"):
            kwargs.update(aws_access_key_id=str(d["accessKeyID"]), aws_secret_access_key=str(d["accessKey"]))
        elif d.get("roleBasedAuth", True) and d.get("iamRoleARN"):
            kwargs.update(self._assumed_role(region))
        self.client = boto3.client("s3", **kwargs)

    def _assumed_role(self, region: str) -> dict[str, str]:
        """Temporary credentials for the customer's role (with its external id, if any)."""
        import boto3

        d = self.details
        params: dict[str, Any] = {"RoleArn": str(d["iamRoleARN"]), "RoleSessionName": "eventyard-event-logs"}
        if d.get("externalId"):
            params["ExternalId"] = str(d["externalId"])
        try:
            creds = boto3.client("sts", region_name=region).assume_role(**params)["Credentials"]
        except Exception as exc:  # botocore raises many types; all mean "cannot get in"
            raise WarehouseError(f"cannot assume {d['iamRoleARN']}: {exc}") from exc
        return {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }

    def close(self) -> None:
        self.client = None

    def write_messages(
        self, source_id: str, batch_id: str, messages: list[dict[str, Any]], config: dict[str, Any]
    ) -> dict[str, int]:
        """Write one batch's selected messages, one object per received day; returns key -> lines."""
        by_day: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for message in messages:
            if selected(message, config):
                by_day[received_day(message.get("receivedAt"))].append(message)
        written: dict[str, int] = {}
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
            except Exception as exc:  # botocore raises many types; the batch is retried next cycle
                raise WarehouseError(f"cannot write s3://{self.bucket}/{key}: {exc}") from exc
            written[key] = len(day_messages)
        return written

    # ---- the table primitives do not apply -------------------------------------------------
    def _no_tables(self) -> NotATableWarehouse:
        return NotATableWarehouse(
            "S3 event logs have no tables: load them with "
            "eventyard.warehouse.dialects.s3_event_logs.load_event_logs"
        )

    def type_for(self, logical: Logical) -> str:
        return "json"

    def logical_for(self, physical: str) -> Logical:
        return "text"

    def ensure_schema(self, schema: str) -> None:
        raise self._no_tables()

    def existing_columns(self, schema: str, table: str) -> dict[str, Logical] | None:
        raise self._no_tables()

    def create_table(
        self, schema: str, table: str, columns: dict[str, Logical], key: tuple[str, ...]
    ) -> None:
        raise self._no_tables()

    def add_columns(self, schema: str, table: str, columns: dict[str, Logical]) -> None:
        raise self._no_tables()

    @contextmanager
    def table_lock(self, schema: str, table: str) -> Iterator[None]:
        raise self._no_tables()
        yield  # pragma: no cover - a generator, for contextmanager

    @contextmanager
    def staged(self, schema: str, rows: TableRows) -> Iterator[Any]:
        raise self._no_tables()
        yield  # pragma: no cover

    def merge_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        raise self._no_tables()

    def upsert_users_staged(self, schema: str, rows: TableRows, staged: Any) -> int:
        raise self._no_tables()


def load_event_logs(
    settings: Settings, integration_id: str, *, max_batches: int | None = None
) -> dict[str, Any]:
    """Write the integration's new batches as event logs; report shaped like ``load_integration``.

    A batch is recorded in the ledger once its objects are written; a failed batch stays pending
    and is retried next time (rewriting the same keys, so nothing is duplicated).
    """
    from eventyard.db.engine import get_engine
    from eventyard.warehouse.batches import messages_of_batch, pending_batches

    engine = get_engine(settings)
    code, source_id, details, config = _integration(settings, engine, integration_id)
    limit = max_batches or settings.load_chunk_batches
    batches, remaining = pending_batches(engine, integration_id, source_id, limit)
    prefix = str(config.get("prefix") or "").strip("/")
    report: dict[str, Any] = {
        "integration_id": integration_id,
        "integration_code": code,
        "schema": f"s3://{details.get('bucketName')}/{object_key(prefix, source_id, 0, '')}".removesuffix(
            "/0/.gz"
        ),
        "batches": len(batches),
        "batches_completed": 0,
        "remaining": remaining,
        "tables": {},
        "errors": {},
    }
    if not batches:
        return report
    dialect = S3EventLogsDialect(details, settings)
    lines = 0
    with dialect:
        for batch in batches:
            try:
                written = dialect.write_messages(
                    source_id, batch.id, messages_of_batch(settings, batch), config
                )
            except Exception as exc:  # reported; the batch stays pending, the others go on
                report["errors"][f"batch {batch.id}"] = f"{type(exc).__name__}: {exc}"[:2000]
                continue
            _record(engine, integration_id, batch.id, sum(written.values()))
            lines += sum(written.values())
            report["batches_completed"] += 1
    report["tables"][LEDGER_TABLE] = {"rows_loaded": lines, "rows_discarded": 0}
    return report


def _integration(
    settings: Settings, engine: Any, integration_id: str
) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """The integration's code, source id, decrypted connection details and config."""
    from eventyard.db.engine import session_scope
    from eventyard.db.models import Connection, Integration
    from eventyard.houston.crypto import decrypt_details

    with session_scope(engine) as session:
        integration = session.get(Integration, integration_id)
        if integration is None:
            raise LookupError(f"no integration {integration_id!r}")
        connection = session.get(Connection, integration.connection_id)
        if connection is None:
            raise LookupError(f"integration {integration_id!r} has no connection")
        details = decrypt_details(settings, connection.details_encrypted)
        return integration.integration_code, integration.app_id, details, dict(integration.config or {})


def _record(engine: Any, integration_id: str, batch_id: str, lines: int) -> None:
    """Mark a batch written in the warehouse ledger (its table row and the batch-done marker)."""
    from eventyard.db.engine import session_scope
    from eventyard.warehouse.models import BATCH_DONE, LOADED, WarehouseLoad

    with session_scope(engine) as session:
        for table in (LEDGER_TABLE, BATCH_DONE):
            entry = session.get(WarehouseLoad, (integration_id, batch_id, table))
            if entry is None:
                entry = WarehouseLoad(
                    integration_id=integration_id, batch_id=batch_id, table_name=table, attempts=0
                )
                session.add(entry)
            entry.attempts = (entry.attempts or 0) + 1
            entry.status = LOADED
            entry.error = None
            entry.rows_loaded = lines
            entry.rows_discarded = 0
