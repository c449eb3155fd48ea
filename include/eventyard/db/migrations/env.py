"""Alembic environment: runs against the URL handed in by ``eventyard.db.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import eventyard.db.migrations.all_models  # noqa: F401  (registers every table on Base.metadata)
from eventyard.db.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch ALTERs
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through eventyard.db.migrate.upgrade(), not the alembic CLI")
_run(connection)
