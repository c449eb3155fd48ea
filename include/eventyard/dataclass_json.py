"""A dataclass's fields as the ``--json`` / XCom dict: in declaration order, some renamed or left out."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import fields
from typing import Any


def fields_dict(
    obj: Any, rename: Mapping[str, str] | None = None, omit: Collection[str] = ()
) -> dict[str, Any]:
    """``{field: value}`` of the dataclass instance ``obj`` (shallow: values are not copied or
    converted), each key renamed by ``rename`` where it has one, without the fields in ``omit``."""
    names = rename or {}
    return {names.get(f.name, f.name): getattr(obj, f.name) for f in fields(obj) if f.name not in omit}
