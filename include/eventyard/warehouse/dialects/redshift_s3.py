"""Redshift's staging through S3: Parquet uploaded with boto3, then ``COPY ... FORMAT AS PARQUET``.

A mixin of ``RedshiftDialect`` (it uses the dialect's connection details, settings, templates
and ``run``). The bucket may be AWS S3 or an S3-compatible server (``endpointUrl`` in the
connection, else ``EVENTYARD_S3_ENDPOINT_URL``); COPY authenticates with the cluster's IAM role
or with access keys.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from eventyard.settings import Settings
from eventyard.warehouse.errors import TerminalWarehouseError
from eventyard.warehouse.s3 import s3_client, s3_error
from eventyard.warehouse.sql import Templates


def string_literal(value: str) -> str:
    """A SQL string literal (quotes doubled); for the few places Redshift takes no parameters."""
    if "\x00" in value:
        raise ValueError("NUL in SQL literal")
    return "'" + value.replace("'", "''") + "'"


class S3Staging:
    """Fill a Redshift stage table from a Parquet file staged in S3."""

    details: dict[str, Any]
    settings: Settings
    sql: Templates
    _s3: Any

    if TYPE_CHECKING:  # provided by RedshiftDialect

        def run(self, statements: Sequence[str]) -> None: ...

        def quote(self, identifier: str) -> str: ...

    def load_stage(self, stage: str, data: pa.Table) -> None:
        """Upload ``data`` as Parquet to the staging bucket and COPY it into ``stage``."""
        key = self._staging_key(stage)
        bucket = str(self.details["bucketName"])
        sink = io.BytesIO()
        pq.write_table(data, sink, compression="zstd")
        s3 = self._s3_client()
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=sink.getvalue(), **self._sse())
        except Exception as exc:  # botocore raises many types: sorted into transient / terminal
            raise s3_error(f"cannot stage s3://{bucket}/{key}", exc) from exc
        try:
            self.run(self.copy_sql(stage, f"s3://{bucket}/{key}"))
        finally:
            try:
                s3.delete_object(Bucket=bucket, Key=key)
            except Exception:  # a leftover staging file is harmless; lifecycle rules can expire it
                pass

    def _staging_key(self, stage: str) -> str:
        prefix = str(self.details.get("prefix") or "eventyard-staging").strip("/")
        return f"{prefix}/{stage}.parquet"

    def _sse(self) -> dict[str, str]:
        return {"ServerSideEncryption": "AES256"} if self.details.get("enableSSE") else {}

    def credentials_sql(self) -> str:
        """How COPY and UNLOAD authenticate to S3: the IAM role if configured, else the access keys."""
        d = self.details
        if d.get("iamRoleARN"):
            return f"IAM_ROLE {string_literal(str(d['iamRoleARN']))}"
        if d.get("accessKeyID") and d.get("accessKey"):
            return (
                f"ACCESS_KEY_ID {string_literal(str(d['accessKeyID']))} "
                f"SECRET_ACCESS_KEY {string_literal(str(d['accessKey']))}"
            )
        raise TerminalWarehouseError("Redshift COPY needs iamRoleARN or accessKeyID + accessKey")

    def copy_sql(self, stage: str, s3_uri: str) -> list[str]:
        """The COPY statement (exposed for golden tests)."""
        return self.sql.statements(
            "copy_stage",
            stage=self.quote(stage),
            s3_uri=string_literal(s3_uri),
            credentials=self.credentials_sql(),
        )

    def _s3_client(self) -> Any:
        if self._s3 is None:
            self._s3 = s3_client(self.details, self.settings, endpoint_default=self.settings.s3_endpoint_url)
        return self._s3
