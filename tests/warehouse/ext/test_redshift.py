"""Redshift: golden tests of the generated SQL, and Redshift's SQL executed for real on Postgres."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eventyard.settings import Settings
from eventyard.warehouse.dialects import get_dialect
from eventyard.warehouse.dialects.redshift import RedshiftDialect
from eventyard.warehouse.naming import column_name
from eventyard.warehouse.types import TableRows
from tests.warehouse.ext.cases import CASES, hostile_names_case
from tests.warehouse.ext.harness import Warehouse
from tests.warehouse.ext.redshift_pg import PostgresStagedRedshift
from tests.warehouse.factories import message

pytestmark = pytest.mark.postgres

KEYS = {"host": "h", "database": "d", "user": "u", "password": "p", "bucketName": "stage-bucket"}


def _dialect(settings: Settings, **details: object) -> RedshiftDialect:
    dialect = get_dialect("amazon_redshift", {**KEYS, **details}, settings)
    assert isinstance(dialect, RedshiftDialect)
    return dialect


def test_copy_with_iam_role_is_golden(ext_settings: Settings) -> None:
    dialect = _dialect(ext_settings, iamRoleARN="arn:aws:iam::123456789012:role/load")
    assert dialect.copy_sql("eventyard_stage_1", "s3://stage-bucket/p/eventyard_stage_1.parquet") == [
        "COPY \"eventyard_stage_1\"\nFROM 's3://stage-bucket/p/eventyard_stage_1.parquet'\n"
        "IAM_ROLE 'arn:aws:iam::123456789012:role/load'\nFORMAT AS PARQUET"
    ]


def test_copy_with_keys_quotes_them(ext_settings: Settings) -> None:
    dialect = _dialect(ext_settings, accessKeyID="AKIA'X", accessKey="se;cret--")
    (sql,) = dialect.copy_sql("s", "s3://b/k.parquet")
    assert "ACCESS_KEY_ID 'AKIA''X' SECRET_ACCESS_KEY 'se;cret--'" in sql
    assert sql.endswith("FORMAT AS PARQUET")


def test_copy_without_credentials_is_refused(ext_settings: Settings) -> None:
    from eventyard.warehouse.dialects.base import WarehouseError

    with pytest.raises(WarehouseError, match="iamRoleARN"):
        _dialect(ext_settings).copy_sql("s", "s3://b/k")


def test_create_table_and_alter_are_golden(ext_settings: Settings) -> None:
    dialect = _dialect(ext_settings)
    columns = {"id": "text", "received_at": "timestamp", "score": "bigint", "ok": "boolean", "x": "double"}
    create = dialect.create_table_sql("my_shop", "order_completed", columns, ("id",))  # type: ignore[arg-type]
    assert create == (
        'CREATE TABLE IF NOT EXISTS "my_shop"."order_completed" (\n'
        '    "id" VARCHAR(65535) NOT NULL,\n'
        '    "received_at" TIMESTAMP,\n'
        '    "score" BIGINT,\n'
        '    "ok" BOOLEAN,\n'
        '    "x" DOUBLE PRECISION\n'
        ') SORTKEY ("received_at")'
    )
    assert dialect.add_columns_sql("my_shop", "t", {"a": "text", "b": "bigint"}) == [  # type: ignore[dict-item]
        'ALTER TABLE "my_shop"."t" ADD COLUMN "a" VARCHAR(65535)',
        'ALTER TABLE "my_shop"."t" ADD COLUMN "b" BIGINT',
    ]


def test_merge_is_golden(ext_settings: Settings) -> None:
    dialect = _dialect(ext_settings)
    rows = TableRows(
        "tracks", "tracks", {"id": "text", "event": "text"}, pa.table({"id": ["1"], "event": ["e"]})
    )
    (merge,) = dialect.merge_sql("my_shop", rows, "eventyard_stage_1")
    assert merge == (
        'INSERT INTO "my_shop"."tracks" ("id", "event")\n'
        'SELECT "id", "event" FROM "eventyard_stage_1" AS s\n'
        'WHERE NOT EXISTS (SELECT 1 FROM "my_shop"."tracks" AS t WHERE t."id" = s."id")'
    )


def test_reserved_words_and_identifier_length(ext_settings: Settings) -> None:
    dialect = _dialect(ext_settings)
    assert column_name(("open",), dialect) == "_open"
    long = column_name(("x" * 300,), dialect)
    assert len(long.encode()) <= 127
    assert long != column_name(("x" * 299,), dialect)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_segment_cases_on_postgres(
    redshift_pg: Warehouse, schema: str, case: Callable[[Warehouse, str], None]
) -> None:
    case(redshift_pg, schema)


def test_reloading_leaves_identical_tables(redshift_pg: Warehouse, schema: str) -> None:
    messages = [
        message("track", event="Moved", userId=f"u{i % 3}", properties={"direction": "up", "n": i})
        for i in range(20)
    ]
    messages += [message("identify", userId=f"u{i}", traits={"plan": f"p{i}"}) for i in range(3)]
    redshift_pg.load(schema, messages)
    before = {t: redshift_pg.rows(schema, t) for t in ("tracks", "moved", "identifies", "users")}
    redshift_pg.load(schema, messages)
    redshift_pg.load(schema, messages[:5] + messages[:5])
    after = {t: redshift_pg.rows(schema, t) for t in ("tracks", "moved", "identifies", "users")}
    assert after == before
    assert len(after["moved"]) == 20 and len(after["users"]) == 3


class S3CopyOnPostgres(PostgresStagedRedshift):
    """The real S3 staging path: upload with boto3, then "COPY" by reading that object back."""

    copies: list[str]

    def load_stage(self, stage: str, data: pa.Table) -> None:
        RedshiftDialect.load_stage(self, stage, data)

    def run(self, statements: Sequence[str]) -> None:
        for stmt in statements:
            if stmt.startswith("COPY "):
                self.copies.append(stmt)
                uri = stmt.split("FROM '", 1)[1].split("'", 1)[0]
                bucket, key = uri.removeprefix("s3://").split("/", 1)
                body = self._s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
                stage = stmt.split('"', 2)[1]
                PostgresStagedRedshift.load_stage(self, stage, pq.read_table(io.BytesIO(body)))
            else:
                super().run([stmt])


def test_rows_travel_through_s3_parquet(
    redshift_pg: Warehouse, schema: str, moto_endpoint: str, ext_settings: Settings
) -> None:
    import boto3

    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(
        Bucket="stage-bucket"
    )
    details = {
        **redshift_pg.dialect.details,
        "bucketName": "stage-bucket",
        "prefix": "eventyard/",
        "iamRoleARN": "arn:aws:iam::1:role/r",
        "endpointUrl": moto_endpoint,
    }
    dialect = S3CopyOnPostgres(details, ext_settings)
    dialect.copies = []
    with dialect:
        wh = Warehouse(dialect, redshift_pg.query)
        wh.load(schema, [message("track", event="Moved", userId="u", messageId="m1", properties={"n": 1})])
    assert [r["n"] for r in redshift_pg.rows(schema, "moved")] == [1]
    assert len(dialect.copies) == 2  # tracks + moved
    assert all("IAM_ROLE 'arn:aws:iam::1:role/r'" in c and "FORMAT AS PARQUET" in c for c in dialect.copies)
    listed = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").list_objects_v2(
        Bucket="stage-bucket"
    )
    assert listed.get("KeyCount", 0) == 0  # staging files are removed after COPY


def test_hostile_names_on_postgres(redshift_pg: Warehouse, schema: str) -> None:
    hostile_names_case(redshift_pg, schema)


def test_users_upsert_sql_is_golden(ext_settings: Settings) -> None:
    dialect = _dialect(ext_settings)
    rows = TableRows(
        "users", "users", {"id": "text", "received_at": "timestamp", "plan": "text"}, pa.table({})
    )
    target = {"id": "text", "received_at": "timestamp", "plan": "text", "email": "text"}
    create, delete, insert, drop = dialect.users_sql("s", rows, "stage_1", target)  # type: ignore[arg-type]
    assert create.startswith(
        'CREATE TEMP TABLE "stage_1_users" AS\nSELECT DISTINCT "id", FIRST_VALUE("received_at")'
    )
    assert (
        'FIRST_VALUE("plan") OVER (PARTITION BY "id" ORDER BY CASE WHEN "plan" IS NULL THEN 1 ELSE 0 END, '
        '"received_at" DESC NULLS LAST, "__eventyard_src", "__eventyard_row" DESC '
        'ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS "plan"'
    ) in create
    # The stage lacks `email`: it is selected as a typed NULL so the stored value can win.
    assert (
        'SELECT "id", "received_at", "plan", CAST(NULL AS VARCHAR(65535)) AS "email", 1 AS "__eventyard_src"'
        in create
    )
    assert delete == 'DELETE FROM "s"."users" WHERE "id" IN (SELECT "id" FROM "stage_1_users")'
    assert insert == (
        'INSERT INTO "s"."users" ("id", "received_at", "plan", "email") '
        'SELECT "id", "received_at", "plan", "email" FROM "stage_1_users"'
    )
    assert drop == 'DROP TABLE "stage_1_users"'
