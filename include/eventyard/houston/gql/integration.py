"""The ``Integration`` type: a source routed to a destination through a connection."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from eventyard.db import models


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
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            app_id=strawberry.ID(row.app_id),
            connection_id=strawberry.ID(row.connection_id),
            integration_code=row.integration_code,
            config_payload=row.config,
            enabled=row.enabled,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
