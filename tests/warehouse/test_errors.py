"""Transient or terminal: each dialect sorts the errors its real driver raises."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest

from eventyard.settings import Settings
from eventyard.warehouse.dialects import UnknownDialect, get_dialect
from eventyard.warehouse.errors import TerminalWarehouseError, TransientWarehouseError
from eventyard.warehouse.s3 import s3_client, s3_error
from tests.conftest import _fresh_pg_database


def test_duckdb_constraint_is_terminal_io_is_not(tmp_path: Path) -> None:
    import duckdb

    dialect = get_dialect("duckdb", {"path": str(tmp_path / "w.duckdb")}, Settings(home=tmp_path))
    with dialect:
        dialect.run(['CREATE TABLE "t" ("id" VARCHAR, CHECK (length("id") < 0))'])
        with pytest.raises(duckdb.Error) as constraint:
            dialect.run(["INSERT INTO \"t\" VALUES ('x')"])
        with pytest.raises(duckdb.Error) as missing:
            dialect.run(['SELECT * FROM "no_such_table"'])
    assert dialect.is_terminal(constraint.value) and dialect.is_terminal(missing.value)
    assert not dialect.is_terminal(duckdb.IOException("disk full"))
    assert dialect.is_terminal(TerminalWarehouseError("bad details"))
    assert not dialect.is_terminal(RuntimeError("anything unknown is retried"))


@pytest.mark.postgres
def test_postgres_sorts_errors_by_sqlstate(pg_server_url: str, tmp_path: Path) -> None:
    import psycopg

    url = _fresh_pg_database(pg_server_url)
    dialect = get_dialect("postgres", {"url": url}, Settings(home=tmp_path))
    with dialect:
        dialect.run(['CREATE TABLE "t" ("id" text CHECK (length("id") < 0))'])
        with pytest.raises(psycopg.Error) as constraint:
            dialect.run(["INSERT INTO \"t\" VALUES ('x')"])
        # Our own session killed under us (an admin, a failover): retry.
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
            pid = dialect.query("SELECT pg_backend_pid() AS pid")[0]["pid"]
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(psycopg.Error) as killed:
            dialect.query("SELECT 1")
    assert constraint.value.sqlstate == "23514" and dialect.is_terminal(constraint.value)
    assert not dialect.is_terminal(killed.value), killed.value


def test_bigquery_sorts_errors_by_status_and_reason(tmp_path: Path) -> None:
    from google.api_core import exceptions as gax

    dialect = get_dialect("google_bigquery", {"project": "p"}, Settings(home=tmp_path))
    assert dialect.is_terminal(gax.BadRequest("no such column", errors=[{"reason": "invalidQuery"}]))
    assert dialect.is_terminal(gax.Forbidden("denied", errors=[{"reason": "accessDenied"}]))
    assert not dialect.is_terminal(gax.Forbidden("slow down", errors=[{"reason": "rateLimitExceeded"}]))
    assert not dialect.is_terminal(gax.ServiceUnavailable("try later"))
    assert not dialect.is_terminal(gax.InternalServerError("oops"))


def test_s3_missing_bucket_is_terminal_unreachable_endpoint_is_not(
    moto_endpoint: str, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path)
    keys = {"accessKeyID": "t", "accessKey": "t", "region": "us-east-1"}
    client = s3_client({**keys, "endpointUrl": moto_endpoint}, settings)
    with pytest.raises(Exception) as missing:
        client.put_object(Bucket=f"missing-{uuid.uuid4().hex}", Key="k", Body=b"x")
    assert isinstance(s3_error("put", missing.value), TerminalWarehouseError)

    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    down = s3_client({**keys, "endpointUrl": f"http://127.0.0.1:{port}"}, settings)
    down.meta.config.retries = {"max_attempts": 1}
    with pytest.raises(Exception) as unreachable:
        down.put_object(Bucket="b", Key="k", Body=b"x")
    assert isinstance(s3_error("put", unreachable.value), TransientWarehouseError)


def test_unknown_integration_codes_are_terminal() -> None:
    with pytest.raises(UnknownDialect) as unknown:
        get_dialect("snowflake", {}, Settings())
    assert isinstance(unknown.value, TerminalWarehouseError)
