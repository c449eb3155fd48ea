"""The GraphQL ``Role`` enum: the database enum itself, registered once.

Every module that annotates with ``Role`` imports it from here, so the registration runs
before any annotation is resolved (otherwise Strawberry would register it a second time).
"""

from __future__ import annotations

import strawberry

from eventyard.db.models import Role

strawberry.enum(Role, name="Role", description="OWNER: everything in the org. USER: pipelines only.")

__all__ = ["Role"]
