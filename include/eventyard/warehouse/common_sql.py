"""SQL pieces the SQL dialects share: column lists, key matches, the users aggregates."""

from __future__ import annotations

from collections.abc import Callable, Iterable

ROW = '"__eventyard_row"'
SRC = '"__eventyard_src"'


def column_list(quote: Callable[[str], str], names: Iterable[str]) -> str:
    """``"a", "b", "c"``."""
    return ", ".join(quote(n) for n in names)


def key_match(quote: Callable[[str], str], key: tuple[str, ...]) -> str:
    """``t."k" = s."k" AND ...`` (NULL-safe when the key has several columns)."""
    if len(key) == 1:
        return f"t.{quote(key[0])} = s.{quote(key[0])}"
    return " AND ".join(f"t.{quote(k)} IS NOT DISTINCT FROM s.{quote(k)}" for k in key)


def users_aggregates(quote: Callable[[str], str], columns: Iterable[str]) -> str:
    """Per column the latest non-null value by received_at; ties keep the stored row."""
    order = f"{quote('received_at')} DESC, {SRC}, {ROW} DESC"
    parts = []
    for name in columns:
        q = quote(name)
        if name == "id":
            continue
        if name == "received_at":
            parts.append(f"max({q}) AS {q}")
        elif name == "uuid_ts":
            parts.append(f"(array_agg({q} ORDER BY {order}))[1] AS {q}")
        else:
            parts.append(f"(array_agg({q} ORDER BY {order}) FILTER (WHERE {q} IS NOT NULL))[1] AS {q}")
    return ", ".join(parts)


def stage_select_list(quote: Callable[[str], str], target_columns: Iterable[str], staged: set[str]) -> str:
    """The staged side of the users union: target columns, NULL where the stage lacks one."""
    return ", ".join(quote(n) if n in staged else f"NULL AS {quote(n)}" for n in target_columns)
