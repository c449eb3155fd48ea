"""The foundation: settings, migrations on SQLite and Postgres, and the `eventyard init` command."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text
from typer.testing import CliRunner

from eventyard.cli import app
from eventyard.db.engine import engine_for
from eventyard.db.migrate import pending_revisions, upgrade
from eventyard.settings import Settings

EXPECTED_TABLES = {
    "users",
    "organizations",
    "memberships",
    "email_tokens",
    "login_throttle",
    "api_keys",
    "sources",
    "connections",
    "integrations",
    "batches",
}


def test_migrations_create_the_schema_from_empty(db_url: str) -> None:
    engine = engine_for(db_url)
    assert pending_revisions(engine)
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
    assert pending_revisions(engine) == set()
    upgrade(engine)  # idempotent: a second run is a no-op
    assert pending_revisions(engine) == set()


# What `upgrade` builds, per database kind, as recorded from the revisions (tests/data/): a change
# to a revision or to the helpers they share must leave it as it is. After a NEW revision, record
# it again with EVENTYARD_RECORD_SCHEMA=1 and review the diff.
SCHEMA_RECORDS = Path(__file__).parent / "data"
COLUMN_KEYS = ("name", "type", "nullable", "default", "autoincrement")


def _schema(engine: Engine) -> dict[str, Any]:
    """Every table's columns (in order), keys, indexes and checks, and the applied revisions."""
    insp = inspect(engine)

    def named(items: list[Any]) -> list[Any]:
        return sorted((dict(item) for item in items), key=lambda item: str(item.get("name")))

    tables: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        tables[table] = {
            "columns": [
                {key: str(column.get(key)) for key in COLUMN_KEYS} for column in insp.get_columns(table)
            ],
            "primary_key": dict(insp.get_pk_constraint(table)),
            "foreign_keys": named(insp.get_foreign_keys(table)),
            "unique": named(insp.get_unique_constraints(table)),
            "indexes": named(insp.get_indexes(table)),
            "checks": named(insp.get_check_constraints(table)),
        }
    with engine.connect() as conn:
        revisions = sorted(conn.execute(text('SELECT "version_num" FROM "alembic_version"')).scalars())
    return {"tables": tables, "revisions": revisions}


def test_migrations_build_the_recorded_schema(db_url: str) -> None:
    engine = engine_for(db_url)
    upgrade(engine)
    built = json.loads(json.dumps(_schema(engine), default=str))
    record = SCHEMA_RECORDS / f"control_schema.{engine.dialect.name}.json"
    if os.environ.get("EVENTYARD_RECORD_SCHEMA") == "1":
        record.write_text(json.dumps(built, indent=1, sort_keys=True) + "\n")
    assert built == json.loads(record.read_text())


def test_settings_default_to_state_dir(state_home: Path) -> None:
    s = Settings()
    assert s.resolved_database_url == f"sqlite:///{(state_home / 'control.db').resolve()}"
    assert s.resolved_landing_url == (state_home / "landing").resolve().as_uri()


def test_init_generates_secret_key_when_unset(state_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENTYARD_SECRET_KEY")
    from eventyard.settings import get_settings

    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["home"] == str(state_home.resolve())
    key_file = state_home / "secret.key"
    assert len(key_file.read_text()) >= 32
    assert key_file.stat().st_mode & 0o077 == 0
    # A second init keeps the key: rotating it would orphan every token and encrypted connection.
    before = key_file.read_text()
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    assert key_file.read_text() == before


def test_missing_secret_key_is_a_clear_error(state_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENTYARD_SECRET_KEY")
    with pytest.raises(RuntimeError, match="eventyard init"):
        Settings().resolved_secret_key()
