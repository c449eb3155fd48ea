"""What to do about each column difference between Segment's table and ours.

The order of preference is the seed's: keep the value as it is; *widen* our column where it can
hold theirs (``varchar(256)`` -> ``varchar(512)``, int -> float, anything -> text) if the
warehouse can do that in place; *add* a column only Segment has; *cast* with an explicit rule
when our type holds every value of theirs (anything into text, int into float, timestamp without
zone -> with zone, as UTC); and only when no safe rule exists, *discard*: the value goes to our
``discards`` table with the reason, and the merged row has NULL there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from eventyard.migration.catalog import ColumnInfo
from eventyard.migration.ops import Widening

Action = Literal["keep", "widen", "add", "cast", "discard", "ours_only"]


@dataclass(frozen=True)
class ColumnDecision:
    """One column of a table, on either side, and what the merge does with it."""

    name: str
    segment: ColumnInfo | None
    ours: ColumnInfo | None
    action: Action
    reason: str
    # For widen: our column's new type; for add: the type of the added column.
    new_type: str | None = None

    @property
    def merged(self) -> bool:
        """Whether Segment's values of this column go into ours."""
        return self.action in ("keep", "widen", "add", "cast")

    def to_dict(self) -> dict[str, Any]:
        """The decision for ``--json``."""
        return {
            "column": self.name,
            "segment": self.segment.to_dict() if self.segment else None,
            "eventyard": self.ours.to_dict() if self.ours else None,
            "action": self.action,
            "reason": self.reason,
            "new_type": self.new_type,
        }


def decide(
    theirs: ColumnInfo | None,
    ours: ColumnInfo | None,
    *,
    widenable: Widening,
    text_lengths: bool,
    text_type: Any,
    type_for: Any,
) -> ColumnDecision:
    """The decision for one column name (``text_type(length)`` and ``type_for(logical)`` name our
    physical types)."""
    if theirs is None:
        assert ours is not None
        return ColumnDecision(ours.name, None, ours, "ours_only", "only in Eventyard: NULL in merged rows")
    if ours is None:
        new_type = type_for(theirs.logical)
        return ColumnDecision(
            theirs.name, theirs, None, "add", f"only in Segment: ALTER TABLE ADD {new_type}", new_type
        )
    name, t, o = theirs.name, theirs.logical, ours.logical
    if t == o == "text":
        if (
            text_lengths
            and ours.length is not None
            and (theirs.length is None or theirs.length > ours.length)
        ):
            new_type = text_type(theirs.length)
            return ColumnDecision(
                name, theirs, ours, "widen", f"{ours.physical} is shorter than {theirs.physical}", new_type
            )
        return ColumnDecision(name, theirs, ours, "keep", "same type")
    if t == o:
        if theirs.physical.lower() != ours.physical.lower():
            why = "timestamp without zone holds UTC" if t == "timestamp" else "same kind of value"
            return ColumnDecision(name, theirs, ours, "cast", f"{theirs.physical} -> {ours.physical}: {why}")
        return ColumnDecision(name, theirs, ours, "keep", "same type")
    if o == "text":
        return ColumnDecision(name, theirs, ours, "cast", f"{t} -> text: every value has a text form")
    if (o, t) == ("double", "bigint"):
        return ColumnDecision(name, theirs, ours, "cast", "integer -> float: exact up to 2**53")
    if (o, t) in widenable:
        new_type = text_type(None) if t == "text" else type_for(t)
        return ColumnDecision(
            name,
            theirs,
            ours,
            "widen",
            f"ours {o} cannot hold Segment's {t}; {new_type} holds both",
            new_type,
        )
    return ColumnDecision(
        name, theirs, ours, "discard", f"no safe rule from Segment's {t} to our {o}: value kept in discards"
    )
