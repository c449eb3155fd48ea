"""Segment's side of a warehouse, built from the shapes of Segment's own DDL (segment-spec.md §3),
not from our loader: Redshift ``VARCHAR(512)`` ids and text, ``TIMESTAMP`` without zone and
``uuid BIGINT``; Postgres ``varchar(1024)`` ids, ``text`` and ``timestamp with time zone``;
BigQuery ``STRING`` / ``TIMESTAMP`` with ``loaded_at``. Columns in Segment's order: ``id``,
``received_at``, ``uuid_ts`` first, later columns appended.

The data is the story of a switch. Eventyard's first event arrives at 2024-01-01T00:00Z (the
cutover). Segment holds a month of history before it and, from the A/A period, rows after it;
``shared-1`` is an id both sides have. ``order_completed`` conflicts with ours: ``revenue`` was a
string there (a number here), ``quantity`` a float (an integer here), ``coupon`` a number (a
string here), ``gift`` 0/1 (a boolean here), ``legacy_sku`` exists only there, ``promo_code``
only here. ``legacy_event`` is a table only Segment has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Logical column kinds of the fixture -> each warehouse's Segment DDL type.
SHAPES: dict[str, dict[str, str]] = {
    "postgres": {"id": "varchar(1024) NOT NULL", "ts": "timestamp with time zone", "text": "text",
                 "int": "bigint", "float": "double precision", "bool": "boolean"},
    "redshift": {"id": "VARCHAR(512) NOT NULL", "ts": "TIMESTAMP WITHOUT TIME ZONE", "text": "VARCHAR(512)",
                 "int": "BIGINT", "float": "DOUBLE PRECISION", "bool": "BOOLEAN"},
    "duckdb": {"id": "VARCHAR NOT NULL", "ts": "TIMESTAMPTZ", "text": "VARCHAR", "int": "BIGINT",
               "float": "DOUBLE", "bool": "BOOLEAN"},
    "bigquery": {"id": "STRING", "ts": "TIMESTAMP", "text": "STRING", "int": "INT64", "float": "FLOAT64",
                 "bool": "BOOL"},
}  # fmt: skip

ENVELOPE = [("id", "id"), ("received_at", "ts"), ("uuid_ts", "ts")]
EVENT_COLUMNS = [
    ("anonymous_id", "text"), ("context_library_name", "text"), ("event", "text"), ("event_text", "text"),
    ("original_timestamp", "ts"), ("sent_at", "ts"), ("timestamp", "ts"), ("user_id", "text"),
]  # fmt: skip

TABLES: dict[str, list[tuple[str, str]]] = {
    "tracks": [*ENVELOPE, *EVENT_COLUMNS, ("context_page_path", "text")],
    "order_completed": [
        *ENVELOPE, *EVENT_COLUMNS,
        ("revenue", "text"), ("quantity", "float"), ("coupon", "int"), ("gift", "int"),
        ("legacy_sku", "text"),
    ],
    "legacy_event": [*ENVELOPE, *EVENT_COLUMNS, ("level", "int")],
    "identifies": [*ENVELOPE, ("anonymous_id", "text"), ("user_id", "text"), ("email", "text"),
                   ("timestamp", "ts")],
    "users": [*ENVELOPE, ("email", "text"), ("plan", "text"), ("name", "text")],
    "pages": [*ENVELOPE, ("anonymous_id", "text"), ("name", "text"), ("path", "text"), ("title", "text"),
              ("timestamp", "ts")],
}  # fmt: skip

CUTOVER = "2024-01-01T00:00:00+00:00"


def _t(day: int, hour: int = 10) -> str:
    return f"2023-12-{day:02d} {hour:02d}:00:00+00" if day <= 31 else f"2024-01-01 {hour:02d}:30:00+00"


def _track(id_: str, day: int, event: str, user: str | None, **extra: Any) -> dict[str, Any]:
    ts = _t(day)
    return {"id": id_, "received_at": ts, "uuid_ts": ts, "anonymous_id": f"anon-{id_}",
            "context_library_name": "analytics.js", "event": event,
            "event_text": event.replace("_", " ").title(),
            "original_timestamp": ts, "sent_at": ts, "timestamp": ts, "user_id": user, **extra}  # fmt: skip


ORDERS = [
    _track(
        "s1", 1, "order_completed", "u1", revenue="12.50", quantity=2.0, coupon=10, gift=1, legacy_sku="A-1"
    ),
    _track(
        "s2", 2, "order_completed", "u2", revenue="n/a", quantity=1.5, coupon=None, gift=0, legacy_sku="B-2"
    ),
    _track(
        "s3", 3, "order_completed", None, revenue=None, quantity=None, coupon=7, gift=None, legacy_sku=None
    ),
    _track("shared-1", 4, "order_completed", "u1", revenue="9.99", quantity=1.0, coupon=None, gift=None),
    # A/A period: Eventyard saw the same purchase under another message id.
    _track("s6", 32, "order_completed", "u1", revenue="5", quantity=1.0, coupon=None, gift=1),
]
LEGACY = [_track("s4", 5, "legacy_event", "u2", level=3)]


def rows() -> dict[str, list[dict[str, Any]]]:
    """Every Segment table's rows."""
    tracks = [{k: v for k, v in r.items() if k in dict(TABLES["tracks"])} for r in ORDERS + LEGACY]
    tracks[0]["context_page_path"] = "/checkout"
    return {
        "tracks": tracks,
        "order_completed": ORDERS,
        "legacy_event": LEGACY,
        "identifies": [
            {"id": "i1", "received_at": _t(10), "uuid_ts": _t(10), "user_id": "u1",
             "email": "old@example.com",
             "timestamp": _t(10)},
            {"id": "i2", "received_at": _t(32), "uuid_ts": _t(32), "user_id": "u2", "email": "u2@example.com",
             "timestamp": _t(32)},
        ],
        "users": [
            {"id": "u1", "received_at": _t(10), "uuid_ts": _t(10), "email": "old@example.com", "plan": "pro",
             "name": None},
            {"id": "u2", "received_at": _t(12), "uuid_ts": _t(12), "email": "u2@example.com", "plan": "free",
             "name": "Bo"},
        ],
        "pages": [
            {"id": "p1", "received_at": _t(6), "uuid_ts": _t(6), "name": "Home", "path": "/",
             "title": "A title longer than our narrow column " + "x" * 300, "timestamp": _t(6)},
        ],
    }  # fmt: skip


@dataclass
class SegmentSide:
    """How to write Segment's tables into one warehouse."""

    shape: str
    quote: Any  # identifier -> quoted
    qualified: Any  # (schema, table) -> qualified name

    def create_schema(self, schema: str) -> str:
        return f"CREATE SCHEMA {self.quote(schema)}"

    def statements(self, schema: str) -> list[str]:
        """CREATE TABLE and INSERT statements for every table (literal values)."""
        types = SHAPES[self.shape]
        out = []
        data = rows()
        for table, columns in TABLES.items():
            cols = list(columns)
            if self.shape == "redshift" and table != "users":
                cols.insert(3, ("uuid", "int"))  # Segment's Redshift dedupe helper
            if self.shape == "bigquery":
                cols.append(("loaded_at", "ts"))
            ddl = ",\n  ".join(f"{self.quote(c)} {types[k]}" for c, k in cols)
            pk = ',\n  PRIMARY KEY ("id")' if self.shape == "postgres" else ""
            out.append(f"CREATE TABLE {self.qualified(schema, table)} (\n  {ddl}{pk}\n)")
            for n, row in enumerate(data[table]):
                values = {**row, "uuid": 1000 + n, "loaded_at": row["received_at"]}
                literals = ", ".join(_literal(values.get(c), k) for c, k in cols)
                names = ", ".join(self.quote(c) for c, _ in cols)
                out.append(f"INSERT INTO {self.qualified(schema, table)} ({names}) VALUES ({literals})")
        return out


def _literal(value: Any, kind: str) -> str:
    if value is None:
        return "NULL"
    if kind == "ts":
        return f"TIMESTAMP '{value}'"
    if kind in ("int", "float"):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"
