"""An A/A test in miniature: the same real calls seen by Segment's pipeline and by ours.

``calls()`` is three hours of a small site (pages, two track events, identifies, a group, an
alias). Our side goes through our own loader (``map_batch`` + ``load_tables``) exactly as a load
does. Segment's side is written with Segment's own DDL shapes (segment-spec §3), per warehouse:
Postgres ``varchar(1024)`` ids and ``text``; Redshift ``varchar(512)``, ``timestamp`` without time
zone and ``uuid int8``; BigQuery ``STRING`` / ``TIMESTAMP`` and ``loaded_at``; on DuckDB (which
Segment does not load) the Redshift shape. Columns come in Segment's order (``id``,
``received_at``, ``uuid_ts`` first), ``pages`` has a column only Segment keeps
(``context_campaign_name``), and ``order_completed.total`` is text on Segment's side and a
number on ours. Message ids differ between the sides, as they do when two snippets fire.

``drop`` removes the Segment rows of one event in one hour: the case the report must flag.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from eventyard.settings import Settings
from eventyard.warehouse.dialects.base import Dialect
from eventyard.warehouse.integration import table_setup
from eventyard.warehouse.loader import load_tables
from eventyard.warehouse.schema_map import map_batch
from tests.warehouse.factories import make_integration

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
HOURS = 3
UNTIL = START + timedelta(hours=HOURS)
DROPPED_EVENT, DROPPED_TABLE, DROPPED_HOUR = "Order Completed", "order_completed", START + timedelta(hours=1)
PATHS = ("/", "/pricing", "/checkout")
Kind = Literal["text", "id", "ts", "float", "int"]
Shape = Literal["postgres", "redshift", "bigquery", "duckdb"]


@dataclass(frozen=True)
class Call:
    """One real call on the site, which both snippets send."""

    kind: str
    at: datetime
    anonymous_id: str
    user_id: str | None = None
    event: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


def calls() -> list[Call]:
    """Three hours of calls, 14 per hour, none near an hour's edge."""
    out: list[Call] = []
    for h in range(HOURS):
        for i in range(12):
            at = START + timedelta(hours=h, minutes=2 + i * 4, seconds=i)
            anon, user = f"anon-{(h * 12 + i) % 7}", f"user-{i % 5}"
            if i % 4 == 0:
                path = PATHS[(i // 4) % 3]
                out.append(
                    Call("page", at, anon, None, None, {"path": path, "url": f"https://shop.example{path}"})
                )
            elif i % 4 == 1:
                out.append(
                    Call("track", at, anon, user, "Product Viewed", {"sku": f"sku-{i}", "price": 10.0 + i})
                )
            elif i % 4 == 2:
                out.append(
                    Call("track", at, anon, user, "Order Completed", {"total": 12.5 + i, "currency": "USD"})
                )
            else:
                out.append(
                    Call("identify", at, anon, user, None, {"email": f"{user}@example.com", "plan": "pro"})
                )
        out.append(
            Call(
                "group",
                START + timedelta(hours=h, minutes=50),
                f"anon-{h}",
                f"user-{h}",
                None,
                {"name": "Acme"},
            )
        )
        out.append(Call("alias", START + timedelta(hours=h, minutes=52), f"anon-{h}", f"user-{h}", None, {}))
    return out


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def our_messages(all_calls: list[Call]) -> list[dict[str, Any]]:
    """What our snippet sends for each call (our collector receives it 120 ms later)."""
    messages = []
    for n, c in enumerate(all_calls):
        m: dict[str, Any] = {
            "type": c.kind,
            "messageId": f"ey-{n}",
            "anonymousId": c.anonymous_id,
            "receivedAt": _iso(c.at + timedelta(milliseconds=120)),
            "sentAt": _iso(c.at + timedelta(milliseconds=20)),
            "timestamp": _iso(c.at),
            "originalTimestamp": _iso(c.at),
            "context": {"library": {"name": "analytics.js", "version": "next-1.84.1"}},
        }
        if c.user_id:
            m["userId"] = c.user_id
        if c.kind == "track":
            m.update(event=c.event, properties=c.properties)
        elif c.kind == "page":
            m.update(name="Home", properties=c.properties)
        elif c.kind == "identify":
            m["traits"] = c.properties
        elif c.kind == "group":
            m.update(groupId="group-1", traits=c.properties)
        elif c.kind == "alias":
            m.update(previousId=c.anonymous_id)
        messages.append(m)
    return messages


def load_ours(dialect: Dialect, schema: str, all_calls: list[Call]) -> None:
    """Our side, through our own loader."""
    results = load_tables(
        dialect, schema, map_batch(our_messages(all_calls), dialect), START + timedelta(days=1)
    )
    assert not {n: r.error for n, r in results.items() if r.error}


# ---- Segment's side ---------------------------------------------------------------------------
ENVELOPE: tuple[tuple[str, Kind], ...] = (
    ("id", "id"), ("received_at", "ts"), ("uuid_ts", "ts"), ("anonymous_id", "text"),
    ("context_library_name", "text"), ("context_library_version", "text"),
    ("original_timestamp", "ts"), ("sent_at", "ts"), ("timestamp", "ts"), ("user_id", "text"),
)  # fmt: skip
TRACKS = (*ENVELOPE, ("event", "text"), ("event_text", "text"))
TABLES: dict[str, tuple[tuple[str, Kind], ...]] = {
    "tracks": TRACKS,
    "product_viewed": (*TRACKS, ("price", "float"), ("sku", "text")),
    # Segment first saw total as a string: text there, a number on our side (a type conflict).
    "order_completed": (*TRACKS, ("currency", "text"), ("total", "text")),
    "pages": (
        *ENVELOPE,
        ("name", "text"),
        ("path", "text"),
        ("url", "text"),
        ("context_campaign_name", "text"),
    ),
    "identifies": (*ENVELOPE, ("email", "text"), ("plan", "text")),
    "users": (("id", "id"), ("received_at", "ts"), ("uuid_ts", "ts"), ("email", "text"), ("plan", "text")),
    "groups": (*ENVELOPE, ("group_id", "text"), ("name", "text")),
    "aliases": (*ENVELOPE, ("previous_id", "text")),
}
PHYSICAL: dict[Shape, dict[Kind, str]] = {
    "postgres": {
        "id": "varchar(1024)",
        "text": "text",
        "ts": "timestamp with time zone",
        "float": "double precision",
        "int": "bigint",
    },
    "redshift": {
        "id": "varchar(512)",
        "text": "varchar(512)",
        "ts": "timestamp without time zone",
        "float": "double precision",
        "int": "int8",
    },
    "bigquery": {"id": "STRING", "text": "STRING", "ts": "TIMESTAMP", "float": "FLOAT64", "int": "INT64"},
    "duckdb": {
        "id": "VARCHAR(512)",
        "text": "VARCHAR(512)",
        "ts": "TIMESTAMP",
        "float": "DOUBLE",
        "int": "BIGINT",
    },
}


def segment_columns(table: str, shape: Shape) -> list[tuple[str, str]]:
    """The table's columns and Segment's physical types for ``shape``, in Segment's order."""
    columns: list[tuple[str, Kind]] = list(TABLES[table])
    if shape == "redshift":  # Segment's Redshift tables carry uuid int8 after received_at
        columns.insert(2, ("uuid", "int"))
    if shape == "bigquery":  # and BigQuery's carry loaded_at
        columns.insert(2, ("loaded_at", "ts"))
    return [(name, PHYSICAL[shape][kind]) for name, kind in columns]


def segment_rows(all_calls: list[Call], drop: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, row) for Segment's side; Segment received each call 250 ms after it was made."""
    users: dict[str, dict[str, Any]] = {}
    for n, c in enumerate(all_calls):
        received = c.at + timedelta(milliseconds=250)
        row: dict[str, Any] = {
            "id": f"seg-{n}", "received_at": received, "uuid_ts": received + timedelta(hours=1), "uuid": n,
            "loaded_at": received + timedelta(hours=1), "anonymous_id": c.anonymous_id,
            "context_library_name": "analytics.js", "context_library_version": "next-1.84.1",
            "original_timestamp": c.at, "sent_at": c.at + timedelta(milliseconds=20), "timestamp": c.at,
            "user_id": c.user_id,
        }  # fmt: skip
        if c.kind == "track":
            assert c.event is not None
            table = c.event.lower().replace(" ", "_")
            if drop and c.event == DROPPED_EVENT and DROPPED_HOUR <= c.at < DROPPED_HOUR + timedelta(hours=1):
                continue
            row.update(event=table, event_text=c.event)
            yield "tracks", dict(row)
            props = {k: str(v) if k == "total" else v for k, v in c.properties.items()}
            yield table, {**row, **props}
        elif c.kind == "page":
            yield "pages", {**row, "name": "Home", **c.properties, "context_campaign_name": "spring"}
        elif c.kind == "identify":
            yield "identifies", {**row, **c.properties}
            assert c.user_id is not None
            users[c.user_id] = {"id": c.user_id, "received_at": received, "uuid_ts": received, "uuid": n,
                                "loaded_at": received, **c.properties}  # fmt: skip
        elif c.kind == "group":
            yield "groups", {**row, "group_id": "group-1", **c.properties}
        elif c.kind == "alias":
            yield "aliases", {**row, "previous_id": c.anonymous_id}
    for user in users.values():
        yield "users", user


def segment_tables(
    shape: Shape, drop: bool = False
) -> dict[str, tuple[list[tuple[str, str]], list[tuple[Any, ...]]]]:
    """Per table: Segment's columns (name, physical type) and its rows as tuples in that order."""
    out: dict[str, tuple[list[tuple[str, str]], list[tuple[Any, ...]]]] = {}
    naive = shape in ("redshift", "duckdb")  # timestamp without time zone: UTC wall time
    for table, row in segment_rows(calls(), drop):
        columns, rows = out.setdefault(table, (segment_columns(table, shape), []))
        values = []
        for name, _ in columns:
            value = row.get(name)
            if naive and isinstance(value, datetime):
                value = value.astimezone(UTC).replace(tzinfo=None)
            values.append(value)
        rows.append(tuple(values))
    return out


def create_segment_sql(
    dialect: Dialect, schema: str, table: str, columns: list[tuple[str, str]], shape: Shape
) -> str:
    """Segment's CREATE TABLE (a primary key on id in Postgres, NOT NULL id elsewhere but BigQuery)."""
    q = dialect.quote
    body = []
    for name, kind in columns:
        constraint = ""
        if name == "id" and shape != "bigquery":
            constraint = " NOT NULL PRIMARY KEY" if shape == "postgres" else " NOT NULL"
        body.append(f"{q(name)} {kind}{constraint}")
    return f"CREATE TABLE {dialect.qualified(schema, table)} ({', '.join(body)})"


def load_segment(dialect: Dialect, schema: str, shape: Shape, drop: bool = False) -> None:
    """Create and fill Segment's tables in ``schema`` the way Segment's loader left them."""
    dialect.ensure_schema(schema)
    for table, (columns, rows) in segment_tables(shape, drop).items():
        dialect.run([create_segment_sql(dialect, schema, table, columns, shape)])
        names = [name for name, _ in columns]
        if shape == "bigquery":
            _load_bigquery(dialect, schema, table, columns, rows)
            continue
        marker = "?" if shape == "duckdb" else "%s"
        insert = (
            f"INSERT INTO {dialect.qualified(schema, table)} ({', '.join(dialect.quote(n) for n in names)}) "
            f"VALUES ({', '.join(marker for _ in names)})"
        )
        conn: Any = getattr(dialect, "conn")  # noqa: B009 - both dialects keep their driver connection here
        if shape == "duckdb":
            conn.executemany(insert, rows)
        else:
            with conn.cursor() as cur:
                cur.executemany(insert, rows)


def _load_bigquery(
    dialect: Dialect, schema: str, table: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]
) -> None:
    """A Parquet load job into the table created with Segment's DDL (as Segment's loader loads)."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    from google.cloud import bigquery

    client: Any = getattr(dialect, "client")  # noqa: B009
    arrow = {
        "STRING": pa.string(),
        "TIMESTAMP": pa.timestamp("us", tz="UTC"),
        "FLOAT64": pa.float64(),
        "INT64": pa.int64(),
    }
    field_types = {"STRING": "STRING", "TIMESTAMP": "TIMESTAMP", "FLOAT64": "FLOAT", "INT64": "INTEGER"}
    data = pa.table(
        {n: pa.array([row[i] for row in rows], type=arrow[t]) for i, (n, t) in enumerate(columns)}
    )
    sink = io.BytesIO()
    pq.write_table(data, sink)
    sink.seek(0)
    config = bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.PARQUET,
        schema=[bigquery.SchemaField(n, field_types[t]) for n, t in columns],
        write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
    )
    client.load_table_from_file(sink, f"{client.project}.{schema}.{table}", job_config=config).result()


def duckdb_integration(settings: Settings, path: Path) -> str:
    """A DuckDB integration (source "Shop") whose warehouse at ``path`` holds both sides: Segment's
    ``segment_shop`` schema (with the dropped hour) and ours; returns its id."""
    _, integration_id = make_integration(settings, "duckdb", {"path": str(path)}, source_name="Shop")
    setup = table_setup(settings, integration_id)
    with setup.dialect as dialect:
        load_segment(dialect, "segment_shop", "duckdb", drop=True)
        dialect.ensure_schema(setup.schema)
        load_ours(dialect, setup.schema, calls())
    return integration_id
