"""Warehouse identifiers the way Segment names them, made safe for each dialect.

``snake_case`` is a faithful port of segmentio/go-snakecase (the function Segment's warehouse
loader uses for collection and property names). The rest of the module turns snake-cased names
into identifiers a dialect accepts without ever letting two different source names silently
become one identifier: names too long for the dialect are truncated with a hash of the full
name, names that vanish entirely (``"$$$"``, ``"名前"``) get a hash-based name, and reserved
words get Segment's ``_`` prefix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from eventyard.warehouse.dialects.base import Dialect

# Tables Eventyard itself creates in every source schema; an event with one of these names
# would otherwise land in (and corrupt) the built-in table, so its table gets a "_" prefix.
RESERVED_TABLES = frozenset(
    # quality_results: the quality checks' table (eventyard.warehouse.quality), beside the loaded ones.
    {
        "tracks",
        "identifies",
        "users",
        "pages",
        "screens",
        "groups",
        "aliases",
        "accounts",
        "discards",
        "quality_results",
    }
)
HASH_LENGTH = 8


class _HasRules(Protocol):
    @property
    def max_identifier_length(self) -> int: ...
    @property
    def reserved_words(self) -> frozenset[str]: ...
    @property
    def identifier_needs_leading_letter(self) -> bool: ...


class NameRules(NamedTuple):
    """A dialect's identifier rules (hashable, so names can be cached per rule set)."""

    max_identifier_length: int
    reserved_words: frozenset[str]
    identifier_needs_leading_letter: bool


def rules_of(dialect: _HasRules) -> NameRules:
    """The identifier rules of a dialect (class or instance); computed once per dialect class."""
    cls = dialect if isinstance(dialect, type) else type(dialect)
    rules = _RULES.get(cls)
    if rules is None:
        rules = _RULES[cls] = NameRules(
            dialect.max_identifier_length, dialect.reserved_words, dialect.identifier_needs_leading_letter
        )
    return rules


_RULES: dict[type, NameRules] = {}


def _is_lower(c: str) -> bool:
    return "a" <= c <= "z"


def _is_upper(c: str) -> bool:
    return "A" <= c <= "Z"


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def _is_alnum(c: str) -> bool:
    return _is_lower(c) or _is_upper(c) or _is_digit(c)


@lru_cache(maxsize=65536)
def snake_case(name: str) -> str:
    """Segment's snake_case (segmentio/go-snakecase @6f94919), character for character.

    ASCII letters and digits form words; everything else (including all non-ASCII) separates
    words. A capital after a lower-case letter starts a new word, a run of capitals stays one
    word, digits stick to the word they follow. Already-snake names come back unchanged.
    """
    s = name
    n = len(s)
    idx = 0
    has_lower = has_underscore = lowercase_since_underscore = False
    # Leading run that needs no change: lower-case, digits, and single underscores between them.
    while idx < n:
        c = s[idx]
        if _is_lower(c):
            has_lower = True
            if has_underscore:
                lowercase_since_underscore = True
        elif _is_digit(c):
            pass
        elif c == "_" and 0 < idx < n - 1 and (_is_lower(s[idx + 1]) or _is_digit(s[idx + 1])):
            has_underscore = True
            lowercase_since_underscore = False
        else:
            break
        idx += 1
    if idx == n:
        return s
    out = [s[:idx]]
    length = idx
    # An upper-case letter right after an all-digit / fresh prefix continues the current word.
    if _is_upper(s[idx]) and (not has_lower or (has_underscore and not lowercase_since_underscore)):
        idx, length = _take_word(s, idx, out, length)
    while idx < n:
        if not _is_alnum(s[idx]):
            idx += 1
            continue
        if length > 0:
            out.append("_")
            length += 1
        idx, length = _take_word(s, idx, out, length)
    return "".join(out)


def _take_word(s: str, idx: int, out: list[str], length: int) -> tuple[int, int]:
    """Append one word: a run of capitals/digits (lower-cased), then a run of lower-case/digits."""
    n = len(s)
    start = idx
    while idx < n and (_is_upper(s[idx]) or _is_digit(s[idx])):
        idx += 1
    out.append(s[start:idx].lower())
    start2 = idx
    while idx < n and (_is_lower(s[idx]) or _is_digit(s[idx])):
        idx += 1
    out.append(s[start2:idx])
    return idx, length + (idx - start)


def short_hash(text: str) -> str:
    """A short, stable hex digest used to keep truncated or unnameable identifiers distinct."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LENGTH]


def fit_identifier(name: str, source: str, dialect: _HasRules) -> str:
    """Make a snake-cased ``name`` (derived from ``source``) valid for ``dialect``.

    Empty names become ``_<hash of source>``; reserved words and, where the dialect requires a
    leading letter, names starting with a digit get Segment's ``_`` prefix; names longer than the
    dialect allows are cut and end in ``_<hash of the full name>``, so two long names that share
    a prefix stay two columns.
    """
    if not name:
        name = f"_{short_hash(source)}"
    if name in dialect.reserved_words or (
        dialect.identifier_needs_leading_letter and not (name[0].isalpha() or name[0] == "_")
    ):
        name = f"_{name}"
    limit = dialect.max_identifier_length
    if len(name) > limit:
        name = f"{name[: limit - HASH_LENGTH - 1]}_{short_hash(name)}"
    return name


def column_name(path_parts: Sequence[str], dialect: Dialect) -> str:
    """The column for a flattened path: each part snake-cased, joined with ``_``, made dialect-safe.

    ``("context", "app", "version")`` -> ``context_app_version``; ``("orderId",)`` -> ``order_id``.
    Parts that snake-case to nothing are skipped; if nothing is left the column is named after a
    hash of the whole path, so it can never merge with another name.
    """
    return _column_name(tuple(path_parts), rules_of(dialect))


@lru_cache(maxsize=65536)
def _column_name(path_parts: tuple[str, ...], dialect: NameRules) -> str:
    snaked = "_".join(p for p in (snake_case(part) for part in path_parts) if p)
    return fit_identifier(snaked, "\x1f".join(path_parts), dialect)


def table_name_for_event(event: str, dialect: Dialect) -> str:
    """The table of a track event: its snake-cased name; ``_``-prefixed if it names a built-in table."""
    return _table_name_for_event(event, rules_of(dialect))


@lru_cache(maxsize=16384)
def _table_name_for_event(event: str, dialect: NameRules) -> str:
    slug = snake_case(event)
    if slug in RESERVED_TABLES:
        slug = f"_{slug}"
    return fit_identifier(slug, event, dialect)


def schema_name_for_source(source_name: str, dialect: Dialect) -> str:
    """A source's schema: its snake-cased name (Segment's source slug), made dialect-safe."""
    return fit_identifier(snake_case(source_name), source_name, dialect)
