"""flush_all and slots of other processes: the owner flushes on request; a dead owner's slot is taken over."""

from __future__ import annotations

import asyncio
import os

from eventyard.collector import slots
from eventyard.collector.flusher import flush_all
from eventyard.collector.spool import Spool
from eventyard.settings import Settings

from .helpers import landed_ids, record


async def test_a_live_owner_seals_and_flushes_on_request(spool_settings: Settings) -> None:
    owner = Spool.open(spool_settings)
    await owner.start_flusher()
    await owner.append([record(message_id=f"m-{i}") for i in range(5)])
    # Not passed as owned: to flush_all the slot belongs to another process; it must ask.
    counts = await asyncio.to_thread(flush_all, spool_settings, owner_timeout=60)
    assert (counts["rows"], counts["unanswered_slots"]) == (5, 0)
    assert sorted(landed_ids(spool_settings)) == [f"m-{i}" for i in range(5)]
    assert not list(owner.slot_dir.glob("*.flush-*"))
    await owner.close()


async def test_a_slot_whose_owner_dies_while_asked_is_flushed_by_the_asker(spool_settings: Settings) -> None:
    spool = Spool.open(spool_settings)
    await spool.append([record(message_id="left-behind")])
    await spool.close()
    # Another "process" holds the lock but runs no flusher, then dies (its lock is released).
    held = slots.try_lock_slot(spool.slot_dir)
    assert held is not None
    asking = asyncio.create_task(asyncio.to_thread(flush_all, spool_settings, owner_timeout=30))
    for _ in range(100):  # bounded: wait until the request file is there
        if list(spool.slot_dir.glob("*.flush-request")):
            break
        await asyncio.sleep(0.02)
    os.close(held)
    counts = await asking
    assert (counts["rows"], counts["unanswered_slots"]) == (1, 0)
    assert landed_ids(spool_settings) == ["left-behind"]
