"""The session Postgres and Redshift share: psycopg 3 over the Postgres wire protocol.

A mixin listed before ``Dialect``; the dialect's ``connect`` sets ``self.conn``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventyard.warehouse.errors import TerminalWarehouseError, WarehouseError

# SQLSTATE classes that the same statement raises again: feature not supported (0A), data (22),
# integrity constraints (23), syntax / missing objects / privileges (42), WITH CHECK OPTION (44).
# Connection (08), rollback and deadlock (40), resources (53), lock not available (55), operator
# intervention (57), system (58) and internal (XX) errors are transient.
TERMINAL_SQLSTATE_CLASSES = frozenset({"0A", "22", "23", "42", "44"})


class PgWireSession:
    """``run``, ``query``, ``is_terminal`` and ``close`` over one psycopg connection."""

    conn: Any = None  # a psycopg.Connection once connected

    def _require(self) -> Any:
        if self.conn is None:
            raise WarehouseError(f"{type(self).__name__} used before connect()")
        return self.conn

    def run(self, statements: Sequence[str]) -> None:
        """Execute statements in order (no parameters: a ``%`` in an identifier stays as is)."""
        with self._require().cursor() as cur:
            for statement in statements:
                cur.execute(statement)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of one query as dicts (``%s`` markers bind ``params``)."""
        with self._require().cursor() as cur:
            cur.execute(sql, tuple(params) if params else None)
            names = [d.name for d in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def is_terminal(self, exc: BaseException) -> bool:
        """Terminal by SQLSTATE class (see ``TERMINAL_SQLSTATE_CLASSES``)."""
        if isinstance(exc, TerminalWarehouseError):
            return True
        sqlstate = getattr(exc, "sqlstate", None)
        return isinstance(sqlstate, str) and sqlstate[:2] in TERMINAL_SQLSTATE_CLASSES

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None
