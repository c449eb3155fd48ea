"""SQLAlchemy dialects through which GX's SQL datasources reach the warehouse (decision 0034).

GX's generic SQL datasource (``add_sql``) takes a SQLAlchemy URL, which GX keeps in its project
file; behind it, each warehouse gets a dialect over connections the quality round lends (``lend``):

- ``duckdb+eventyard://?lent=KEY``: DuckDB over a connection the quality round lends
  (``lend``): a cursor of the round's own connection, so GX shares the database instance (and
  the file lock, ``eventyard.warehouse.dialects.duckdb``) instead of opening the file a second
  time with another configuration, which DuckDB refuses in one process. duckdb-engine's cursor
  is its connection: a result not fetched before SQLAlchemy's rollback on release is gone, and
  GX fetches after releasing, so each result is fetched at once here (GX's are aggregates and
  samples of at most a few rows).
- ``bigquery+eventyard://PROJECT/DATASET?lent=KEY``: sqlalchemy-bigquery with the round's own
  ``google.cloud.bigquery.Client`` (its credentials and, for the emulator, its endpoint), so no
  key file or secret goes into GX's project file.
- ``postgresql+eventyard://?lent=KEY`` and ``redshift+eventyard://?lent=KEY``: SQLAlchemy's psycopg
  3 dialect (for Redshift under sqlalchemy-redshift's Redshift dialect: its SQL compiler and
  types; the package ships psycopg2 and redshift_connector variants only, and GX's own
  ``add_redshift`` takes ``redshift+psycopg2`` URLs only) over connections the round opens from
  the integration's details, so no password goes into GX's project file either.

Importing this module registers the four with SQLAlchemy.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb_engine
from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import URL
from sqlalchemy_bigquery import BigQueryDialect
from sqlalchemy_redshift.dialect import RedshiftDialectMixin

# Connections (or clients) lent to GX for one validation, by the key in the URL.
_LENT: dict[str, Callable[[], Any]] = {}


@contextmanager
def lend(factory: Callable[[], Any]) -> Iterator[str]:
    """Make ``factory`` (returning a DB-API connection or a BigQuery client) reachable through a
    URL's ``lent`` parameter while the block runs; yields the key."""
    key = uuid.uuid4().hex
    _LENT[key] = factory
    try:
        yield key
    finally:
        del _LENT[key]


def _borrow(url: URL) -> Any:
    key = url.query.get("lent")
    factory = _LENT.get(str(key)) if key else None
    if factory is None:
        raise LookupError(f"no connection is lent to GX under {key!r} (only during a quality round)")
    return factory()


class _FetchedCursor(duckdb_engine.CursorWrapper):
    """duckdb-engine's cursor with each result fetched when executed (see the module docstring)."""

    _rows: list[Any] | None = None
    _description: Any = None

    def execute(self, statement: str, parameters: Any = None, context: Any = None) -> None:
        super().execute(statement, parameters, context)
        conn = self._CursorWrapper__c  # type: ignore[attr-defined]
        self._description = conn.description
        self._rows = conn.fetchall() if conn.description else None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return -1 if self._rows is None else len(self._rows)

    def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows or []
        count = len(rows) if size is None else size
        out, self._rows = rows[:count], rows[count:]
        return out

    def fetchall(self) -> list[Any]:
        out, self._rows = self._rows or [], []
        return out


class _LentDuckDBConnection(duckdb_engine.ConnectionWrapper):
    def cursor(self) -> _FetchedCursor:
        return _FetchedCursor(self._ConnectionWrapper__c, self)  # type: ignore[attr-defined]


class LentDuckDB(duckdb_engine.Dialect):
    """DuckDB over a lent connection (``duckdb+eventyard://?lent=KEY``)."""

    supports_statement_cache = False

    def create_connect_args(self, url: URL) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (), {"url": url}

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        return _LentDuckDBConnection(_borrow(cparams["url"]))

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.NullPool  # nothing of the round's database stays open after GX


class LentBigQuery(BigQueryDialect):
    """sqlalchemy-bigquery over a lent client (``bigquery+eventyard://PROJECT/DATASET?lent=KEY``)."""

    supports_statement_cache = False

    def create_connect_args(self, url: URL) -> Any:
        client = _borrow(url)
        super().create_connect_args(
            url.difference_update_query(["lent"]).update_query_dict({"user_supplied_client": "true"})
        )
        return [], {"client": client}


class LentPostgres(PGDialect_psycopg):
    """Postgres over lent psycopg connections (``postgresql+eventyard://?lent=KEY``)."""

    supports_statement_cache = True  # compiles like its base

    def create_connect_args(self, url: URL) -> Any:
        return (), {"url": url}

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        return _borrow(cparams["url"])


class LentRedshift(RedshiftDialectMixin, LentPostgres):  # type: ignore[misc]
    """sqlalchemy-redshift's Redshift dialect over lent psycopg connections
    (``redshift+eventyard://?lent=KEY``)."""

    supports_statement_cache = False


registry.register("duckdb.eventyard", __name__, "LentDuckDB")
registry.register("bigquery.eventyard", __name__, "LentBigQuery")
registry.register("postgresql.eventyard", __name__, "LentPostgres")
registry.register("redshift.eventyard", __name__, "LentRedshift")
