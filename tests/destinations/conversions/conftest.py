"""Every conversion-API test starts and ends with an empty OAuth token cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eventyard.destinations.oauth import TOKENS


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> Iterator[None]:
    TOKENS.clear()
    yield
    TOKENS.clear()
