"""Timestamps on the hot path: ISO-8601 text <-> epoch milliseconds, fast for the common shape.

Every event carries two or three client timestamps and gets a skew-corrected one, so this is
the collector's most repeated work. SDKs nearly always send ``YYYY-MM-DDTHH:MM:SS.mmmZ``;
for that shape only the (cached) whole-second prefix is parsed and the text itself is already
canonical. Formatting reuses a cached per-second prefix plus a millisecond suffix table,
about five times cheaper than ``datetime`` arithmetic and ``isoformat``. Other ISO-8601
forms (offsets, no zone = UTC, other precisions) take the general ``datetime`` path.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_ONE_S = timedelta(seconds=1)
# The range datetime can format: 0001-01-01 .. 9999-12-31T23:59:59.999.
MIN_MS = (datetime(1, 1, 1, tzinfo=UTC) - EPOCH) // _ONE_MS
MAX_MS = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC) - EPOCH) // _ONE_MS
_MILLIS_SUFFIX = tuple(f"{i:03d}Z" for i in range(1000))
# "000".."999" -> int: one dict lookup both checks the milliseconds are three ASCII digits and
# converts them (``int()`` of a slice plus ``isdigit``/``isascii`` cost three times as much).
_MILLIS_OF_TEXT = {f"{i:03d}": i for i in range(1000)}


def to_millis(value: object) -> tuple[int, str] | None:
    """(epoch milliseconds, canonical ``...mmmZ`` text) of an ISO-8601 string, else ``None``."""
    if type(value) is not str:
        return None
    if len(value) == 24 and value[23] == "Z" and value[19] == ".":
        fraction = _MILLIS_OF_TEXT.get(value[20:23])
        if fraction is not None:
            second = _second_of(value[:19])
            if second is not None:
                return second * 1000 + fraction, value
    return _parse_general(value)


@lru_cache(maxsize=65536)
def _second_of(prefix: str) -> int | None:
    """Epoch seconds of ``YYYY-MM-DDTHH:MM:SS`` (cached: events cluster within seconds)."""
    if not prefix.isascii() or prefix[10] != "T":
        return None
    try:
        parsed = datetime.fromisoformat(prefix)
    except ValueError:
        return None
    return (parsed.replace(tzinfo=UTC) - EPOCH) // _ONE_S


@lru_cache(maxsize=8192)
def _parse_general(value: str) -> tuple[int, str] | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # SDKs that omit the zone mean UTC (old analytics-python stamped naive UTC).
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    millis = (parsed - EPOCH) // _ONE_MS
    return millis, format_millis(millis)


def format_millis(millis: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` of epoch milliseconds (within ``MIN_MS``..``MAX_MS``)."""
    seconds, fraction = divmod(millis, 1000)
    return _second_text(seconds) + _MILLIS_SUFFIX[fraction]


@lru_cache(maxsize=65536)
def _second_text(seconds: int) -> str:
    return (EPOCH + seconds * _ONE_S).isoformat()[:19] + "."


def millis_of(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return (moment - EPOCH) // _ONE_MS


def datetime_of(millis: int) -> datetime:
    """The aware UTC datetime of epoch milliseconds."""
    return EPOCH + millis * _ONE_MS
