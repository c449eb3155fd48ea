"""The ``User`` type and the ``profile`` input."""

from __future__ import annotations

from datetime import datetime

import strawberry

from eventyard.db import models
from eventyard.houston.gql.rows import from_row
from eventyard.houston.services.accounts import Profile


@strawberry.type(description="A person's account.")
class User:
    id: strawberry.ID
    email: str
    first_name: str | None
    last_name: str | None
    company: str | None
    confirmed: bool
    created_at: datetime

    @classmethod
    def from_model(cls, row: models.User) -> User:
        """The GraphQL view of a user row."""
        return from_row(cls, row, confirmed=row.confirmed_at is not None)


@strawberry.input(description="Optional profile fields.")
class ProfileInput:
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None

    def to_profile(self) -> Profile:
        """The service-layer value."""
        return Profile(first_name=self.first_name, last_name=self.last_name, company=self.company)
