"""The one exception root, and the three branches callers act on.

Every exception Eventyard raises on purpose is an :class:`EventyardError`, so a caller that only
wants "ours, not a bug" catches one class. Below it, a class says what to do about the failure,
so no caller matches on message text (the model is dlt's terminal/transient markers and the
Meltano SDK's retriable/fatal API errors):

- :class:`RetriableError`: trying the same thing again later may succeed (a network blip, a
  lock, a service not up yet). Loops and schedulers retry it.
- :class:`FatalError`: trying again as is cannot help; an operator has to fix something (a
  missing file, a broken installation, a refused privilege). Reported, never retried forever.
- :class:`BadInputError`: the caller's input is wrong (a request, a setting, a document); the
  answer names the problem so the caller can fix it. Never retried.

Classes keep their standard-library bases (``KeyError``, ``ValueError``, ``RuntimeError`` ...)
where existing ``except`` clauses rely on them, so re-parenting changes no behaviour. A few
signals used inside one module's control flow (a value that cannot be cast, the fast mapper
giving way) hang from the root directly: nobody outside acts on them.
"""

from __future__ import annotations


class EventyardError(Exception):
    """The root of every exception Eventyard raises on purpose."""


class RetriableError(EventyardError):
    """Retrying the same operation later may succeed."""


class FatalError(EventyardError):
    """Retrying as is cannot help: report it and wait for a fix."""


class BadInputError(EventyardError):
    """The caller's input is wrong; the message says what to change."""


class TaskFailed(RetriableError, RuntimeError):
    """An Airflow task's cycle ended with errors (some items failed, retrying may succeed).

    The load and delivery tasks raise it after logging their report so Airflow marks the try
    failed and retries; errors that retrying cannot fix fail the task without retries instead.
    """
