"""The ``ApiKey`` type: metadata only; the plaintext is returned once, by ``createApiKey``."""

from __future__ import annotations

from datetime import datetime

import strawberry

from eventyard.db import models
from eventyard.houston.gql.role import Role
from eventyard.houston.gql.rows import from_row


@strawberry.type(description="A long-lived key for trusted partners, acting with `role` in its organization.")
class ApiKey:
    id: strawberry.ID
    name: str
    prefix: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_model(cls, row: models.ApiKey) -> ApiKey:
        """The GraphQL view of an API key row."""
        return from_row(cls, row)
