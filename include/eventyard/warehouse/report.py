"""What a warehouse load did for one integration: the typed report every caller shares.

One chunk of ``load_integration`` fills a ``LoadReport``; the Airflow task and ``eventyard
load --drain`` add chunks together with ``absorb``. ``to_dict`` is the JSON the CLI prints and
the Airflow task returns as its XCom; ``lines`` and ``label`` are the task log and grid label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from eventyard.warehouse.errors import error_text


@dataclass
class TableFigures:
    """Rows one table took, and values it discarded."""

    rows_loaded: int = 0
    rows_discarded: int = 0


@dataclass
class LoadReport:
    """One integration's load: batches, per-table figures, and what failed."""

    integration_id: str
    integration_code: str = ""
    source_id: str = ""
    # The schema (dataset) loaded, or for storage destinations the files' location.
    schema: str = ""
    batches: int = 0  # batches processed
    batches_completed: int = 0  # of those, fully loaded now
    remaining: int = 0  # pending batches left afterwards
    tables: dict[str, TableFigures] = field(default_factory=dict)
    # Table (or "batch <id>", or "*" for the whole integration) -> "ErrorType: message".
    errors: dict[str, str] = field(default_factory=dict)
    # The keys of ``errors`` that retrying cannot fix (eventyard.warehouse.errors).
    terminal: list[str] = field(default_factory=list)
    # "<batch id>/<table>" given up after repeated terminal errors (``--retry-parked`` reopens them).
    parked: list[str] = field(default_factory=list)
    # Groups of messages the fast mapper handed to the row mapper (each logged at WARNING).
    fallbacks: int = 0
    # Events in the batches processed (one track event makes a row in `tracks` and in its own table).
    events: int = 0

    @classmethod
    def failed(cls, integration_id: str, exc: BaseException, *, terminal: bool) -> LoadReport:
        """The report of a load that could not start (unknown integration, bad connection, ...)."""
        report = cls(integration_id)
        report.add_error("*", error_text(exc), terminal=terminal)
        return report

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoadReport:
        """The report back from ``to_dict`` (an XCom, a CLI line)."""
        fields = dict(data)
        fields["tables"] = {name: TableFigures(**f) for name, f in (data.get("tables") or {}).items()}
        return cls(**fields)

    def add_table(self, name: str, rows_loaded: int, rows_discarded: int) -> None:
        """Count rows loaded into (and values discarded from) one table."""
        figures = self.tables.setdefault(name, TableFigures())
        figures.rows_loaded += rows_loaded
        figures.rows_discarded += rows_discarded

    def add_error(self, name: str, message: str, *, terminal: bool) -> None:
        """Record that a table (or batch) failed."""
        self.errors[name] = message
        if terminal and name not in self.terminal:
            self.terminal.append(name)
        elif not terminal and name in self.terminal:
            self.terminal.remove(name)

    def absorb(self, chunk: LoadReport) -> None:
        """Add the next chunk of the same integration to this report."""
        self.integration_code = chunk.integration_code or self.integration_code
        self.source_id = chunk.source_id or self.source_id
        self.schema = chunk.schema or self.schema
        self.batches += chunk.batches
        self.events += chunk.events
        self.batches_completed += chunk.batches_completed
        self.remaining = chunk.remaining
        for name, figures in chunk.tables.items():
            self.add_table(name, figures.rows_loaded, figures.rows_discarded)
        for name, message in chunk.errors.items():
            self.add_error(name, message, terminal=name in chunk.terminal)
        self.parked += chunk.parked
        self.fallbacks += chunk.fallbacks

    @property
    def rows_loaded(self) -> int:
        """Rows loaded over every table."""
        return sum(f.rows_loaded for f in self.tables.values())

    @property
    def rows_discarded(self) -> int:
        """Values discarded over every table."""
        return sum(f.rows_discarded for f in self.tables.values())

    @property
    def retriable(self) -> bool:
        """Whether some error is transient (worth Airflow retrying the task)."""
        return any(name not in self.terminal for name in self.errors)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (XCom, ``eventyard load`` output)."""
        return asdict(self)

    def lines(self) -> list[str]:
        """Human-readable lines for the task log: one per table, then any errors."""
        lines = [
            f"{self.integration_code} schema {self.schema}: "
            f"{self.batches_completed}/{self.batches} batches loaded, {self.remaining} pending"
        ]
        for table, figures in sorted(self.tables.items()):
            lines.append(f"  {table}: {figures.rows_loaded} rows loaded, {figures.rows_discarded} discarded")
        for table, error in sorted(self.errors.items()):
            kind = "terminal, not retried" if table in self.terminal else "retried"
            lines.append(f"  {table}: FAILED ({kind}) {error}")
        if self.parked:
            lines.append(f"  parked after repeated terminal errors: {', '.join(sorted(self.parked))}")
        if self.fallbacks:
            lines.append(f"  {self.fallbacks} message groups mapped row by row (fast mapper fell back)")
        return lines

    def label(self) -> str:
        """A one-line label for the mapped task instance in the UI (its rendered map index)."""
        failed = f", {len(self.errors)} failed" if self.errors else ""
        target = f"{self.integration_code} {self.schema}"
        # Events first: "60 rows" for 30 track events (tracks + the event's table) reads like a bug.
        rows = f"{self.rows_loaded} rows, {self.rows_discarded} discarded"
        return f"{target}: {self.events} events -> {rows}{failed}"

    def error_summary(self) -> str:
        """Every error on one line (an exception message)."""
        return "; ".join(f"{name}: {error}" for name, error in sorted(self.errors.items()))
