"""Control-DB tables of destination delivery: ledger, pending retries, dead letters, counters.

* ``delivery_ledger`` — one row per (integration, landed batch) once the batch has been read and
  the fate of each of its events recorded. A batch with no ledger row is new; a row with
  ``pending > 0`` waits for retries; ``done_at`` is set once every event is delivered, skipped or
  dead-lettered. Re-runs never re-read a batch that has a row, so acknowledged batches are never
  re-sent.
* ``delivery_pending`` — events waiting for a retry, persisted so that a crash loses nothing.
* ``delivery_dead_letters`` — events given up on, with the vendor's (redacted) error; replayable.
* ``delivery_stats`` — per-integration counters, last error, and the lease that keeps two workers
  from delivering the same integration at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventyard.db.models import Base, UtcDateTime, utcnow

_ID = BigInteger().with_variant(Integer, "sqlite")


class DeliveryLedger(Base):
    """The per-integration cursor: which landed batches have been read, and whether they are done."""

    __tablename__ = "delivery_ledger"
    __table_args__ = (UniqueConstraint("integration_id", "batch_id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[str] = mapped_column(String(128))
    batch_seq: Mapped[int] = mapped_column(BigInteger)
    total: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    dead_lettered: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)
    batch_created_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DeliveryPending(Base):
    """One event waiting for another attempt (the whole Segment message, re-transformed on retry)."""

    __tablename__ = "delivery_pending"
    __table_args__ = (Index("ix_delivery_pending_due", "integration_id", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    batch_id: Mapped[str | None] = mapped_column(String(128))  # None for replayed dead letters
    message_id: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")


class DeliveryDeadLetter(Base):
    """An event that could not be delivered: why, how often it was tried, and whether it was replayed."""

    __tablename__ = "delivery_dead_letters"
    __table_args__ = (Index("ix_delivery_dead_letters_open", "integration_id", "replayed_at"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(String(32), index=True)
    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    batch_id: Mapped[str | None] = mapped_column(String(128))
    message_id: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(32))  # rejected | invalid | expired | vendor_error
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    replayed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DeliveryStats(Base):
    """Per-integration counters since creation, the last error, and the delivery lease."""

    __tablename__ = "delivery_stats"

    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    )
    delivered: Mapped[int] = mapped_column(BigInteger, default=0)
    retried: Mapped[int] = mapped_column(BigInteger, default=0)
    dead_lettered: Mapped[int] = mapped_column(BigInteger, default=0)
    skipped: Mapped[int] = mapped_column(BigInteger, default=0)
    replayed: Mapped[int] = mapped_column(BigInteger, default=0)
    # Events dead-lettered because the vendor module raised (a bug to fix, then replay).
    vendor_errors: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
