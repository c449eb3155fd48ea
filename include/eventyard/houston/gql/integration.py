"""The ``Integration`` type: a source routed to a destination through a connection."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from eventyard.db import models
from eventyard.houston.gql.rows import from_row


@strawberry.type(description="A source + a connection + a config payload.")
class Integration:
    id: strawberry.ID
    name: str
    app_id: strawberry.ID
    connection_id: strawberry.ID
    integration_code: str
    config_payload: JSON
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, row: models.Integration) -> Integration:
        """The GraphQL view of an integration row."""
        return from_row(cls, row, config_payload=row.config)
