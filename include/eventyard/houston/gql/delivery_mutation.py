"""Delivery mutations: replay dead letters after the cause is fixed; any member."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from eventyard.houston.codes import HoustonError
from eventyard.houston.gql.delivery import ReplayPayload
from eventyard.houston.gql.permissions import Guard, IsMember
from eventyard.houston.gql.resolve import call
from eventyard.houston.services import delivery


@strawberry.type
class DeliveryMutation:
    @strawberry.mutation(
        extensions=[Guard(IsMember())],
        description="Re-queue an integration's open dead letters (all, these `messageIds`, or those "
        "dead-lettered at or after `since`); `count` says how many. The next delivery cycle sends them.",
    )
    async def replay_dead_letters(
        self,
        info: Info,
        integration_id: strawberry.ID,
        message_ids: list[str] | None = None,
        since: datetime | None = None,
    ) -> ReplayPayload:
        try:
            outcome = await call(info, delivery.replay, str(integration_id), message_ids, since)
        except HoustonError as exc:
            return ReplayPayload.from_error(exc)
        if outcome.count == 0:
            message = "no open dead letters matched; nothing re-queued"
        else:
            message = f"{outcome.count} dead letter{'s' if outcome.count != 1 else ''} re-queued"
            if not outcome.enabled:
                message += "; the integration is disabled: they are sent once it is enabled"
        return ReplayPayload.ok(message, outcome.integration_id, count=outcome.count)
