"""``eventyard bench load``: landed Parquet -> Postgres Segment tables, against a plain COPY.

One million events of one 30-property track event are landed as Parquet batches with their
manifest, in a throw-away state dir (not timed). The timed run is the real loading path,
``load_integration``: read Parquet, map (vectorized), COPY, dedupe on ``id`` into ``tracks`` and
the event table, ledger. The ceiling is a plain COPY of
the very same rows into plain tables of the same columns, in the same run on the same server.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute
from sqlalchemy import delete

from eventyard.db.engine import get_engine, session_scope
from eventyard.landing import ENVELOPE_SCHEMA, read_parquet, write_parquet
from eventyard.settings import Settings
from eventyard.warehouse.cycle import load_integration
from eventyard.warehouse.dialects.postgres import PostgresDialect
from eventyard.warehouse.evolve import concat_rows
from eventyard.warehouse.fastmap import map_landed
from eventyard.warehouse.models import WarehouseLoad
from eventyard.warehouse.types import Logical, TableRows

EVENT = "Game Move"
START = datetime(2024, 1, 1, tzinfo=UTC)


def event_properties(i: int) -> dict[str, Any]:
    """30 properties of mixed types (camelCase names, as SDKs send them)."""
    props: dict[str, Any] = {}
    for k in range(30):
        kind = k % 5
        key = f"propertyNumber{k:02d}"
        if kind == 0:
            props[key] = f"value-{i % 977}-{k}"
        elif kind == 1:
            props[key] = i * 31 + k
        elif kind == 2:
            props[key] = (i % 1000) / 7 + k
        elif kind == 3:
            props[key] = (i + k) % 2 == 0
        else:
            props[key] = ("up", "down", "left", "right")[(i + k) % 4]
    return props


def landed_batches(events: int, batch_size: int, source_id: str = "benchsource") -> list[bytes]:
    """``events`` track messages as landed Parquet batches (what the collector's flusher writes).

    Property values cycle through 1,000 variants (pre-serialized) so that generating a million
    messages takes seconds; every message has its own id, user and timestamps.
    """
    context = orjson.dumps(
        {
            "library": {"name": "analytics.js", "version": "1.84.1"},
            "ip": "203.0.113.9",
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64)",
            "page": {"path": "/play", "url": "https://2048.example/play"},
        }
    ).decode()
    variants = [orjson.dumps(event_properties(i)).decode() for i in range(1000)]
    template = '{"type":"track","event":"%s","messageId":"%s","userId":"%s","properties":%s,"context":%s}'
    batches = []
    for start in range(0, events, batch_size):
        n = min(batch_size, events - start)
        ids = [f"bench-{start + j:012d}" for j in range(n)]
        users = [f"player-{(start + j) % 5000}" for j in range(n)]
        messages = [
            template % (EVENT, ids[j], users[j], variants[(start + j) % 1000], context) for j in range(n)
        ]
        micros = pa.array(range(start * 1000, (start + n) * 1000, 1000), type=pa.int64())
        ts = pa.compute.add(micros, int(START.timestamp() * 1_000_000)).cast(pa.timestamp("us", tz="UTC"))
        table = pa.table(
            {
                "message_id": ids,
                "type": ["track"] * n,
                "source_id": [source_id] * n,
                "received_at": ts,
                "sent_at": ts,
                "original_timestamp": ts,
                "timestamp": ts,
                "user_id": users,
                "anonymous_id": pa.nulls(n, pa.string()),
                "event": [EVENT] * n,
                "name": pa.nulls(n, pa.string()),
                "category": pa.nulls(n, pa.string()),
                "group_id": pa.nulls(n, pa.string()),
                "previous_id": pa.nulls(n, pa.string()),
                "channel": ["client"] * n,
                "message": messages,
            },
            schema=ENVELOPE_SCHEMA,
        )
        batches.append(write_parquet(table))
    return batches


@dataclass
class BenchResult:
    """Figures of one run."""

    events: int
    rows: int
    total_seconds: float
    copy_seconds: float
    rerun_inserted: int

    def lines(self) -> list[str]:
        """Human-readable report."""
        total = self.total_seconds
        return [
            f"events                {self.events:,} ({self.rows:,} table rows: tracks + event table)",
            f"eventyard load        {total:.2f} s  (Parquet -> map -> COPY -> dedupe -> ledger)",
            f"  events/s            {self.events / total:,.0f}",
            f"  table rows/s        {self.rows / total:,.0f}",
            f"plain COPY (ceiling)  {self.copy_seconds:.2f} s mean"
            f"  ({self.rows / self.copy_seconds:,.0f} rows/s)",
            f"ratio vs plain COPY   {self.copy_seconds / total:.0%}",
            f"re-run inserted       {self.rerun_inserted} rows (dedupe on id)",
        ]


def run(
    admin_url: str, events: int, batch_size: int, say: Callable[[str], None] = print, rerun: bool = True
) -> BenchResult:
    """Run the benchmark: a throw-away state dir (control DB, landing) and Postgres database."""
    with scratch_postgres(admin_url) as (settings, url):
        say(f"landing {events:,} events in batches of {batch_size:,} (not timed) ...")
        batches = landed_batches(events, batch_size)
        integration_id = provision(settings, url, batches)
        dialect = PostgresDialect({"url": url}, settings)
        with dialect:
            same_rows = _map(batches, dialect)
            # The ceiling is measured right before and right after, and averaged, so that
            # a noisy neighbour on the machine weighs on both sides alike.
            before = _plain_copy(dialect, same_rows, "bench_copy_before")
        say("loading ...")
        load_avg = os.getloadavg()[0]
        started = time.perf_counter()
        report = load_integration(settings, integration_id, max_batches=len(batches))
        elapsed = time.perf_counter() - started
        if report.errors or report.batches_completed != len(batches):
            raise RuntimeError(f"load failed: {report}")
        with dialect:
            after = _plain_copy(dialect, same_rows, "bench_copy_after")
        say(f"plain COPY before {before:.2f} s, after {after:.2f} s; load average at start {load_avg:.1f}")
        copy_seconds = (before + after) / 2
        rerun_inserted = -1
        if rerun:
            with session_scope(get_engine(settings)) as session:
                session.execute(delete(WarehouseLoad))
            again = load_integration(settings, integration_id, max_batches=len(batches))
            rerun_inserted = again.rows_loaded
        rows = report.rows_loaded
        return BenchResult(events, rows, elapsed, copy_seconds, rerun_inserted)


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[tuple[Settings, str]]:
    """A benchmark's throw-away state dir and Postgres database (created on the server of
    ``admin_url``, dropped afterwards): the settings and the database's connection string."""
    import psycopg

    from eventyard.warehouse.dialects.postgres import conninfo

    quote_ident = PostgresDialect({}, Settings()).quote
    admin_info = conninfo({"url": admin_url})
    database = f"eventyard_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_info, autocommit=True) as admin:
        admin.execute(PostgresDialect.sql.statement("create_database", database=quote_ident(database)))
    try:
        with tempfile.TemporaryDirectory(prefix="eventyard-bench-") as home:
            url = psycopg.conninfo.make_conninfo(admin_info, dbname=database)
            settings = Settings(
                home=Path(home), secret_key=secrets.token_urlsafe(32), database_url=None, landing_url=None
            )
            yield settings, url
    finally:
        with psycopg.connect(admin_info, autocommit=True) as admin:
            admin.execute(PostgresDialect.sql.statement("drop_database", database=quote_ident(database)))


def provision(settings: Settings, url: str, batches: list[bytes]) -> str:
    """Control DB, source, Postgres integration and the landed batches' manifest; the integration id."""
    from eventyard.crypto import encrypt_details
    from eventyard.db.migrate import upgrade
    from eventyard.db.models import Batch, Connection, Integration, Organization, Source
    from eventyard.landing import batch_key, open_store

    engine = get_engine(settings)
    upgrade(engine)
    store = open_store(settings.resolved_landing_url)
    with session_scope(engine) as session:
        org = Organization(name="Bench")
        session.add(org)
        session.flush()
        source = Source(org_id=org.id, name="Game 2048", platform="analytics.js")
        connection = Connection(
            org_id=org.id, name="bench", integration_code="postgres", connection_prototype_id="postgres",
            details_encrypted=encrypt_details(settings, {"url": url}),
        )  # fmt: skip
        session.add_all([source, connection])
        session.flush()
        integration = Integration(
            org_id=org.id, app_id=source.id, connection_id=connection.id, integration_code="postgres",
            name="bench warehouse", config={},
        )  # fmt: skip
        session.add(integration)
        for index, data in enumerate(batches):
            batch_id = f"bench-{index:04d}"
            uri = store.put(batch_key(source.id, START, batch_id), data)
            rows = read_parquet(data).num_rows
            session.add(Batch(id=batch_id, source_id=source.id, uri=uri, row_count=rows, byte_size=len(data)))
        session.flush()
        return integration.id


def _map(batches: list[bytes], dialect: PostgresDialect) -> dict[str, TableRows]:
    parts: dict[str, list[TableRows]] = {}
    for data in batches:
        for name, rows in map_landed(read_parquet(data), dialect).tables.items():
            parts.setdefault(name, []).append(rows)
    return {name: concat_rows(p) for name, p in parts.items()}


def _plain_copy(dialect: PostgresDialect, tables: dict[str, TableRows], schema: str) -> float:
    """COPY the same rows into plain tables (no key, no dedupe): the ceiling."""
    dialect.ensure_schema(schema)
    elapsed = 0.0
    now = pa.scalar(datetime.now(UTC), type=pa.timestamp("us", tz="UTC"))
    for name, rows in tables.items():
        columns: dict[str, Logical] = {**rows.columns, "uuid_ts": "timestamp"}
        data = rows.data.append_column("uuid_ts", pa.repeat(now, rows.num_rows))
        dialect.create_table(schema, name, columns, key=())  # no key: no primary key, no dedupe
        target = dialect.qualified(schema, name)
        encoded = list(dialect.encode_copy(list(columns), data))
        started = time.perf_counter()
        dialect.copy_encoded(target, list(columns), encoded)
        elapsed += time.perf_counter() - started
    return elapsed
