"""Run in a subprocess by test_runtime_trigger.py: the manifest watcher as the triggerer runs it.

Airflow reads its configuration on first import, so this runs in a fresh interpreter with the
test's EVENTYARD_HOME (and so its own AIRFLOW_HOME). The asset state store is a dict here; in
Airflow it is the metadata DB, reached through the same ``aget``/``aset`` calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any

from eventyard.airflow_support import configure_process
from eventyard.settings import get_settings
from tests.warehouse.factories import land_batch, message


class DictStateStore:
    """The two calls the trigger makes on Airflow's asset state store."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.values[key] = value


class Watching:
    """Runs a trigger in the background (as the triggerer does) and collects its events."""

    def __init__(self, trigger: Any) -> None:
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task = asyncio.create_task(self._consume(trigger))

    async def _consume(self, trigger: Any) -> None:
        async for event in trigger.run():
            await self.events.put(dict(event.payload))

    async def next_event(self, timeout: float) -> dict[str, Any] | None:
        """The payload of the next event, or None if none comes within ``timeout``."""
        try:
            return await asyncio.wait_for(self.events.get(), timeout)
        except TimeoutError:
            return None

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def main(source_id: str) -> dict[str, Any]:
    from eventyard.runtime.landed_trigger import LandedBatchesTrigger

    settings = get_settings()
    state: dict[str, Any] = {}  # the asset state store, kept across the "restart"
    out: dict[str, Any] = {}

    async def watch(*steps: tuple[str, str | None]) -> LandedBatchesTrigger:
        """Start a trigger; per step, optionally land a batch, then note the next event (or None)."""
        trigger = LandedBatchesTrigger(poll_seconds=0.1)
        trigger.asset_state_store = DictStateStore(state)  # type: ignore[assignment]
        watching = Watching(trigger)
        for name, event in steps:
            if event is not None:
                land_batch(settings, source_id, [message("track", event=event)])
            out[name] = await watching.next_event(10.0 if event else 1.0)
        await watching.stop()
        return trigger

    await watch(("empty_manifest", None), ("first", "a"), ("nothing_new", None), ("second", "b"))
    # A restarted triggerer (same state store) does not fire again for batches already announced.
    restarted = await watch(("after_restart", None), ("after_restart_new", "c"))
    out["serialized"] = list(restarted.serialize())
    return out


if __name__ == "__main__":
    configure_process(get_settings())
    print("RESULT " + json.dumps(asyncio.run(main(sys.argv[1]))))
