"""Every vendor test module that declares an ``ErrorContract`` in its SPEC: the vendor's 429 is
retried after the delay it asks, a 5xx retried, its 413 split, and refused credentials dropped
with any secret redacted. One test for all of them, so a new vendor only declares its answers."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from eventyard.destinations.base import Outcome
from tests.destinations import vendors
from tests.destinations.vendors import harness
from tests.destinations.vendors.conftest import make


def _declared() -> dict[str, harness.VendorSpec]:
    specs = {}
    for info in pkgutil.iter_modules(vendors.__path__):
        if not info.name.startswith("test_") or info.name == __name__.rpartition(".")[2]:
            continue
        spec = getattr(importlib.import_module(f"{vendors.__name__}.{info.name}"), "SPEC", None)
        if isinstance(spec, harness.VendorSpec) and spec.errors is not None:
            specs[info.name.removeprefix("test_")] = spec
    return specs


SPECS = _declared()


def test_the_vendors_with_error_contracts_are_found() -> None:
    assert {"attribution", "customer_io", "heap", "lytics"} <= set(SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_errors_are_classified_and_secrets_redacted(name: str) -> None:
    spec = SPECS[name]
    errors = spec.errors
    assert errors is not None
    with harness.running(spec.new_contract()) as receiver:
        vendor = spec.pointed_at(receiver)
        records = vendor.transform(make("track"))
        harness.assert_retry_policy(
            vendor, receiver, records, errors.throttled, errors.retry_after, too_large=errors.too_large
        )
        vendor.connection[errors.credential] = errors.wrong_value
        denied = harness.deliver(vendor, [make("track")]).results[0][2]
    assert denied.outcome is Outcome.DROP, denied
    assert errors.denied_says in denied.error
    if errors.credential in vendor.secret_settings:
        assert errors.wrong_value not in vendor.redact(denied.error)
