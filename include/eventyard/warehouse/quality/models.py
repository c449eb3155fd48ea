"""Control-DB table of the quality checks: each integration's latest round (what Houston serves).

The full history is in the warehouse's ``quality_results`` table, for charts; this row is the
latest round only, so Houston can answer without connecting to a customer's warehouse.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventyard.db.models import Base, UtcDateTime


class QualityRun(Base):
    """The latest quality round of one integration."""

    __tablename__ = "quality_runs"

    integration_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(32), index=True)
    run_id: Mapped[str] = mapped_column(String(64))
    run_at: Mapped[datetime] = mapped_column(UtcDateTime())
    schema_name: Mapped[str] = mapped_column(String(255))
    passed: Mapped[bool] = mapped_column(Boolean)
    failed: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
