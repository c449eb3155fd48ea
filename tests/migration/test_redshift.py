"""The Segment merge on Redshift's SQL, run on Postgres (decision 0009), and its UNLOAD/COPY path
through an S3 API server (moto).

Segment's side has Redshift's DDL shapes (``VARCHAR(512)``, ``TIMESTAMP`` without zone, ``uuid
BIGINT``); ours is loaded by our own loader through the Redshift dialect. Redshift changes only
VARCHAR lengths in place, so the conflicts other warehouses widen are discarded here, with reasons.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eventyard.migration.ops import ops_for
from eventyard.migration.ops_redshift import RedshiftOps
from eventyard.migration.plan import build_plan
from eventyard.migration.service import merge_planned
from eventyard.settings import Settings
from tests.conftest import _fresh_pg_database
from tests.migration.conftest import SEGMENT_SCHEMA, our_events
from tests.migration.segment_tables import SegmentSide
from tests.warehouse.ext.redshift_pg import PostgresStagedRedshift, pg_details

pytestmark = pytest.mark.postgres
CUTOVER = datetime(2024, 1, 1, tzinfo=UTC)
OURS = "shop"


class UnloadOnPostgres(PostgresStagedRedshift):
    """Redshift's UNLOAD and COPY emulated on Postgres against a real S3 API server: UNLOAD runs
    its query on Postgres and writes the rows as Parquet under the prefix; COPY reads every
    object under the prefix back into the stage, by position as Redshift does."""

    unloads: list[str]
    copies: list[str]

    def run(self, statements: Sequence[str]) -> None:
        for stmt in statements:
            if stmt.startswith("UNLOAD "):
                self.unloads.append(stmt)
                match = re.match(r"UNLOAD \('(.*)'\)\nTO '([^']*)'", stmt, re.S)
                assert match, stmt
                query, prefix = match.group(1).replace("''", "'"), match.group(2)
                bucket, key = prefix.removeprefix("s3://").split("/", 1)
                rows = self.query(query)
                sink = io.BytesIO()
                pq.write_table(pa.Table.from_pylist(rows), sink)
                self._s3_client().put_object(
                    Bucket=bucket, Key=f"{key}0000_part_00.parquet", Body=sink.getvalue()
                )
            elif stmt.startswith("COPY "):
                self.copies.append(stmt)
                prefix = stmt.split("FROM '", 1)[1].split("'", 1)[0]
                bucket, key = prefix.removeprefix("s3://").split("/", 1)
                stage = stmt.split('"', 2)[1]
                for obj in self._s3_client().list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", []):
                    body = self._s3_client().get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                    PostgresStagedRedshift.load_stage(self, stage, pq.read_table(io.BytesIO(body)))
            else:
                super().run([stmt])


def _switch(dialect: PostgresStagedRedshift) -> None:
    from eventyard.warehouse.loader import load_tables
    from eventyard.warehouse.schema_map import map_batch

    dialect.run(["SET TIME ZONE 'UTC'"])
    results = load_tables(dialect, OURS, map_batch(our_events(), dialect), datetime(2024, 6, 1, tzinfo=UTC))
    assert not any(r.error for r in results.values())
    side = SegmentSide("redshift", dialect.quote, dialect.qualified)
    dialect.run([side.create_schema(SEGMENT_SCHEMA), *side.statements(SEGMENT_SCHEMA)])
    # The seed's example: a destination column narrower than Segment's VARCHAR(512).
    dialect.run([f'ALTER TABLE "{OURS}"."pages" ALTER COLUMN "title" TYPE VARCHAR(256)'])


@pytest.fixture
def redshift(pg_server_url: str, tmp_path: Any) -> Iterator[PostgresStagedRedshift]:
    dialect = PostgresStagedRedshift(pg_details(_fresh_pg_database(pg_server_url)), Settings(home=tmp_path))
    with dialect:
        _switch(dialect)
        yield dialect


def _ids(dialect: Any, table: str) -> list[str]:
    return sorted(r["id"] for r in dialect.query(f'SELECT "id" FROM "{OURS}"."{table}"'))


def test_redshift_plan_widens_only_varchar_and_discards_what_it_cannot_widen(
    redshift: PostgresStagedRedshift,
) -> None:
    ops = ops_for(redshift)
    assert isinstance(ops, RedshiftOps)
    ops.start()
    plan = build_plan(ops, SEGMENT_SCHEMA, OURS, None)
    assert plan.cutover == CUTOVER
    orders = {d.name: d for d in plan.table("order_completed").decisions}
    assert orders["revenue"].action == "discard"  # BIGINT/DOUBLE -> VARCHAR is not an in-place ALTER
    assert orders["quantity"].action == "discard"
    assert orders["coupon"].action == "cast"
    assert orders["uuid"].action == "add" and orders["uuid"].new_type == "BIGINT"
    assert orders["id"].action == "keep"  # VARCHAR(512) fits our VARCHAR(65535)
    title = {d.name: d for d in plan.table("pages").decisions}["title"]
    assert (title.action, title.new_type) == ("widen", "VARCHAR(512)")
    assert title.ours is not None and title.ours.physical == "character varying(256)"


def test_redshift_merge_reconciles_and_reruns_add_nothing(redshift: PostgresStagedRedshift) -> None:
    ops = ops_for(redshift)
    ops.start()
    outcome = merge_planned(ops, build_plan(ops, SEGMENT_SCHEMA, OURS, None), chunk_rows=2)
    assert outcome.ok, [r.line() for r in outcome.results]
    orders = {r.table: r for r in outcome.results}["order_completed"]
    assert (orders.merged, orders.present, orders.after_cutover) == (3, 1, 1)
    assert orders.discarded == 6  # revenue, quantity and gift of s1 and s2 (s3 has NULLs there)
    title = redshift.query(f'SELECT "title" FROM "{OURS}"."pages" WHERE "id" = \'p1\'')[0]["title"]
    assert len(title) > 256  # the widened column holds Segment's value whole
    again = merge_planned(ops, build_plan(ops, SEGMENT_SCHEMA, OURS, CUTOVER), chunk_rows=2)
    assert again.ok and all(r.chunks_run == 0 for r in again.results)
    assert _ids(redshift, "order_completed") == ["e-2", "s1", "s2", "s3", "shared-1"]


def test_big_chunks_travel_by_unload_and_copy_through_s3(
    pg_server_url: str, moto_endpoint: str, tmp_path: Any
) -> None:
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="merge-bucket")
    details = {
        **pg_details(_fresh_pg_database(pg_server_url)),
        "bucketName": "merge-bucket",
        "iamRoleARN": "arn:aws:iam::1:role/merge",
        "endpointUrl": moto_endpoint,
        "mergeUnloadRows": 2,
    }
    dialect = UnloadOnPostgres(details, Settings(home=tmp_path))
    dialect.unloads, dialect.copies = [], []
    with dialect:
        _switch(dialect)
        ops = ops_for(dialect)
        ops.start()
        outcome = merge_planned(ops, build_plan(ops, SEGMENT_SCHEMA, OURS, None), chunk_rows=3)
        assert outcome.ok, [r.line() for r in outcome.results]
        assert _ids(dialect, "order_completed") == ["e-2", "s1", "s2", "s3", "shared-1"]
        assert _ids(dialect, "legacy_event") == ["s4"]
        orders = {r.table: r for r in outcome.results}["order_completed"]
        assert (orders.merged, orders.present, orders.after_cutover) == (3, 1, 1)
    assert dialect.unloads and len(dialect.unloads) == len(dialect.copies)
    first = dialect.unloads[0]
    assert "IAM_ROLE 'arn:aws:iam::1:role/merge'" in first and "FORMAT AS PARQUET" in first
    assert "SELECT *" not in first and 'CAST(s.""coupon""' not in first
    assert all("FORMAT AS PARQUET" in c for c in dialect.copies)
    assert s3.list_objects_v2(Bucket="merge-bucket").get("KeyCount", 0) == 0  # chunk files removed


def test_a_killed_redshift_merge_resumes_from_its_last_committed_chunk(
    redshift: PostgresStagedRedshift,
) -> None:
    ops = ops_for(redshift)
    ops.start()

    def kill(table: str, done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt

    plan = build_plan(ops, SEGMENT_SCHEMA, OURS, None)
    with pytest.raises(KeyboardInterrupt):
        merge_planned(ops, plan, tables=["order_completed"], chunk_rows=1, progress=kill)
    assert _ids(redshift, "order_completed") == ["e-2", "s1", "shared-1"]
    resumed = merge_planned(ops, build_plan(ops, SEGMENT_SCHEMA, OURS, CUTOVER), tables=["order_completed"])
    result = resumed.results[0]
    assert result.ok and result.chunks_before == 1 and (result.merged, result.present) == (3, 1)
    assert _ids(redshift, "order_completed") == ["e-2", "s1", "s2", "s3", "shared-1"]
