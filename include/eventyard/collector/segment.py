"""Spool segment files: append-only, length-prefixed, checksummed records.

A segment is ``MAGIC`` followed by frames ``<u32 length><u32 crc><payload>`` (little-endian),
where ``crc`` is the CRC32C of the length bytes and the payload.  A frame is complete only
when its whole payload is present and its checksum matches, so a record torn by a crash or a
failed write is recognised and cut off instead of being mistaken for data.  Because the
length is checksummed too, an all-zero header is never a valid frame: the spool pre-fills
the space ahead of its writes with zeros (so an fsync need not commit a file-size change),
and those zeros read as "end of data".  Segment names sort in creation order.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import google_crc32c

log = logging.getLogger(__name__)

MAGIC = b"EYSEG001"
HEADER = struct.Struct("<II")
# Events are capped at 32 KB by the API; anything near this size is a corrupt length field.
MAX_RECORD_BYTES = 16 * 1024 * 1024
SEGMENT_SUFFIX = ".log"
_NAME_RE = re.compile(r"^seg-(\d{20})-([0-9a-f]{8})\.log$")


_LENGTH = struct.Struct("<I")


# CRC32C of each length prefix seen, the seed of its frame's checksum: record lengths repeat, and
# computing it again cost as much as the rest of a frame's checksum (decision 0041).
_LENGTH_CRCS: dict[int, int] = {}
_MAX_LENGTH_CRCS = 1 << 16


def _length_crc(length: int) -> int:
    seed = _LENGTH_CRCS.get(length)
    if seed is None:
        if len(_LENGTH_CRCS) >= _MAX_LENGTH_CRCS:
            _LENGTH_CRCS.clear()
        seed = _LENGTH_CRCS[length] = google_crc32c.value(_LENGTH.pack(length))
    return seed


def _checksum(length: int, payload: bytes | memoryview) -> int:
    return google_crc32c.extend(_length_crc(length), payload)


def frame(payload: bytes) -> bytes:
    """One record as it is stored: length, CRC32C of length and payload, payload."""
    return HEADER.pack(len(payload), _checksum(len(payload), payload)) + payload


def frame_many(payloads: list[bytes] | tuple[bytes, ...]) -> bytes:
    """Several records framed back to back, ready for a single write."""
    pack, extend, seeds = HEADER.pack, google_crc32c.extend, _LENGTH_CRCS
    parts: list[bytes] = []
    append = parts.append
    for payload in payloads:
        length = len(payload)
        seed = seeds.get(length)
        if seed is None:
            seed = _length_crc(length)
        append(pack(length, extend(seed, payload)))
        append(payload)
    return b"".join(parts)


@dataclass(frozen=True)
class ParsedSegment:
    """The complete records of a segment and where the valid data ends."""

    records: list[bytes]
    good_end: int
    total: int

    zero_tail: bool = False

    @property
    def torn_bytes(self) -> int:
        """Bytes after the last complete record (zero fill, or a torn or corrupt tail)."""
        return self.total - self.good_end


def parse(data: bytes) -> ParsedSegment:
    """Split segment bytes into complete records, stopping at the first incomplete or corrupt one."""
    total = len(data)
    if total < len(MAGIC) or data[: len(MAGIC)] != MAGIC:
        return ParsedSegment([], 0, total, zero_tail=data.count(0) == total)
    unpack, extend, seeds = HEADER.unpack_from, google_crc32c.extend, _LENGTH_CRCS
    pos = len(MAGIC)
    records: list[bytes] = []
    append = records.append
    header_size = HEADER.size
    while pos + header_size <= total:
        length, crc = unpack(data, pos)
        start = pos + header_size
        end = start + length
        if length > MAX_RECORD_BYTES or end > total:
            break
        payload = data[start:end]
        seed = seeds.get(length)
        if seed is None:
            seed = _length_crc(length)
        if extend(seed, payload) != crc:
            break
        append(payload)
        pos = end
    return ParsedSegment(records, pos, total, zero_tail=data.count(0, pos) == total - pos)


def read_segment(path: Path) -> ParsedSegment:
    """Read and parse a segment file."""
    return parse(path.read_bytes())


def repair(path: Path, corrupt_dir: Path) -> ParsedSegment:
    """Cut a torn or corrupt tail off a segment (keeping the cut bytes aside) and return its records.

    A segment with no complete record is removed. The cut bytes were never acknowledged when
    they are a torn final write; they are still copied to ``corrupt_dir`` so that an operator
    can look at real corruption instead of it vanishing (zero fill written ahead is dropped).
    """
    data = path.read_bytes()
    parsed = parse(data)
    if parsed.torn_bytes:
        if not parsed.zero_tail:
            keep_tail(path, data, parsed.good_end, corrupt_dir)
        if parsed.good_end > 0:
            with open(path, "r+b") as fh:
                fh.truncate(parsed.good_end)
                fh.flush()
                os.fsync(fh.fileno())
    if not parsed.records:
        path.unlink(missing_ok=True)
    return parsed


def keep_tail(path: Path, data: bytes, good_end: int, corrupt_dir: Path) -> None:
    """Copy the bytes after the last complete record aside, for an operator to inspect."""
    corrupt_dir.mkdir(parents=True, exist_ok=True)
    kept = corrupt_dir / f"{path.stem}-at-{good_end}.bin"
    kept.write_bytes(data[good_end:])
    log.warning("spool segment %s: cut %d torn bytes (kept in %s)", path, len(data) - good_end, kept)


def new_segment_name(after_ns: int) -> tuple[str, int]:
    """A fresh segment name that sorts after every earlier one, and its timestamp.

    The wall-clock nanoseconds plus 32 random bits make names unique across restarts and
    machines, which is what batch ids (derived from segment names) rely on.
    """
    ns = max(time.time_ns(), after_ns + 1)
    return f"seg-{ns:020d}-{secrets.token_hex(4)}{SEGMENT_SUFFIX}", ns


def segment_ns(name: str) -> int | None:
    """The creation timestamp encoded in a segment name, or None if it is not a segment."""
    match = _NAME_RE.match(name)
    return int(match.group(1)) if match else None


def list_segments(slot_dir: Path) -> list[str]:
    """Segment file names in a slot directory, oldest first."""
    try:
        names = os.listdir(slot_dir)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if _NAME_RE.match(n))


def write_at(fd: int, data: bytes, offset: int) -> None:
    """Write every byte at ``offset`` (``os.pwrite`` may write less than asked)."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


def fsync_dir(path: Path) -> None:
    """Make a directory entry (a newly created or deleted file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
