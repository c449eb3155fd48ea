"""The GraphQL route, with a bound on how deeply the request's JSON may nest.

A body such as ``{"variables": [[[[...]]]]}`` 1,500 levels deep is well within the 1 MB body
cap, yet the standard ``json`` parser recurses once per level and dies with ``RecursionError``
(a 500), and anything deeper than the recursion limit would break whatever walks the value
later. Such a request is the client's mistake: it answers 400 and is logged at warning level.
"""

from __future__ import annotations

import json
import logging

from cross_web import HTTPException
from strawberry.fastapi import GraphQLRouter

from eventyard import json_nesting

log = logging.getLogger(__name__)

MAX_JSON_DEPTH = 64  # objects and arrays inside one another; real GraphQL variables use a handful


class HoustonRouter(GraphQLRouter):
    """Strawberry's FastAPI router, refusing JSON nested deeper than :data:`MAX_JSON_DEPTH`."""

    def decode_json(self, data: str | bytes) -> object:
        """Parse the body (or a ``variables``/``extensions`` query parameter) within the depth bound."""
        try:
            value = json.loads(data)
        except RecursionError:
            value, depth = None, None
        else:
            depth = json_nesting.depth(value)
            if depth <= MAX_JSON_DEPTH:
                return value
        nesting = depth or f"more than {MAX_JSON_DEPTH} (past the parser's recursion limit)"
        log.warning("GraphQL request refused: JSON nested %s levels deep", nesting)
        raise HTTPException(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
