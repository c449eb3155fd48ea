"""Spool slots: one directory per worker process, owned through an exclusive ``flock``.

A process claims ``<spool>/slot-<k>`` by locking its lock file; the kernel drops the lock when
the process dies, however it dies, so a slot whose lock can be taken has no live owner and its
segments are anyone's to flush (or a restarted worker's to re-claim).
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from eventyard.collector import segment

MAX_SLOTS = 4096
LOCK_FILE = "lock"
CORRUPT_DIR = "corrupt"
# Zero-filled files a live spool prepares for its next segment (``spare-<20-digit ns>-<hex>``);
# never a segment name. Holds frames only after a crash that lost its rename (see repair_slot).
SPARE_PREFIX = "spare-"


def slot_dirs(spool_dir: Path) -> list[tuple[int, Path]]:
    """Every slot directory under a spool directory, by slot number."""
    if not spool_dir.is_dir():
        return []
    found = []
    for child in spool_dir.iterdir():
        if child.is_dir() and child.name.startswith("slot-") and child.name[5:].isdigit():
            found.append((int(child.name[5:]), child))
    return sorted(found)


def try_lock_slot(slot_dir: Path) -> int | None:
    """Take the slot's exclusive lock without waiting; the locked fd, or None if someone holds it."""
    slot_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(slot_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return None
        raise
    return fd


def repair_slot(slot_dir: Path) -> int:
    """Cut torn tails off every segment of a slot we hold the lock of; return the bytes cut.

    Spares its previous owner prepared hold only zeros and are removed, except one that starts
    with the segment magic: it was renamed into the active segment and took acknowledged frames,
    and the crash came before the journal made the rename durable (the spool does not fsync the
    directory for a renamed spare, whose entry was durable already). It becomes a segment again,
    named after every existing segment, in spare (creation, hence use) order, before the
    segments are repaired.
    """
    rescued = False
    last_ns = max((segment.segment_ns(n) or 0 for n in segment.list_segments(slot_dir)), default=0)
    for spare in sorted(slot_dir.glob(f"{SPARE_PREFIX}*")):
        with open(spare, "rb") as fh:
            holds_frames = fh.read(len(segment.MAGIC)) == segment.MAGIC
        if holds_frames:
            name, last_ns = segment.new_segment_name(last_ns)
            os.rename(spare, slot_dir / name)
            rescued = True
        else:
            spare.unlink(missing_ok=True)
    if rescued:
        segment.fsync_dir(slot_dir)
    cut = 0
    for name in segment.list_segments(slot_dir):
        cut += segment.repair(slot_dir / name, slot_dir / CORRUPT_DIR).torn_bytes
    return cut
