"""What the click-id postback vendors (Taboola, Outbrain) share: one GET per conversion, keyed
by the ad platform's click id captured at landing, with the conversion name, value, currency and
order id as query parameters. A conversion without the click id did not come from the platform's
ad, so it is skipped (documented), not failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import urlencode

from eventyard.destinations import base
from eventyard.destinations import conversions as conv
from eventyard.destinations.click_ids import click_id
from eventyard.destinations.vendors import _message as m


def skip_reasons(vendor: str) -> dict[str, str]:
    """Why a click-id postback vendor takes only track calls."""
    return {
        "identify": f"{vendor} S2S takes conversions keyed by click id only",
        "page": f"page views are counted by {vendor}'s pixel; S2S takes conversions",
        "screen": f"{vendor} S2S takes web conversions keyed by click id",
        "group": f"{vendor} has no group call",
        "alias": f"{vendor} has no alias call",
    }


def postback_record(
    integration: base.Integration,
    message: Mapping[str, Any],
    *,
    click_param: str,
    names: tuple[str, str],
    mapping_setting: str,
    extra: Mapping[str, str],
) -> base.VendorRecord:
    """The query parameters of one postback: ``names`` = (click-id parameter, name parameter);
    ``extra`` maps value/currency/order/quantity to the vendor's parameter names."""
    clicked = click_id(message, click_param)
    if not clicked:
        raise base.SkipMessage(
            f"no {click_param} click id: the visitor did not come from an ad of this platform"
        )
    event = str(message.get("event") or "")
    name = conv.event_mapping(integration, mapping_setting).get(event, event)
    if not name:
        raise base.SkipMessage("a conversion needs an event name")
    params: dict[str, str] = {names[0]: clicked, names[1]: name}
    priced = conv.value_and_currency(message)
    if priced and "value" in extra:
        params[extra["value"]], params[extra["currency"]] = f"{priced[0]:g}", priced[1]
    order = conv.order_id(message)
    if order and "order" in extra:
        params[extra["order"]] = order
    items = conv.products(message)
    if items and "quantity" in extra:
        params[extra["quantity"]] = str(sum(conv.quantity(p) for p in items))
    return base.VendorRecord(m.message_id(message), params)


def postback_request(url: str, payload: Mapping[str, str]) -> base.HttpRequest:
    """``GET url?params``."""
    return base.HttpRequest("GET", f"{url}?{urlencode(payload)}", {"Accept": "*/*"})


class PostbackIntegration(base.Integration):
    """A click-id postback vendor, declared by class attributes (a subclass sets ``code``,
    ``base_url`` and these): one ``GET base_url + path`` per conversion."""

    call_types = frozenset({"track"})
    max_batch_events = 1  # one conversion per request
    vendor_name: ClassVar[str]
    click_param: ClassVar[str]  # the click id's name in clickIds / the landing URL
    names: ClassVar[tuple[str, str]]  # (click id parameter, conversion name parameter)
    mapping_setting: ClassVar[str]  # the setting that renames events to conversion names
    extra: ClassVar[Mapping[str, str]]  # value/currency/order/quantity -> the vendor's parameters
    path: ClassVar[str]

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """The conversion of a track call carrying the platform's click id."""
        m.require_call_type(message, skip_reasons(self.vendor_name))
        record = postback_record(
            self,
            message,
            click_param=self.click_param,
            names=self.names,
            mapping_setting=self.mapping_setting,
            extra=self.extra,
        )
        return [record]

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """``GET base_url + path ? <click id>=…&<name>=…``."""
        return postback_request(f"{self.base_url}{self.path}", records[0].payload)
