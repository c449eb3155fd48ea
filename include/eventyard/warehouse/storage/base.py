"""The interface of storage destinations: files of whole messages, no tables, no columns.

A storage writer is to S3 Event Logs what a ``Dialect`` is to a table warehouse, and much
smaller: connect, say where a source's files go, write one landed batch. The chunk loop around
it (pending batches, ledger, report) is ``eventyard.warehouse.storage.load``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

from eventyard.warehouse.target import Target


class StorageWriter(Target):
    """Writes landed batches as files into one customer's storage."""

    # The ledger's table name for what this writer writes (one entry per batch).
    ledger_table: ClassVar[str]

    @abc.abstractmethod
    def location(self, source_id: str, config: Mapping[str, Any]) -> str:
        """Where this source's files go (a URI, for reports and logs)."""

    @abc.abstractmethod
    def write_batch(
        self, source_id: str, batch_id: str, messages: list[dict[str, Any]], config: Mapping[str, Any]
    ) -> int:
        """Write one landed batch's messages (those the config selects); returns how many.

        Writing the same batch again must overwrite, never duplicate."""
