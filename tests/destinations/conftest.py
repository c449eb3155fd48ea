"""Fixtures of the delivery tests: an organization with a source, and a running webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eventyard.settings import Settings
from tests.destinations.contracts import webhook_contract, webhook_keys
from tests.destinations.pipeline import create_org_source
from tests.destinations.receivers import VendorReceiver, running


@pytest.fixture
def org_source(settings: Settings) -> tuple[str, str]:
    """(org id, source id) in the migrated control DB of ``settings``."""
    return create_org_source(settings)


@pytest.fixture
def webhook_receiver() -> Iterator[VendorReceiver]:
    """A customer webhook endpoint checking signature and auth, counting messageIds."""
    with running(webhook_contract, keys=webhook_keys) as receiver:
        yield receiver
