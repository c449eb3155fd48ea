"""What a quality round found: one ``CheckResult`` per check and table, summed in a ``QualityReport``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CheckResult:
    """One check on one table: what was observed, against what threshold, and whether it passed.

    ``table`` is ``"*"`` for checks over the whole schema (freshness); ``detail`` says what the
    observed value counts (and, for the column-type snapshot, holds the types as JSON).
    """

    check: str
    table: str
    observed: float
    threshold: float
    passed: bool
    detail: str = ""
    # The column-type check keeps the table's types here (JSON): the next round compares to it.
    snapshot: str = ""

    def line(self) -> str:
        """One line for a log or a terminal."""
        mark = "ok  " if self.passed else "FAIL"
        observed = f"{self.observed:g}"
        figures = f"observed {observed:>10}  threshold {self.threshold:g}"
        return f"{mark} {self.check:<18} {self.table:<28} {figures}  {self.detail}"


@dataclass
class QualityReport:
    """One round over one integration: its results, or the error that stopped it."""

    integration_id: str
    code: str
    schema: str
    run_id: str
    run_at: datetime
    results: list[CheckResult] = field(default_factory=list)
    error: str | None = None
    # The integration's config (its alert targets and thresholds), not part of the JSON form.
    config: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def failures(self) -> list[CheckResult]:
        """The checks that failed."""
        return [r for r in self.results if not r.passed]

    @property
    def passed(self) -> bool:
        """No check failed and nothing stopped the round."""
        return self.error is None and not self.failures

    def label(self) -> str:
        """The task's label in the grid: the integration and the round's outcome in a few words."""
        if self.error:
            return f"{self.schema or self.integration_id}: error"
        failed = self.failures
        head = f"{self.schema}: {len(self.results) - len(failed)}/{len(self.results)} ok"
        if not failed:
            return head
        names = sorted({f"{r.check} {r.table}" for r in failed})
        more = f" +{len(names) - 2}" if len(names) > 2 else ""
        return f"{head}, failed {', '.join(names[:2])}{more}"

    def summary(self) -> str:
        """One sentence: how many checks ran and which failed (alerts, the demo)."""
        if self.error:
            return f"quality round of {self.integration_id} stopped: {self.error}"
        failed = self.failures
        text = f"{len(self.results)} checks on schema {self.schema}: {len(self.results) - len(failed)} passed"
        if failed:
            text += ", failed: " + "; ".join(
                f"{r.check} on {r.table} (observed {r.observed:g})" for r in failed
            )
        return text

    def lines(self) -> list[str]:
        """The results, failures first (the task log, the CLI)."""
        ordered = sorted(self.results, key=lambda r: (r.passed, r.check, r.table))
        return [r.line() for r in ordered if r.check != "column_types" or not r.passed]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (CLI ``--json``, the task's XCom)."""
        return {
            "integration_id": self.integration_id,
            "code": self.code,
            "schema": self.schema,
            "run_id": self.run_id,
            "run_at": self.run_at.isoformat(),
            "passed": self.passed,
            "error": self.error,
            "failed": len(self.failures),
            "results": [{k: v for k, v in asdict(r).items() if k != "snapshot"} for r in self.results],
        }
