"""Quality types: an integration's latest round of data-quality checks and its results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from eventyard.warehouse.quality.models import QualityRun


@strawberry.type(description="One check on one table in a quality round.")
class QualityCheck:
    check: str = strawberry.field(
        description="completeness, id_unique, timestamp_skew, volume, gx_suite, ..."
    )
    table: str = strawberry.field(description="The warehouse table (`*` for the whole schema).")
    observed: float
    threshold: float
    passed: bool
    detail: str

    @classmethod
    def from_result(cls, row: dict[str, Any]) -> QualityCheck:
        """The GraphQL view of one stored result."""
        return cls(
            check=str(row["check"]),
            table=str(row["table"]),
            observed=float(row["observed"]),
            threshold=float(row["threshold"]),
            passed=bool(row["passed"]),
            detail=str(row.get("detail") or ""),
        )


@strawberry.type(description="An integration's latest round of quality checks (docs/quality.md).")
class QualityRound:
    integration_id: strawberry.ID
    run_id: str
    run_at: datetime
    schema_name: str = strawberry.field(description="The source's schema in the warehouse.")
    passed: bool
    failed: int = strawberry.field(description="How many checks failed.")
    error: str | None = strawberry.field(description="What stopped the round, if anything.")
    results: list[QualityCheck]

    @classmethod
    def from_model(cls, row: QualityRun) -> QualityRound:
        """The GraphQL view of a stored round."""
        return cls(
            integration_id=strawberry.ID(row.integration_id),
            run_id=row.run_id,
            run_at=row.run_at,
            schema_name=row.schema_name,
            passed=row.passed,
            failed=row.failed,
            error=row.error,
            results=[QualityCheck.from_result(r) for r in row.results or ()],
        )
