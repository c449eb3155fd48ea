"""``eventyard bench load``: landed Parquet -> Postgres Segment tables, against a plain COPY.

One million events of one 30-property track event are landed in memory as Parquet batches (not
timed). The timed run is the real loading path: read Parquet, map (vectorized), stage with COPY,
merge with dedupe on ``id`` into ``tracks`` and the event table. The ceiling is a plain COPY of
the very same rows into plain tables of the same columns, in the same run on the same server.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa

from eventyard.landing import ENVELOPE_SCHEMA, read_parquet, write_parquet
from eventyard.settings import Settings
from eventyard.warehouse.dialects.postgres import PostgresDialect
from eventyard.warehouse.evolve import concat_rows
from eventyard.warehouse.fastmap import map_landed
from eventyard.warehouse.loader import load_tables
from eventyard.warehouse.types import TableRows

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
    """``events`` track messages as landed Parquet batches (what the collector's flusher writes)."""
    batches = []
    context = {
        "library": {"name": "analytics.js", "version": "1.84.1"},
        "ip": "203.0.113.9",
        "userAgent": "Mozilla/5.0 (X11; Linux x86_64)",
        "page": {"path": "/play", "url": "https://2048.example/play"},
    }
    for start in range(0, events, batch_size):
        n = min(batch_size, events - start)
        ids = [f"{uuid.UUID(int=start + j)}" for j in range(n)]
        received = [START + timedelta(milliseconds=start + j) for j in range(n)]
        users = [f"player-{(start + j) % 5000}" for j in range(n)]
        messages = [
            orjson.dumps(
                {
                    "type": "track",
                    "event": EVENT,
                    "messageId": ids[j],
                    "userId": users[j],
                    "properties": event_properties(start + j),
                    "context": context,
                }
            ).decode()
            for j in range(n)
        ]
        ts = pa.array(received, type=pa.timestamp("us", tz="UTC"))
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
    map_seconds: float
    load_seconds: float
    copy_seconds: float
    rerun_inserted: int

    @property
    def total_seconds(self) -> float:
        """Parquet -> merged tables."""
        return self.map_seconds + self.load_seconds

    def lines(self) -> list[str]:
        """Human-readable report."""
        total = self.total_seconds
        return [
            f"events                {self.events:,} ({self.rows:,} table rows: tracks + event table)",
            f"eventyard load        {total:.2f} s"
            f"  (map {self.map_seconds:.2f} s, stage+merge {self.load_seconds:.2f} s)",
            f"  events/s            {self.events / total:,.0f}",
            f"  table rows/s        {self.rows / total:,.0f}",
            f"plain COPY (ceiling)  {self.copy_seconds:.2f} s  ({self.rows / self.copy_seconds:,.0f} rows/s)",
            f"ratio vs plain COPY   {self.copy_seconds / total:.0%}",
            f"re-run inserted       {self.rerun_inserted} rows (dedupe on id)",
        ]


def run(
    admin_url: str, events: int, batch_size: int, say: Callable[[str], None] = print, rerun: bool = True
) -> BenchResult:
    """Run the benchmark in a throw-away database on the server of ``admin_url``."""
    import psycopg

    from eventyard.warehouse.dialects.postgres import conninfo

    admin_info = conninfo({"url": admin_url})
    database = f"eventyard_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_info, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        url = psycopg.conninfo.make_conninfo(admin_info, dbname=database)
        say(f"landing {events:,} events in batches of {batch_size:,} (not timed) ...")
        batches = landed_batches(events, batch_size)
        dialect = PostgresDialect({"url": url}, Settings())
        with dialect:
            tables, map_seconds = _map(batches, dialect)
            started = time.perf_counter()
            results = load_tables(dialect, "bench", tables, datetime.now(UTC))
            load_seconds = time.perf_counter() - started
            errors = {n: r.error for n, r in results.items() if r.error}
            if errors:
                raise RuntimeError(f"load failed: {errors}")
            copy_seconds = _plain_copy(dialect, tables)
            rerun_inserted = -1
            if rerun:
                again, _ = _map(batches, dialect)
                rerun_inserted = sum(
                    r.rows_loaded for r in load_tables(dialect, "bench", again, datetime.now(UTC)).values()
                )
        rows = sum(t.num_rows for t in tables.values())
        return BenchResult(events, rows, map_seconds, load_seconds, copy_seconds, rerun_inserted)
    finally:
        with psycopg.connect(admin_info, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _map(batches: list[bytes], dialect: PostgresDialect) -> tuple[dict[str, TableRows], float]:
    started = time.perf_counter()
    parts: dict[str, list[TableRows]] = {}
    for data in batches:
        for name, rows in map_landed(read_parquet(data), dialect).items():
            parts.setdefault(name, []).append(rows)
    tables = {name: concat_rows(p) for name, p in parts.items()}
    return tables, time.perf_counter() - started


def _plain_copy(dialect: PostgresDialect, tables: dict[str, TableRows]) -> float:
    """COPY the same rows into plain tables (no key, no dedupe): the ceiling."""
    dialect.ensure_schema("bench_copy")
    elapsed = 0.0
    for name, rows in tables.items():
        columns = {**rows.columns, "uuid_ts": "timestamp"}
        data = rows.data.append_column(
            "uuid_ts", pa.array([datetime.now(UTC)] * rows.num_rows, pa.timestamp("us", tz="UTC"))
        )
        definitions = ", ".join(f"{dialect.quote(c)} {dialect.type_for(t)}" for c, t in columns.items())  # type: ignore[arg-type]
        target = dialect.qualified("bench_copy", name)
        dialect.conn.execute(f"CREATE TABLE {target} ({definitions})")
        encoded = dialect.encode_copy(list(columns), data)
        started = time.perf_counter()
        dialect.copy_encoded(target, list(columns), encoded)
        elapsed += time.perf_counter() - started
    return elapsed
