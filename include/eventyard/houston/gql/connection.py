"""The ``Connection`` type: details are null for Users and redacted unless an Owner asks."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from eventyard.houston.gql.rows import from_row
from eventyard.houston.services.connections import ConnectionView


@strawberry.type(
    description="Destination credentials; `details` is null for Users, secrets show as ********."
)
class Connection:
    id: strawberry.ID
    name: str
    integration_code: str
    connection_prototype_id: str
    details: JSON | None
    field_names: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_view(cls, view: ConnectionView) -> Connection:
        """The GraphQL view of a service-layer connection."""
        return from_row(cls, view)
