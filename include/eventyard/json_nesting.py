"""How deeply parsed JSON nests, measured without recursion (the values may be hostile)."""

from __future__ import annotations

from typing import Any


def depth(value: Any) -> int:
    """How many objects/arrays nest at the deepest point; a scalar is 0, ``{}`` and ``[]`` are 1."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if type(item) is dict else item if type(item) is list else None
        if children is not None:
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest
