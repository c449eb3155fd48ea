"""Driving a vendor integration through the real delivery engine (no control DB needed)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventyard.destinations.base import Integration, InvalidMessage, SdkIntegration, SkipMessage
from eventyard.destinations.engine import DeliveryEngine, EngineStats, Item, ItemResult, RetryPolicy
from eventyard.destinations.http import make_client

FAST = RetryPolicy(base_delay=0.01, max_delay=0.05, inline_budget_seconds=5.0, inline_max_delay=1.0)


@dataclass
class Run:
    """Per message id: the engine's result, or why the message was skipped or invalid."""

    results: dict[str, ItemResult] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)
    stats: EngineStats = field(default_factory=EngineStats)

    def statuses(self) -> dict[str, str]:
        """Message id → delivered | retry | dead | skipped | invalid."""
        out = {k: r.status for k, r in self.results.items()}
        out.update(dict.fromkeys(self.skipped, "skipped"))
        out.update(dict.fromkeys(self.invalid, "invalid"))
        return out


def run_engine(
    vendor: Integration,
    messages: Sequence[Mapping[str, Any]],
    policy: RetryPolicy = FAST,
    concurrency: int = 4,
) -> Run:
    """Transform ``messages`` with ``vendor`` and deliver them with the engine."""
    run = Run()
    items: list[Item] = []
    ids: list[str] = []
    for message in messages:
        message_id = str(message.get("messageId"))
        if message.get("type") not in vendor.call_types:
            run.skipped[message_id] = "call type"
            continue
        try:
            records = vendor.transform(message)
        except SkipMessage as exc:
            run.skipped[message_id] = str(exc)
            continue
        except InvalidMessage as exc:
            run.invalid[message_id] = str(exc)
            continue
        items.append(Item(len(ids), records))
        ids.append(message_id)

    async def go() -> dict[int, ItemResult]:
        client = None if isinstance(vendor, SdkIntegration) else make_client(concurrency)
        engine = DeliveryEngine(vendor, client, concurrency=concurrency, policy=policy)
        try:
            return await engine.deliver(items)
        finally:
            run.stats = engine.stats
            if client is not None:
                await client.aclose()
            if isinstance(vendor, SdkIntegration):
                await vendor.aclose()

    for key, result in asyncio.run(go()).items():
        run.results[ids[key]] = result
    return run
