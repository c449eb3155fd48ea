"""Calq is retired: every call type dead-letters with the catalog's reason, nothing is sent."""

from __future__ import annotations

import pytest

from eventyard.catalog.loader import load_catalog
from eventyard.destinations.base import InvalidMessage
from eventyard.destinations.registry import get_integration_class
from eventyard.destinations.vendors.calq import Calq


def test_every_call_type_dead_letters_with_the_retirement_reason(messages) -> None:
    entry = load_catalog().get("calq")
    assert entry.status == "retired"
    calq = Calq({"writeKey": "calq-write-key"}, {})
    for message in messages.values():
        with pytest.raises(InvalidMessage) as raised:
            calq.transform(message)
        assert str(raised.value) == f"Calq is retired: {entry.status_reason}"
    with pytest.raises(InvalidMessage, match="retired"):
        calq.build_request("default", [])


def test_registry_finds_every_vendor_of_this_module_set() -> None:
    codes = {
        "keen", "customer_io", "hubspot", "intercom", "braze", "heap", "kissmetrics", "woopra",
        "sailthru", "lytics", "attribution", "facebook_app_events", "facebook_pixel", "calq",
    }  # fmt: skip
    catalog_codes = set(load_catalog().codes())
    for code in codes:
        assert code in catalog_codes
        assert get_integration_class(code).code == code
