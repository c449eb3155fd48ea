"""Landing stores: local directory and S3 over HTTP (moto server), plus the Parquet envelope."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import boto3
import pyarrow as pa
import pytest

from eventyard.landing import ENVELOPE_SCHEMA, StoreError, batch_key, open_store, read_parquet, write_parquet


def _table() -> pa.Table:
    now = datetime(2024, 1, 1, 13, 5, tzinfo=UTC)
    row = {name: None for name in ENVELOPE_SCHEMA.names}
    row.update(
        message_id="m1",
        type="track",
        source_id="src",
        received_at=now,
        timestamp=now,
        event="Order Completed",
        message='{"type":"track"}',
    )
    return pa.Table.from_pylist([row], schema=ENVELOPE_SCHEMA)


def test_batch_key_layout() -> None:
    hour = datetime(2024, 3, 9, 7, tzinfo=UTC)
    assert batch_key("abc", hour, "b1") == "source=abc/date=2024-03-09/hour=07/b1.parquet"
    with pytest.raises(ValueError):
        batch_key("abc", datetime(2024, 3, 9, 7), "b1")


def test_parquet_round_trip_is_zstd() -> None:
    data = write_parquet(_table())
    import io

    import pyarrow.parquet as pq

    assert pq.ParquetFile(io.BytesIO(data)).metadata.row_group(0).column(0).compression == "ZSTD"
    assert read_parquet(data).to_pylist() == _table().to_pylist()


def test_unique_columns_are_written_without_a_dictionary() -> None:
    """Message ids and messages never repeat: no dictionary for them, one for the rest."""
    rows = _table().to_pylist() * 50
    for i, row in enumerate(rows):
        row["message_id"], row["message"] = f"m{i}", f'{{"type":"track","i":{i}}}'
    data = write_parquet(pa.Table.from_pylist(rows, schema=ENVELOPE_SCHEMA))
    import io

    import pyarrow.parquet as pq

    group = pq.ParquetFile(io.BytesIO(data)).metadata.row_group(0)
    encoded = {group.column(i).path_in_schema: group.column(i) for i in range(group.num_columns)}
    for name in ("message_id", "message"):
        assert not encoded[name].has_dictionary_page, name
    for name in ("type", "source_id", "event"):
        assert encoded[name].has_dictionary_page, name
    assert read_parquet(data).to_pylist() == rows


def test_local_store_put_get_list_delete(tmp_path: Path) -> None:
    store = open_store((tmp_path / "landing").as_uri())
    uri = store.put("source=a/x.parquet", b"data")
    assert uri.startswith("file://")
    assert store.get(uri) == b"data" == store.get("source=a/x.parquet")
    store.put("source=a/x.parquet", b"again")  # idempotent overwrite, never a second object
    assert store.list() == ["source=a/x.parquet"]
    assert store.list("source=b") == []
    store.delete("source=a/x.parquet")
    assert store.list() == []


def test_local_store_refuses_keys_outside_its_root(tmp_path: Path) -> None:
    store = open_store((tmp_path / "landing").as_uri())
    with pytest.raises(StoreError):
        store.put("../escape.parquet", b"x")


def test_s3_store_over_http(moto_endpoint: str) -> None:
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket="lake")
    store = open_store("s3://lake/events", endpoint_url=moto_endpoint)
    uri = store.put("source=a/b.parquet", write_parquet(_table()))
    assert uri == "s3://lake/events/source=a/b.parquet"
    assert read_parquet(store.get(uri)).num_rows == 1
    assert store.list("source=a") == ["source=a/b.parquet"]
    store.delete("source=a/b.parquet")
    assert store.list() == []


def test_s3_outage_is_a_store_error(aws_credentials: None) -> None:
    from tests.conftest import free_port

    store = open_store("s3://lake/events", endpoint_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreError):
        store.put("k", b"x")


def test_unknown_scheme_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unsupported landing URL"):
        open_store("ftp://host/x")
