"""``eventyard bench deliver``: destination delivery throughput to a local batching webhook
receiver over loopback, against a ceiling measured in the same run (the same request bodies
POSTed by a bare httpx loop with the same concurrency).

Everything runs on 127.0.0.1 with a throw-away state dir: a SQLite control DB, a local landing
directory, and a receiver in its own process (uvicorn) that counts the events it receives.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

RECEIVER_PATH = "/hook"


def register_bench(bench_app: typer.Typer) -> None:
    """Add ``eventyard bench deliver``."""

    @bench_app.command("deliver")
    def bench_deliver(
        events: int = typer.Option(100_000, min=1, max=1_000_000, help="Events to deliver."),
        batch_size: int = typer.Option(1000, min=1, max=1000, help="Events per webhook request."),
        landed_batch: int = typer.Option(20_000, min=1, help="Events per landed Parquet batch."),
        concurrency: int = typer.Option(8, min=1, max=64, help="Requests in flight."),
    ) -> None:
        """Deliver EVENTS landed events to a local batching webhook receiver; print events/s."""
        result = run_bench(events, batch_size, landed_batch, concurrency)
        typer.echo(
            f"delivered {result['delivered']:,} events in {result['seconds']:.2f} s "
            f"({result['requests']} requests of ≤{batch_size}, concurrency {concurrency}): "
            f"{result['events_per_second']:,.0f} events/s"
        )
        typer.echo(
            f"ceiling (bare httpx, same bodies): {result['ceiling_events_per_second']:,.0f} events/s; "
            f"ratio {result['ratio']:.2f}"
        )
        if result["received"] != events * 2:
            typer.echo(f"receiver counted {result['received']:,} events, expected {events * 2:,}")
            raise typer.Exit(1)


def run_bench(events: int, batch_size: int, landed_batch: int, concurrency: int) -> dict[str, Any]:
    """Run the benchmark and return its figures."""
    from eventyard.db.engine import get_engine
    from eventyard.db.migrate import upgrade
    from eventyard.destinations.cycle import deliver_once
    from eventyard.destinations.engine import RetryPolicy
    from eventyard.settings import Settings

    with tempfile.TemporaryDirectory(prefix="eventyard-bench-") as tmp:
        key = "bench-" + uuid.uuid4().hex
        settings = Settings(home=Path(tmp), secret_key=key, delivery_concurrency=concurrency)
        upgrade(get_engine(settings))
        port = _free_port()
        spawn = multiprocessing.get_context("spawn")
        receiver = spawn.Process(target=_serve_receiver, args=(port,), daemon=True)
        receiver.start()
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_ready(url)
            _set_up(settings, f"{url}{RECEIVER_PATH}", events, batch_size, landed_batch)
            started = time.perf_counter()
            report = deliver_once(settings, policy=RetryPolicy(inline_budget_seconds=5.0))
            seconds = time.perf_counter() - started
            bodies = _ceiling_bodies(events, batch_size)
            ceiling_seconds = asyncio.run(_post_all(f"{url}{RECEIVER_PATH}", bodies, concurrency))
            received = _count(url)
        finally:
            receiver.terminate()
            receiver.join(5)
        get_engine(settings).dispose()
    totals = report.totals()
    ceiling = events / ceiling_seconds
    rate = totals["delivered"] / seconds
    return {
        "delivered": totals["delivered"],
        "requests": totals["requests"],
        "seconds": seconds,
        "events_per_second": rate,
        "ceiling_events_per_second": ceiling,
        "ratio": rate / ceiling,
        "received": received,
    }


def _set_up(settings: Any, url: str, events: int, batch_size: int, landed_batch: int) -> None:
    import orjson
    import pyarrow as pa

    from eventyard.crypto import encrypt_details
    from eventyard.db.engine import get_engine, session_scope
    from eventyard.db.models import Batch, Connection, Integration, Organization, Source
    from eventyard.landing import ENVELOPE_SCHEMA, batch_key, open_store, write_parquet

    now = datetime.now(UTC).replace(microsecond=0)
    with session_scope(get_engine(settings)) as session:
        org = Organization(name="bench")
        session.add(org)
        session.flush()
        source = Source(org_id=org.id, name="bench", platform="analytics-python")
        connection = Connection(
            org_id=org.id,
            name="bench webhook",
            integration_code="webhooks",
            connection_prototype_id="webhooks-v1",
            details_encrypted=encrypt_details(settings, {"webhookUrl": url, "sharedSecret": "bench-secret"}),
        )
        session.add_all([source, connection])
        session.flush()
        session.add(
            Integration(
                org_id=org.id,
                app_id=source.id,
                connection_id=connection.id,
                integration_code="webhooks",
                name="bench",
                config={"enableBatching": True, "batchSize": batch_size},
            )
        )
        source_id = source.id
    store = open_store(settings.resolved_landing_url)
    for start in range(0, events, landed_batch):
        rows = []
        for i in range(start, min(events, start + landed_batch)):
            message = _message(i, now)
            rows.append(
                {
                    "message_id": message["messageId"],
                    "type": "track",
                    "source_id": source_id,
                    "received_at": now,
                    "timestamp": now,
                    "user_id": message["userId"],
                    "event": message["event"],
                    "message": orjson.dumps(message).decode(),
                }
            )
        data = write_parquet(pa.Table.from_pylist(rows, schema=ENVELOPE_SCHEMA))
        batch_id = uuid.uuid4().hex
        uri = store.put(batch_key(source_id, now.replace(minute=0, second=0), batch_id), data)
        with session_scope(get_engine(settings)) as session:
            batch = Batch(id=batch_id, source_id=source_id, uri=uri, row_count=len(rows), byte_size=len(data))
            session.add(batch)


def _message(i: int, now: datetime) -> dict[str, Any]:
    stamp = now.isoformat().replace("+00:00", "Z")
    return {
        "type": "track",
        "event": "Order Completed",
        "messageId": f"bench-{i:08d}",
        "userId": f"user-{i % 5000}",
        "anonymousId": f"anon-{i % 7000}",
        "timestamp": stamp,
        "receivedAt": stamp,
        "properties": {"order_id": f"o_{i}", "revenue": 42.5, "currency": "USD", "products": [{"sku": "s1"}]},
        "context": {"ip": "203.0.113.7", "library": {"name": "analytics-python", "version": "2.3.3"}},
        "integrations": {},
    }


def _ceiling_bodies(events: int, batch_size: int) -> list[bytes]:
    import orjson

    now = datetime.now(UTC).replace(microsecond=0)
    encoded = [orjson.dumps(_message(i, now)) for i in range(events)]
    return [b"[" + b",".join(encoded[i : i + batch_size]) + b"]" for i in range(0, events, batch_size)]


async def _post_all(url: str, bodies: list[bytes], concurrency: int) -> float:
    import httpx

    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(limits=limits, trust_env=False) as client:

        async def post(body: bytes) -> None:
            async with semaphore:
                response = await client.post(url, content=body, headers={"Content-Type": "application/json"})
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(body) for body in bodies))
        return time.perf_counter() - started


def _serve_receiver(port: int) -> None:
    """The receiver process: count the events of every JSON array POSTed to it."""
    import orjson
    import uvicorn

    received = 0

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal received
        if scope["type"] != "http":
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        if scope["method"] == "POST":
            body = orjson.loads(b"".join(chunks))
            received += len(body) if isinstance(body, list) else 1
            payload = b'{"ok":true}'
        else:
            payload = orjson.dumps({"received": received})
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/count", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the bench receiver did not start")


def _count(url: str) -> int:
    import httpx

    return int(httpx.get(f"{url}/count", timeout=5.0).json()["received"])
