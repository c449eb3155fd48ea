"""The per-process state every collector route shares (built once, in the app's lifespan)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine

from eventyard.collector.debugger import DebuggerRing
from eventyard.collector.device_plugins import DevicePluginCache
from eventyard.collector.writekeys import WriteKeyCache
from eventyard.settings import Settings


class SpoolLike(Protocol):
    """What the API needs of the spool (``eventyard.collector.spool.Spool`` implements it)."""

    async def append(self, records: Sequence[bytes]) -> None:
        """Write and fsync ``records``; raise ``SpoolUnavailable`` when that is impossible."""
        ...

    def healthy(self) -> bool:
        """Whether the spool can currently write."""
        ...

    def stats(self) -> dict[str, float]:
        """Gauges: spool_bytes, segments, oldest_segment_age_s, upload_failures."""
        ...

    async def start_flusher(self) -> None:
        """Start sealing and landing segments in the background."""
        ...

    async def close(self) -> None:
        """Stop the flusher and release the spool slot."""
        ...


@dataclass
class CollectorRuntime:
    """Settings, control DB, write-key cache, debugger ring and (once opened) the spool."""

    settings: Settings
    engine: Engine
    keys: WriteKeyCache
    debugger: DebuggerRing
    device_plugins: DevicePluginCache
    spool: SpoolLike | None = None
