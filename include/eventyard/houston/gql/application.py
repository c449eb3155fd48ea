"""The ``Application`` type: a clickstream source; its id is the write key."""

from __future__ import annotations

from datetime import datetime

import strawberry

from eventyard.db import models


@strawberry.type(description="A clickstream source. Its 21-character `id` is also the SDK write key.")
class Application:
    id: strawberry.ID
    name: str
    platform: str
    enabled: bool
    org_id: strawberry.ID
    write_key: str
    created_at: datetime

    @classmethod
    def from_model(cls, row: models.Source) -> Application:
        """The GraphQL view of a source row."""
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            platform=row.platform,
            enabled=row.enabled,
            org_id=strawberry.ID(row.org_id),
            write_key=row.id,
            created_at=row.created_at,
        )
