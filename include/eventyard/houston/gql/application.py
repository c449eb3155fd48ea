"""The ``Application`` type: a clickstream source; its id is the write key."""

from __future__ import annotations

from datetime import datetime

import strawberry

from eventyard.db import models
from eventyard.houston.gql.rows import from_row


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
        return from_row(cls, row, write_key=row.id)
