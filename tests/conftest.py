"""Shared fixtures: an isolated state dir and settings per test, and real control DBs.

Postgres tests use the server at 127.0.0.1:5432 (database ``test``) for real: each test
session creates its own throw-away database there. When the server is unreachable those
tests skip locally, but fail under ``CI=true`` so that CI can never pass without them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from eventyard.db.engine import engine_for, make_engine
from eventyard.db.migrate import upgrade
from eventyard.runtime.local_stack import free_port as _free_port
from eventyard.settings import Settings, get_settings

PG_ADMIN_URLS = (
    os.environ.get("EVENTYARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


_UNGROUPED: set[str] = set()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Note the tests whose ``xdist_group`` mark did not take effect under ``--dist loadgroup``.

    pytest-xdist groups a test by appending ``@group`` to its node id; when it cannot (pytest 9.2
    with pytest-xdist 3.8), grouped tests are spread over the workers without a word: each worker
    then starts its own copy of a group's shared stack (the scheduler and Celery end-to-end tests
    ran twice as many Airflows at once) and the suite takes minutes longer.
    """
    if getattr(session.config.option, "loadgroup", False):
        _UNGROUPED.update(
            item.nodeid
            for item in session.items
            if item.get_closest_marker("xdist_group") and "@" not in item.nodeid
        )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail each test that lost its group (see ``pytest_collection_finish``), saying why."""
    if item.nodeid in _UNGROUPED:
        pytest.fail(
            "--dist loadgroup did not group this test (its xdist_group mark was ignored): this pytest"
            " and pytest-xdist do not work together; see the pytest pin in requirements-dev.txt",
            pytrace=False,
        )


def _pg_admin_engine() -> Engine | None:
    for url in PG_ADMIN_URLS:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            return engine
        except Exception:
            engine.dispose()
    return None


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """URL of the local Postgres server's ``test`` database (skip, or fail under CI=true)."""
    admin = _pg_admin_engine()
    if admin is None:
        if IN_CI:
            pytest.fail("Postgres at 127.0.0.1:5432 is unreachable, and CI=true requires it")
        pytest.skip("Postgres at 127.0.0.1:5432 is unreachable")
    url = admin.url.render_as_string(hide_password=False)
    admin.dispose()
    return url


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh EVENTYARD_HOME for this test, with the process settings pointing at it."""
    home = tmp_path / "home"
    monkeypatch.setenv("EVENTYARD_HOME", str(home))
    monkeypatch.delenv("EVENTYARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("EVENTYARD_LANDING_URL", raising=False)
    monkeypatch.setenv("EVENTYARD_SECRET_KEY", "test-secret-key-" + "x" * 32)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, state_home: Path) -> str:
    """A migrated, empty control DB: SQLite in the state dir, or a fresh Postgres schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{state_home / 'control.db'}"
        state_home.mkdir(parents=True, exist_ok=True)
    else:
        server_url: str = request.getfixturevalue("pg_server_url")
        url = _fresh_pg_database(server_url)
    return url


def _fresh_pg_database(server_url: str) -> str:
    """A brand-new database per test (cheap on a local server, and fully isolated)."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"eyt_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = create_engine(server_url).url.set(database=name).render_as_string(hide_password=False)
    _fresh_databases.append(url)
    return url


_fresh_databases: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def _drop_fresh_databases() -> Iterator[None]:
    yield
    if not _fresh_databases:
        return
    admin = _pg_admin_engine()
    if admin is None:
        return
    admin_url = admin.url
    admin.dispose()

    def drop(url: str) -> None:
        engine_for(url).dispose()
        name = create_engine(url).url.database
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    # Each DROP DATABASE waits for a checkpoint; concurrent drops share checkpoints (~4x faster).
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(drop, _fresh_databases))


@pytest.fixture
def settings(db_url: str, state_home: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Process settings bound to a migrated control DB (SQLite and Postgres variants)."""
    monkeypatch.setenv("EVENTYARD_DATABASE_URL", db_url)
    get_settings.cache_clear()
    s = get_settings()
    upgrade(engine_for(s.resolved_database_url))
    return s


@pytest.fixture
def sqlite_settings(state_home: Path) -> Settings:
    """Settings on a migrated SQLite control DB only (for tests that need no Postgres variant)."""
    state_home.mkdir(parents=True, exist_ok=True)
    s = get_settings()
    upgrade(make_engine(s.resolved_database_url))
    return s


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    return _free_port()


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake AWS credentials, so boto3 never looks for real ones."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def moto_endpoint(aws_credentials: None) -> Iterator[str]:
    """An S3/Kinesis-compatible HTTP endpoint (moto server mode) on loopback, for this test."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
