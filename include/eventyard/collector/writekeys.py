"""Write-key lookup against the control DB's ``sources`` table, behind a short TTL cache.

A source created through Houston works as soon as its key's (negative) cache entry expires,
and a deleted or disabled one stops within the same TTL. Lookups of uncached keys run in a
worker thread so the event loop never waits on the database. When the control DB is
unreachable, known keys keep working from their stale entries (collection must not stop
because the control plane is down); unknown ones get 503 so SDKs retry.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, select

from eventyard.db.models import Source
from eventyard.errors import RetriableError

KeyStatus = Literal["ok", "unknown", "disabled", "deleted"]
_MAX_KEY_CHARS = 64  # longer strings cannot be source ids; answer without asking the DB
_MAX_ENTRIES = 100_000  # bound memory against floods of random keys


@dataclass(frozen=True, slots=True)
class SourceKey:
    """The outcome of resolving a write key."""

    key: str
    status: KeyStatus
    org_id: str | None = None

    @property
    def ok(self) -> bool:
        """Whether events for this key are accepted."""
        return self.status == "ok"


class ControlDbUnavailable(RetriableError):
    """The control DB could not be asked and nothing (not even stale) is cached for the key."""


class WriteKeyCache:
    """Resolves write keys to sources, caching answers (positive and negative) for ``ttl`` seconds."""

    def __init__(self, engine: Engine, ttl: float) -> None:
        self._engine = engine
        self._ttl = ttl
        self._entries: dict[str, tuple[float, SourceKey]] = {}
        self._inflight: dict[str, asyncio.Task[SourceKey]] = {}

    def cached(self, key: str) -> SourceKey | None:
        """A fresh cached answer, without touching the DB (the hot path's first try)."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    async def resolve(self, key: str) -> SourceKey:
        """The source behind ``key``; raises ``ControlDbUnavailable`` if it cannot be known."""
        hit = self.cached(key)
        if hit is not None:
            return hit
        if not key or len(key) > _MAX_KEY_CHARS:
            return SourceKey(key, "unknown")
        task = self._inflight.get(key)
        if task is None:
            # One lookup per key at a time, owned by no request: a caller that disconnects
            # must not leave the others waiting on a lookup that was cancelled with it.
            task = asyncio.get_running_loop().create_task(self._fetch(key))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._settled(key, done))
        return await asyncio.shield(task)

    def _settled(self, key: str, task: asyncio.Task[SourceKey]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here, re-raised to every awaiting caller by shield

    async def _fetch(self, key: str) -> SourceKey:
        try:
            result = await asyncio.to_thread(self._lookup, key)
        except Exception as exc:
            stale = self._entries.get(key)
            if stale is not None:
                return stale[1]
            raise ControlDbUnavailable(f"control DB unreachable: {exc}") from exc
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self._ttl, result)
        return result

    def _lookup(self, key: str) -> SourceKey:
        table = Source.__table__
        query = select(table.c.org_id, table.c.enabled, table.c.deleted_at).where(table.c.id == key)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return SourceKey(key, "unknown")
        if row.deleted_at is not None:
            return SourceKey(key, "deleted", row.org_id)
        if not row.enabled:
            return SourceKey(key, "disabled", row.org_id)
        return SourceKey(key, "ok", row.org_id)
