"""Spool records -> Arrow tables of the landing envelope -> zstd Parquet, per source and hour.

Hot path (target >= 200,000 rows/s): the records are handed to DuckDB as one Arrow string
column without copying them into Python objects; its JSON functions (yyjson, multi-threaded)
pull out the envelope fields and the message text, and Arrow casts the timestamps in one
vectorised step.  Should DuckDB refuse a segment (a record that is not JSON), a pure-Python
path produces the same columns, record by record, so a bad record never blocks a flush.
Everything derives only from the records and the segment name, so flushing the same segment
twice yields the same objects under the same keys.
"""

from __future__ import annotations

import array
import hashlib
import io
import itertools
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from eventyard.collector.landing_fallback import STRING_FIELDS, TIME_FIELDS, python_parse
from eventyard.landing import ENVELOPE_SCHEMA, batch_key, write_parquet
from eventyard.landing.schema import ZSTD_LEVEL

log = logging.getLogger(__name__)

_TS = pa.timestamp("us", tz="UTC")
INVALID_SOURCE = "_invalid"
SOURCE_PATTERN = "[A-Za-z0-9_-]{1,32}"

REJECTED_SCHEMA = pa.schema(
    [
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("received_at", _TS, nullable=False),
        pa.field("code", pa.string(), nullable=False),
        pa.field("reason", pa.string()),
        pa.field("message", pa.string(), nullable=False),
    ],
    metadata={"eventyard.rejected.version": "1"},
)

_OUTER = '{"sourceId":"JSON","receivedAt":"VARCHAR","message":"JSON","rejected":"JSON"}'
_TRANSFORM = orjson.dumps({key: "VARCHAR" for _, key in STRING_FIELDS + TIME_FIELDS}).decode()

# One row per record: source, receivedAt, message text, why it is rejected (NULL if accepted),
# and the envelope fields as text. Records the API could not have meant as accepted (no usable
# source, no messageId or type) land as rejected instead of blocking the flush.
_PARSE_SQL = f"""
WITH raw AS (
    SELECT starts_with(line, '{{') AS is_object, line, json_transform(line, '{_OUTER}') AS r FROM lines
), parts AS (
    -- Type checks look at the first character of the JSON text: parsing it again costs more.
    SELECT
        is_object,
        CASE WHEN is_object AND starts_with(r.sourceId::VARCHAR, '"')
                  AND regexp_full_match(r.sourceId ->> '$', '{SOURCE_PATTERN}')
             THEN r.sourceId ->> '$' END AS source,
        r.receivedAt AS received,
        CASE WHEN is_object THEN coalesce(r.message::VARCHAR, 'null') ELSE to_json(line)::VARCHAR END
            AS message,
        CASE WHEN r.rejected IS NOT NULL AND r.rejected::VARCHAR <> 'null' THEN r.rejected END AS rej,
        json_transform(CASE WHEN starts_with(r.message::VARCHAR, '{{') THEN r.message END, '{_TRANSFORM}')
            AS env
    FROM raw
)
SELECT
    coalesce(source, '{INVALID_SOURCE}') AS source_id,
    CASE WHEN is_object THEN received END AS received,
    message,
    CASE WHEN NOT is_object THEN 'unreadable_record'
         WHEN source IS NULL THEN 'invalid_source'
         WHEN rej IS NOT NULL THEN coalesce(rej ->> '$.code', 'rejected')
         WHEN env.messageId IS NULL OR env.type IS NULL THEN 'invalid_envelope' END AS reject_code,
    CASE WHEN NOT is_object THEN 'spool record is not a JSON object'
         WHEN source IS NULL THEN 'sourceId missing or not a write key'
         WHEN rej IS NOT NULL THEN coalesce(rej ->> '$.reason', rej ->> '$')
         WHEN env.messageId IS NULL OR env.type IS NULL THEN 'message lacks messageId or type' END
        AS reject_reason,
    {", ".join(f"env.{key} AS {column}" for column, key in STRING_FIELDS + TIME_FIELDS)}
FROM parts
"""  # noqa: S608 - built from constants only

_local = threading.local()


def run_in_background() -> None:
    """Mark the calling thread as a background flusher: DuckDB gets one thread, not two.

    Inside a collector, landing then takes at most one (low-priority) core from request
    handling; ``eventyard flush`` and the benchmark keep both.
    """
    _local.threads = 1


def _duckdb() -> duckdb.DuckDBPyConnection:
    con: duckdb.DuckDBPyConnection | None = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect(config={"threads": getattr(_local, "threads", 2)})
        con.execute("SET enable_progress_bar = false")  # it would draw on the collector's stdout
        _local.con = con
    return con


def _lines(records: list[bytes]) -> pa.Table:
    """The records as one Arrow string column, built from a single joined buffer (no per-item objects)."""
    offsets = array.array("q", [0])  # 64-bit offsets: a segment may exceed 2 GiB
    offsets.extend(itertools.accumulate(map(len, records)))
    data = pa.py_buffer(b"".join(records))
    column = pa.LargeStringArray.from_buffers(len(records), pa.py_buffer(offsets), data)
    return pa.table({"line": column})


def parse_records(records: list[bytes]) -> pa.Table:
    """Spool records -> one table of text columns (see ``_PARSE_SQL``), fast path first."""
    if not records:
        return python_parse([])
    try:
        lines = _lines(records)
        lines.column(0).validate(full=True)  # DuckDB trusts Arrow strings to be UTF-8
        con = _duckdb()
        con.register("lines", lines)
        try:
            return con.sql(_PARSE_SQL).to_arrow_table()
        finally:
            con.unregister("lines")
    except (duckdb.Error, pa.ArrowInvalid) as exc:
        log.warning("fast spool parse failed (%s); parsing record by record", exc)
        return python_parse(records)


def _parse_ts(value: Any) -> datetime | None:
    if type(value) is not str:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _ts_array(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """ISO-8601 text -> UTC timestamps; unparseable values become null (the message keeps them)."""
    try:
        return values.cast(_TS)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([_parse_ts(v) for v in values.to_pylist()], type=_TS)


def _received(table: pa.Table, fallback: datetime) -> pa.Array | pa.ChunkedArray:
    """receivedAt is never null in the landing; an unreadable one falls back to the segment's time."""
    received = _ts_array(table.column("received"))
    if received.null_count:
        received = pc.fill_null(received, pa.scalar(fallback, type=_TS))
    return received


def envelope_table(parsed: pa.Table, fallback: datetime) -> pa.Table:
    """An Arrow table of ``ENVELOPE_SCHEMA`` from parsed accepted records."""
    received = _received(parsed, fallback)
    columns: dict[str, Any] = {
        "source_id": parsed.column("source_id"),
        "received_at": received,
        "sent_at": _ts_array(parsed.column("sent_at")),
        "original_timestamp": _ts_array(parsed.column("original_timestamp")),
        # An event whose timestamp is missing or unreadable happened, as far as we know, on arrival.
        "timestamp": pc.coalesce(_ts_array(parsed.column("timestamp")), received),
        "message": parsed.column("message"),
    }
    for column, _ in STRING_FIELDS:
        columns[column] = parsed.column(column)
    return pa.table([columns[name] for name in ENVELOPE_SCHEMA.names], schema=ENVELOPE_SCHEMA)


def rejected_table(parsed: pa.Table, fallback: datetime) -> pa.Table:
    """An Arrow table of rejected records: who sent it, when, why, and the message itself."""
    columns = [
        parsed.column("source_id"),
        _received(parsed, fallback),
        parsed.column("reject_code"),
        parsed.column("reject_reason"),
        parsed.column("message"),
    ]
    return pa.table(columns, schema=REJECTED_SCHEMA)


def _write_rejected(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", compression_level=ZSTD_LEVEL)
    return sink.getvalue()


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:10]


@dataclass(frozen=True)
class LandingObject:
    """One Parquet object to upload; ``manifest`` is False for rejected records."""

    key: str
    batch_id: str
    source_id: str
    data: bytes
    row_count: int
    manifest: bool
    min_received_at: datetime | None
    max_received_at: datetime | None


def build_objects(records: list[bytes], *, batch_prefix: str, created: datetime) -> list[LandingObject]:
    """Group spool records by (source, received hour) and serialise each group as Parquet.

    ``batch_prefix`` identifies the segment (slot and segment name); the batch id adds the hour
    and source, so it is the same every time this segment is flushed.
    """
    parsed = parse_records(records)
    accepted = pc.is_null(parsed.column("reject_code"))
    hour_text = pc.utf8_slice_codeunits(pc.fill_null(parsed.column("received"), ""), 0, 13)
    keyed = parsed.append_column("hour_text", hour_text).append_column("accepted", accepted)
    groups = keyed.group_by(["accepted", "source_id", "hour_text"]).aggregate([]).to_pylist()
    objects: list[LandingObject] = []
    for group in sorted(groups, key=lambda g: (not g["accepted"], g["source_id"], g["hour_text"])):
        is_accepted, source, text = group["accepted"], group["source_id"], group["hour_text"]
        if len(groups) == 1:
            part = keyed  # the common case (one source, one hour): no copy
        else:
            same_kind = pc.equal(keyed.column("accepted"), is_accepted)
            same_source = pc.equal(keyed.column("source_id"), source)
            same_hour = pc.equal(keyed.column("hour_text"), text)
            part = keyed.filter(pc.and_(pc.and_(same_kind, same_source), same_hour))
        table = envelope_table(part, created) if is_accepted else rejected_table(part, created)
        first = table.column("received_at")[0].as_py()
        hour = first.replace(minute=0, second=0, microsecond=0)
        batch_id = f"{batch_prefix}-{hour:%Y%m%d%H}-{_short_hash(source + text)}"
        key = batch_key(source, hour, batch_id)
        bounds = pc.min_max(table.column("received_at"))
        objects.append(
            LandingObject(
                key=key if is_accepted else f"rejected/{key}",
                batch_id=batch_id,
                source_id=source,
                data=write_parquet(table) if is_accepted else _write_rejected(table),
                row_count=table.num_rows,
                manifest=is_accepted,
                min_received_at=bounds["min"].as_py(),
                max_received_at=bounds["max"].as_py(),
            )
        )
    return objects
