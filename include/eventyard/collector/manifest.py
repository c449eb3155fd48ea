"""The batch manifest: each landed batch is recorded exactly once, whatever the retries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, Table, select
from sqlalchemy.exc import IntegrityError

from eventyard.db.models import Batch, utcnow

_BATCHES: Table = Batch.__table__  # type: ignore[assignment]


def record_batch(
    engine: Engine,
    *,
    batch_id: str,
    source_id: str,
    uri: str,
    row_count: int,
    byte_size: int,
    min_received_at: datetime | None,
    max_received_at: datetime | None,
) -> bool:
    """Insert the manifest row unless one with this batch id exists; True if this call inserted it.

    The insert is ``ON CONFLICT DO NOTHING`` on the unique id, so a flush repeated after a
    crash (same segment -> same batch id) leaves exactly one row.
    """
    values = {
        "id": batch_id,
        "source_id": source_id,
        "uri": uri,
        "row_count": row_count,
        "byte_size": byte_size,
        "min_received_at": min_received_at,
        "max_received_at": max_received_at,
        "created_at": utcnow(),
    }
    dialect = engine.dialect.name
    if dialect in ("postgresql", "sqlite"):
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(_BATCHES).values(**values).on_conflict_do_nothing(index_elements=["id"])
        with engine.begin() as conn:
            return conn.execute(stmt).rowcount == 1
    # Other databases: check, then insert; a concurrent twin loses on the unique constraint.
    try:
        with engine.begin() as conn:
            if conn.execute(select(_BATCHES.c.seq).where(_BATCHES.c.id == batch_id)).first():
                return False
            conn.execute(_BATCHES.insert().values(**values))
    except IntegrityError:
        return False
    return True
