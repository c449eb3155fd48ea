"""Build a GraphQL type from a row or service view by the type's own field names.

Most Houston types show a database row or a service-layer view under the same field names; copying
them attribute by attribute in every ``from_model`` repeated the field list a second time. Here a
type names its fields once (its annotations) and passes only what is computed or renamed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def from_row(cls: type[T], row: object, **computed: Any) -> T:
    """``cls`` built from ``row``: each init field of the type is ``computed[name]`` when given,
    else ``row[name]`` for a mapping, else ``row.name``. A field missing from both raises, so a
    renamed column cannot silently become null."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]  # strawberry types are dataclasses
        if not field.init:
            continue
        if field.name in computed:
            values[field.name] = computed.pop(field.name)
        elif isinstance(row, Mapping):
            values[field.name] = row[field.name]
        else:
            values[field.name] = getattr(row, field.name)
    if computed:
        raise TypeError(f"{cls.__name__} has no field(s) {sorted(computed)}")
    return cls(**values)
