"""Redshift's SQL run for real on Postgres: the one Redshift-only step (COPY from S3) swapped out.

``PostgresStagedRedshift`` is the production ``RedshiftDialect`` with two overrides: the stage is
filled with Postgres ``COPY ... FROM STDIN`` instead of ``COPY ... FROM 's3://...' FORMAT AS
PARQUET``, and tables get no ``SORTKEY`` clause. Everything else - DDL, ALTER TABLE ADD COLUMN,
LOCK, the insert-if-absent merge and the users upsert - is Redshift's SQL, executed by Postgres.
Identifiers are fitted to Postgres's 63-byte limit instead of Redshift's 127.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from eventyard.warehouse.dialects.redshift import RedshiftDialect
from eventyard.warehouse.types import Logical


class PostgresStagedRedshift(RedshiftDialect):
    """RedshiftDialect whose stage is loaded with Postgres COPY FROM STDIN.

    Postgres truncates identifiers to 63 bytes where Redshift allows 127, so names are fitted to
    Postgres's limit here (the 127-byte rule itself is covered by a golden test).
    """

    max_identifier_length = 63

    def table_attributes(self, columns: dict[str, Logical]) -> str:
        return ""

    def load_stage(self, stage: str, data: pa.Table) -> None:
        columns = ", ".join(self.quote(c) for c in data.column_names)
        with (
            self._require().cursor() as cur,
            cur.copy(f"COPY {self.quote(stage)} ({columns}) FROM STDIN") as copy,
        ):
            for row in data.to_pylist():
                copy.write_row(tuple(row.values()))


def pg_details(url: str) -> dict[str, Any]:
    """Redshift-style connection details pointing at a Postgres database URL."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return {
        "host": u.host or "127.0.0.1",
        "port": u.port or 5432,
        "database": u.database,
        "user": u.username or "postgres",
        "password": u.password or "",
        "sslmode": "disable",
        "bucketName": "unused",
    }
