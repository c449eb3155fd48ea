"""The live debugger's memory: the most recent events of each source, accepted and rejected.

Each worker keeps a ring per source in memory (appending costs one deque push on the hot
path). So that a page polling any worker sees every worker's events, each worker also
publishes the rings that changed, at most every ``PUBLISH_INTERVAL`` seconds, as a small
JSON file under ``<spool dir>/debugger/<source>/<pid>.json``; readers merge their own ring
with their siblings' files. Nothing here is durable: the spool is.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections import deque
from pathlib import Path
from typing import Any

import orjson

PUBLISH_INTERVAL = 0.25
IDLE_PUBLISH_INTERVAL = 1.0  # nothing changed lately: look less often (idle CPU)
SNAPSHOT_MAX_AGE_S = 24 * 3600  # ignore snapshots of workers long gone
_SOURCE_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def valid_source_id(source_id: str) -> bool:
    """Whether the string can be a source id (and so is safe as a directory name)."""
    return bool(_SOURCE_ID.match(source_id))


class DebuggerRing:
    """Per-source rings of spool records (bytes), shared with sibling workers through files."""

    def __init__(self, size: int, share_dir: Path | None = None) -> None:
        self.size = size
        self.share_dir = share_dir
        self._rings: dict[str, deque[bytes]] = {}
        self._dirty: set[str] = set()
        self._pid = os.getpid()

    def add(self, source_id: str, record: bytes) -> None:
        """Remember one spool record of ``source_id``."""
        ring = self._rings.get(source_id)
        if ring is None:
            ring = self._rings[source_id] = deque(maxlen=self.size)
        ring.append(record)
        self._dirty.add(source_id)

    def add_many(self, source_ids: list[str], records: list[bytes]) -> None:
        """Remember a request's records (``source_ids[i]`` is the source of ``records[i]``)."""
        if not records:
            return
        first = source_ids[0]
        if source_ids.count(first) == len(source_ids):  # the usual case: one source per request
            ring = self._rings.get(first)
            if ring is None:
                ring = self._rings[first] = deque(maxlen=self.size)
            ring.extend(records)
            self._dirty.add(first)
            return
        for source_id, record in zip(source_ids, records, strict=True):
            self.add(source_id, record)

    def recent(self, source_id: str) -> list[dict[str, Any]]:
        """The newest ``size`` events of the source across workers, newest first."""
        own = list(self._rings.get(source_id, ()))
        events = [orjson.loads(record) for record in own]
        events.extend(self._siblings(source_id))
        events.sort(key=lambda event: event.get("receivedAt") or "", reverse=True)
        return events[: self.size]

    def _siblings(self, source_id: str) -> list[dict[str, Any]]:
        if self.share_dir is None or not valid_source_id(source_id):
            return []
        folder = self.share_dir / source_id
        events: list[dict[str, Any]] = []
        if not folder.is_dir():
            return events
        now = time.time()
        for path in folder.glob("*.json"):
            if path.stem == str(self._pid):
                continue
            try:
                if now - path.stat().st_mtime > SNAPSHOT_MAX_AGE_S:
                    continue
                events.extend(orjson.loads(path.read_bytes()))
            except (OSError, orjson.JSONDecodeError):
                continue  # a sibling is replacing its file right now, or it vanished
        return events

    def publish(self) -> None:
        """Write the rings that changed since the last call (atomic replace, no fsync)."""
        if self.share_dir is None or not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        for source_id in dirty:
            if not valid_source_id(source_id):
                continue
            folder = self.share_dir / source_id
            try:
                folder.mkdir(parents=True, exist_ok=True)
                tmp = folder / f".{self._pid}.tmp"
                tmp.write_bytes(b"[" + b",".join(self._rings[source_id]) + b"]")
                os.replace(tmp, folder / f"{self._pid}.json")
            except OSError:
                continue  # the debugger is best effort; the spool's health is reported elsewhere

    async def run_publisher(self) -> None:
        """Publish changed rings periodically until cancelled."""
        while True:
            await asyncio.sleep(PUBLISH_INTERVAL if self._dirty else IDLE_PUBLISH_INTERVAL)
            self.publish()

    def forget_own_snapshots(self) -> None:
        """Remove this worker's snapshot files (on shutdown)."""
        if self.share_dir is None:
            return
        for source_id in self._rings:
            with contextlib.suppress(OSError):
                (self.share_dir / source_id / f"{self._pid}.json").unlink()
