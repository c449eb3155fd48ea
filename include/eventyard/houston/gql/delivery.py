"""Delivery types: per-integration metrics, dead letters, and the replay payload."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NewType

import strawberry

from eventyard.houston.gql.rows import from_row
from eventyard.houston.gql.status import StatusMessage
from eventyard.houston.services.delivery import DeadLetterView

# Counters since an integration was created pass GraphQL's 32-bit Int within days at the
# engine's target rate (10,000 events/s), so they get a scalar that is a JSON number of any size.
BigInt = NewType("BigInt", int)
SCALARS: dict[object, Any] = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="A whole number that may exceed 32 bits (a JSON number).",
        serialize=int,
        parse_value=int,
    )
}


@strawberry.type(description="How an integration's deliveries are going (counters since it was created).")
class DeliveryMetrics:
    integration_id: strawberry.ID
    integration_code: str
    name: str
    enabled: bool
    delivered: BigInt
    retried: BigInt = strawberry.field(description="Events that needed another attempt.")
    dead_lettered: BigInt
    skipped: BigInt = strawberry.field(description="Filtered out or a call type the vendor does not take.")
    replayed: BigInt = strawberry.field(description="Dead letters sent back to the queue by a replay.")
    vendor_errors: BigInt = strawberry.field(
        description="Of the dead letters, events whose vendor module raised (reason vendor_error): a bug "
        "to fix before replaying them."
    )
    pending: int = strawberry.field(description="Events waiting for a retry.")
    open_dead_letters: int = strawberry.field(description="Dead letters not replayed yet.")
    last_error: str | None = strawberry.field(description="The vendor's last error, secrets redacted.")
    last_error_at: datetime | None
    last_delivered_at: datetime | None
    lag_seconds: float = strawberry.field(
        description="Age of the oldest landed batch not fully delivered yet; 0 when caught up."
    )

    @classmethod
    def from_metrics(cls, row: dict[str, Any]) -> DeliveryMetrics:
        """The GraphQL view of one row of ``delivery_metrics``."""
        return from_row(cls, row, lag_seconds=float(row["lag_seconds"]))


@strawberry.type(description="An event the vendor would not take, kept for inspection and replay.")
class DeadLetter:
    id: strawberry.ID
    message_id: str
    batch_id: str | None = strawberry.field(description="The landed batch (null for a replayed event).")
    reason: str = strawberry.field(description="`rejected` by the vendor, `invalid` message, or `expired`.")
    error: str = strawberry.field(description="The vendor's error, secrets redacted.")
    attempts: int
    first_failed_at: datetime
    failed_at: datetime = strawberry.field(description="When it was dead-lettered.")
    replayed_at: datetime | None

    @classmethod
    def from_view(cls, view: DeadLetterView) -> DeadLetter:
        """The GraphQL view of a dead letter."""
        return from_row(cls, view, id=str(view.id))


@strawberry.type(description="A status message carrying how many dead letters a replay re-queued.")
class ReplayPayload(StatusMessage):
    count: int | None = None
