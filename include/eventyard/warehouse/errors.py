"""Warehouse errors, split by what the loader does about them.

- ``TransientWarehouseError``: the warehouse or the network failed for now (connection lost,
  lock timeout, throttling, a 5xx). The table stays pending and the next cycle (or Airflow's
  retry of the task) loads it again, for as long as it takes.
- ``TerminalWarehouseError``: retrying the same rows cannot help until someone changes something
  (a constraint the rows violate, a missing permission, bad connection details). It is reported
  at once, the Airflow task fails without retries, and after ``TERMINAL_ATTEMPTS`` cycles the
  table of that batch is *parked* in the ledger instead of blocking the queue forever;
  ``eventyard load --once --retry-parked`` loads it again after the fix. Nothing is lost: the
  landed batch stays in the landing zone.

Drivers raise their own exceptions; each dialect's ``is_terminal`` sorts them, and anything not
known to be terminal counts as transient (retrying is the safe default).
"""

from __future__ import annotations

from eventyard.errors import EventyardError, FatalError, RetriableError

# Cycles a (batch, table) may fail terminally before it is parked (a misjudged error still gets
# a few more tries; a real one stops costing a load every minute).
TERMINAL_ATTEMPTS = 3


class WarehouseError(EventyardError):
    """A warehouse operation failed."""


class TransientWarehouseError(WarehouseError, RetriableError):
    """Worth retrying as is: the next cycle loads the table again."""


class TerminalWarehouseError(WarehouseError, FatalError):
    """Not worth retrying as is: reported, then parked after ``TERMINAL_ATTEMPTS`` cycles."""


def error_text(exc: BaseException) -> str:
    """``Type: message``, bounded, as reports and the ledger store it."""
    return f"{type(exc).__name__}: {exc}"[:2000]
