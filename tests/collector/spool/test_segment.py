"""Segment framing: records round-trip, and a torn or corrupt tail is recognised and cut off."""

from __future__ import annotations

import os
import struct

import google_crc32c
import pytest

from eventyard.collector import segment
from eventyard.collector.flusher import flush_all
from eventyard.collector.spool import Spool
from eventyard.settings import Settings

from .helpers import landed_ids, record


def test_frames_round_trip_and_stop_at_a_bad_checksum() -> None:
    payloads = [b"a", b"", b"x" * 70_000, "é".encode()]
    data = segment.MAGIC + segment.frame_many(payloads)
    parsed = segment.parse(data)
    assert parsed.records == payloads
    assert parsed.torn_bytes == 0

    # Flip one payload byte of the third record: parsing keeps the first two and stops.
    third_payload_at = len(segment.MAGIC) + 2 * segment.HEADER.size + 1 + segment.HEADER.size
    corrupt = bytearray(data)
    corrupt[third_payload_at + 10] ^= 0xFF
    parsed = segment.parse(bytes(corrupt))
    assert parsed.records == payloads[:2]
    assert parsed.good_end == third_payload_at - segment.HEADER.size


def test_the_checksum_covers_length_and_payload_whatever_lengths_came_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The format: CRC32C of the little-endian u32 length followed by the payload.

    Lengths' CRCs are cached; a tiny cache (cleared at every third length) must change nothing.
    """
    monkeypatch.setattr(segment, "_MAX_LENGTH_CRCS", 3)
    payloads = [b"x" * n for n in (0, 1, 5, 1, 300, 5, 70_000, 0, 300)]
    data = segment.frame_many(payloads)
    offset = 0
    for payload in payloads:
        length, crc = segment.HEADER.unpack_from(data, offset)
        assert length == len(payload)
        assert crc == google_crc32c.value(struct.pack("<I", length) + payload)
        offset += segment.HEADER.size + length
    assert offset == len(data)
    assert segment.frame(payloads[4]) == data[segment.HEADER.size * 4 + 7 : segment.HEADER.size * 5 + 307]
    assert segment.parse(segment.MAGIC + data).records == payloads
    assert len(segment._LENGTH_CRCS) <= 3


def test_a_file_without_the_magic_holds_no_records() -> None:
    assert segment.parse(b"EYSE").records == []
    assert segment.parse(b"garbage" * 10).good_end == 0


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param("partial", id="partial-record"),
        pytest.param("garbage", id="garbage"),
        pytest.param("header-only", id="header-only"),
    ],
)
async def test_torn_tail_is_cut_on_open_and_complete_records_replayed(
    spool_settings: Settings, tail: str
) -> None:
    spool = Spool.open(spool_settings)
    ids = [f"m-{i}" for i in range(10)]
    await spool.append([record(message_id=i) for i in ids])
    slot_dir = spool.slot_dir
    await spool.close()

    [name] = segment.list_segments(slot_dir)
    path = slot_dir / name
    good_size = path.stat().st_size
    with open(path, "ab") as fh:
        if tail == "partial":
            fh.write(segment.frame(record(message_id="torn"))[:-7])
        elif tail == "garbage":
            fh.write(b"\x00\xff" * 33)
        else:
            fh.write(segment.HEADER.pack(500, 0))

    reopened = Spool.open(spool_settings)  # the same slot: its lock is free again
    assert reopened.slot_dir == slot_dir
    assert path.stat().st_size == good_size
    assert reopened.stats()["torn_bytes_cut"] > 0
    assert list((slot_dir / "corrupt").iterdir()), "the cut bytes are kept for inspection"
    await reopened.close()

    counts = flush_all(spool_settings)
    assert counts["rows"] == 10
    assert sorted(landed_ids(spool_settings)) == sorted(ids)


async def test_a_segment_with_only_a_torn_header_is_removed(spool_settings: Settings) -> None:
    spool = Spool.open(spool_settings)
    slot_dir = spool.slot_dir
    await spool.close()
    name, _ = segment.new_segment_name(0)
    (slot_dir / name).write_bytes(segment.MAGIC[:5])
    reopened = Spool.open(spool_settings)
    assert segment.list_segments(slot_dir) == []
    await reopened.close()


def test_zero_fill_is_the_end_of_data_not_a_record() -> None:
    data = segment.MAGIC + segment.frame(b"x") + bytes(4096)
    parsed = segment.parse(data)
    assert parsed.records == [b"x"]
    assert parsed.zero_tail and parsed.torn_bytes == 4096
    assert not segment.parse(data + b"\x01").zero_tail


async def test_zero_fill_left_by_a_crash_is_dropped_quietly(spool_settings: Settings) -> None:
    spool = Spool.open(spool_settings)
    await spool.append([record(message_id=f"m-{i}") for i in range(3)])
    [name] = segment.list_segments(spool.slot_dir)
    path = spool.slot_dir / name
    logical = spool.stats()["spool_bytes"]
    assert path.stat().st_size > logical, "the active segment is zero-filled ahead of its data"
    # "Crash": the process vanishes without sealing; the kernel releases its lock.
    os.close(spool._lock_fd)

    reopened = Spool.open(spool_settings)
    assert reopened.slot_dir == spool.slot_dir
    assert path.stat().st_size == logical
    assert not (spool.slot_dir / "corrupt").exists()
    await reopened.close()
    assert flush_all(spool_settings)["rows"] == 3
