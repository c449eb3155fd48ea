"""Redshift's merge operations: VARCHAR widens in place, big chunks travel by UNLOAD and COPY."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

from eventyard.migration.ops import Chunk, MergeOps, Widening

log = logging.getLogger(__name__)


class RedshiftOps(MergeOps):
    """Redshift: VARCHAR widens in place, other types do not (ALTER COLUMN TYPE is VARCHAR-only).

    A chunk of at least ``mergeUnloadRows`` rows (connection detail, default 1,000,000) travels
    through S3 when the connection has a staging bucket: ``UNLOAD`` of the converted chunk as
    Parquet, ``COPY`` into a stage created in that column order (COPY matches Parquet columns by
    position), then the insert-if-absent with explicit column lists. Smaller chunks are one
    ``INSERT ... SELECT``.
    """

    widenable: ClassVar[Widening] = frozenset()
    DEFAULT_UNLOAD_ROWS: ClassVar[int] = 1_000_000

    @property
    def unload_rows(self) -> int | None:
        """The chunk size from which chunks go through S3 (None: no staging bucket)."""
        details = self.dialect.details
        if not details.get("bucketName"):
            return None
        return int(details.get("mergeUnloadRows") or self.DEFAULT_UNLOAD_ROWS)

    def insert_chunk(self, chunk: Chunk) -> int:
        threshold = self.unload_rows
        if threshold is None or chunk.rows < threshold:
            return super().insert_chunk(chunk)
        return self.unload_and_copy(chunk)

    def unload_and_copy(self, chunk: Chunk) -> int:
        """UNLOAD the chunk to S3, COPY it into a stage, insert the new ids; clean up S3."""
        from eventyard.warehouse.dialects.redshift_s3 import string_literal
        from eventyard.warehouse.sql import build

        d: Any = self.dialect
        is_null, lo, hi = chunk.bounds
        query = d.sql.statement(
            "segment_unload_query", expressions=chunk.parts["expressions"], source=chunk.parts["source"],
            is_null="TRUE" if is_null else "FALSE", lo=_timestamp_literal(lo), hi=_timestamp_literal(hi),
        )  # fmt: skip
        name = f"eventyard_segment_{uuid.uuid4().hex[:16]}"
        bucket = str(d.details["bucketName"])
        prefix = f"{d._staging_key(name).removesuffix('.parquet')}/"
        s3_prefix = f"s3://{bucket}/{prefix}"
        d.run([build.temp_table(d, name, chunk.types)])
        try:
            unload = d.sql.statement(
                "segment_unload", query=string_literal(query), s3_prefix=string_literal(s3_prefix),
                credentials=d.credentials_sql(),
            )  # fmt: skip
            d.run([unload])
            d.run(d.copy_sql(name, s3_prefix))
            staged = d.sql.statement("segment_insert_staged", target=chunk.parts["target"],
                                     columns=chunk.parts["columns"], stage=d.quote(name))  # fmt: skip
            return self.execute(staged)
        finally:
            d.run([build.drop_table(d, name)])
            _delete_prefix(d._s3_client(), bucket, prefix)

    def text_type(self, length: int | None) -> str:
        return f"VARCHAR({length or 65535})"

    @contextmanager
    def transaction(self, schema: str, table: str) -> Iterator[None]:
        # The dialect's table lock is one transaction holding LOCK on the target: Redshift has no
        # savepoints, so the users upsert inside it must not open its own.
        with self.dialect.table_lock(schema, table):
            yield


def _timestamp_literal(moment: datetime) -> str:
    """A UTC timestamp literal (for UNLOAD's query, which takes no parameters); built from a
    datetime, never from user text."""
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return f"TIMESTAMP '{utc.isoformat(sep=' ', timespec='microseconds')}'"


def _delete_prefix(s3: Any, bucket: str, prefix: str) -> None:
    """Remove the chunk's Parquet files (a leftover is harmless; lifecycle rules expire it)."""
    try:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        keys = [{"Key": o["Key"]} for o in listed.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    except Exception as exc:  # botocore's many error types; cleanup must not fail a committed chunk
        log.warning("could not remove the merge's unloaded files under s3://%s/%s: %s", bucket, prefix, exc)
