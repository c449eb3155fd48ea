"""Braze: ``/users/track`` (attributes, events, purchases), ``/users/identify`` (merge an anonymous
alias profile into the identified user) and ``/users/merge`` (alias).

Each Braze object is one record, so the 75-objects-per-request limit is exact. Braze answers
"success" with ``errors[{input_array, index}]`` for objects it could not process: those records
(and only those) fail; plain-string "minor errors" name no object and fail none. Objects of
anonymous users (``user_alias`` only) carry ``_update_existing_only: false``, without which Braze
creates no alias-only profile and drops them. See docs/destinations/braze.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

log = logging.getLogger(__name__)

TRACK, IDENTIFY, MERGE = "track", "identify", "merge"  # routes = endpoints
ARRAYS = ("attributes", "events", "purchases")
ALIAS_LABEL = "anonymous_id"
MAX_OBJECT_BYTES = 100_000
# Segment trait → Braze standard attribute.
STANDARD = {
    "email": "email",
    "firstName": "first_name",
    "lastName": "last_name",
    "phone": "phone",
    "gender": "gender",
    "birthday": "dob",
    "avatar": "image_url",
}


def cluster_host(data_center: str) -> str:
    """The REST host of a dashboard cluster: ``US-03`` → rest.iad-03.braze.com, ``EU-01`` →
    rest.fra-01.braze.eu, ``AU-01`` → rest.au-01.braze.com."""
    region, _, number = data_center.strip().upper().partition("-")
    if region == "EU":
        return f"https://rest.fra-{number}.braze.eu"
    if region == "AU":
        return f"https://rest.au-{number}.braze.com"
    return f"https://rest.iad-{number}.braze.com"


class Braze(base.Integration):
    """Braze user profiles, custom events and purchases."""

    code = "braze"
    integration_aliases = ("Appboy",)
    max_batch_events = 75  # objects per /users/track request
    max_batch_bytes = 4_000_000
    max_requests_per_second = 1000.0  # /users/track: 3,000 requests per 3 s per workspace
    secret_settings = frozenset({"restApiKey"})
    base_url = ""  # empty: the cluster's host

    def batch_limit(self, route: str) -> int:
        """75 objects on /users/track; 50 aliases or merges on /users/identify and /users/merge."""
        return self.max_batch_events if route == TRACK else 50

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """One record per Braze object (attribute update, event, purchase, alias merge)."""
        call_type = str(message.get("type"))
        key = m.message_id(message)
        if call_type == "alias":
            previous = m.text(message.get("previousId"))
            if not (previous and m.user_id(message)):
                raise base.InvalidMessage("Braze merge needs userId and previousId")
            update = {
                "identifier_to_merge": {"external_id": previous},
                "identifier_to_keep": {"external_id": m.user_id(message)},
            }
            return [base.VendorRecord(key, update, route=MERGE)]
        who = _identity(message)
        when = m.iso(m.event_time(message))
        records: list[base.VendorRecord] = []
        if call_type == "identify":
            if m.user_id(message) and m.anonymous_id(message):
                alias = {"alias_name": m.anonymous_id(message), "alias_label": ALIAS_LABEL}
                records.append(
                    base.VendorRecord(
                        key, {"external_id": m.user_id(message), "user_alias": alias}, route=IDENTIFY
                    )
                )
            records.append(_object(key, "attributes", {**who, **_attributes(m.traits(message))}))
        elif call_type == "group":
            group_id = m.text(message.get("groupId"))
            if not group_id:
                raise base.InvalidMessage("Braze group needs groupId")
            # Segment's convention, kept so segments built on it keep working after a migration.
            records.append(_object(key, "attributes", {**who, f"ab_segment_group_{group_id}": True}))
        else:
            name = m.event_name(message)
            if not name:
                raise base.InvalidMessage("Braze events need a name")
            event = {**who, "name": name, "time": when, "properties": m.properties(message)}
            records.append(_object(key, "events", self._with_app(event)))
            if name == "Order Completed":
                records.extend(
                    _object(key, "purchases", self._with_app(p)) for p in _purchases(message, who, when)
                )
        return records

    def _with_app(self, item: dict[str, Any]) -> dict[str, Any]:
        app = m.setting(self, "appKey")
        return {**item, "app_id": app} if app else item

    def _host(self) -> str:
        return self.base_url or cluster_host(m.required_setting(self, "dataCenter"))

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """The endpoint of the route, its body, ``Authorization: Bearer {restApiKey}``."""
        headers = {
            "Authorization": f"Bearer {m.required_setting(self, 'restApiKey')}",
            "Content-Type": "application/json",
        }
        if route == IDENTIFY:
            body: dict[str, Any] = {"aliases_to_identify": [r.payload for r in records]}
        elif route == MERGE:
            body = {"merge_updates": [r.payload for r in records]}
        else:
            body = {}
            for record in records:
                body.setdefault(record.payload["array"], []).append(record.payload["object"])
        return base.HttpRequest("POST", f"{self._host()}/users/{route}", headers, m.json_bytes(body))

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """Map ``errors[{input_array, index}]`` back to records; 429 waits for X-RateLimit-Reset."""
        result = base.default_classification(response)
        if response.status == 429 and result.retry_after is None:
            reset = m.seconds_until(response.headers.get("x-ratelimit-reset"))
            return base.Classification(base.Outcome.RETRY, error=result.error, retry_after=reset)
        body = m.body_json(response.body)
        if result.outcome is not base.Outcome.SUCCESS or not isinstance(body, dict) or not body.get("errors"):
            return result
        route = records[0].route if records else TRACK  # a request holds records of one route
        positions: dict[tuple[str, int], int] = {}
        counters = dict.fromkeys(ARRAYS, 0)
        for index, record in enumerate(records):
            if route == TRACK:
                array = record.payload["array"]
                positions[(array, counters[array])] = index
                counters[array] += 1
            else:
                positions[("", index)] = index
        failed: dict[int, str] = {}
        for error in body["errors"]:
            if not isinstance(error, dict):
                # Braze documents "minor error messages" as plain strings: the request succeeded
                # and nothing says which object the message is about, so none is failed.
                log.info("Braze accepted a request with a non-fatal error: %.500s", error)
                continue
            array = str(error.get("input_array", "")) if route == TRACK else ""
            at = error.get("index")
            position = positions.get((array, at)) if isinstance(at, int) else None
            if position is not None:
                failed[position] = f"Braze: {error.get('type', 'invalid object')}"
        if not failed:
            return result
        return base.Classification(base.Outcome.PARTIAL, error=next(iter(failed.values())), failed=failed)


def _object(key: str, array: str, item: dict[str, Any]) -> base.VendorRecord:
    if "user_alias" in item and "external_id" not in item:
        # Braze only creates an alias-only profile when told to; with the flag omitted
        # ("Update Only", the default for aliases) the anonymous user's data is dropped.
        item = {**item, "_update_existing_only": False}
    if len(m.json_bytes(item)) > MAX_OBJECT_BYTES:
        raise base.InvalidMessage(f"Braze rejects objects larger than {MAX_OBJECT_BYTES} bytes")
    return base.VendorRecord(key, {"array": array, "object": item}, route=TRACK)


def _identity(message: Mapping[str, Any]) -> dict[str, Any]:
    if m.user_id(message):
        return {"external_id": m.user_id(message)}
    if m.anonymous_id(message):
        return {"user_alias": {"alias_name": m.anonymous_id(message), "alias_label": ALIAS_LABEL}}
    raise base.InvalidMessage("Braze needs userId (external_id) or anonymousId (user alias)")


def _attributes(traits: Mapping[str, Any]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for key, value in traits.items():
        if key == "address" and isinstance(value, dict):
            attributes["home_city"] = value.get("city")
            attributes["country"] = value.get("country")
        elif key == "birthday":
            attributes["dob"] = str(value)[:10]  # Braze wants YYYY-MM-DD
        else:
            attributes[STANDARD.get(key, key)] = value
    return {k: v for k, v in attributes.items() if v is not None}


def _purchases(message: Mapping[str, Any], who: dict[str, Any], when: str) -> list[dict[str, Any]]:
    props = m.properties(message)
    currency = str(props.get("currency") or "USD").upper()
    purchases = []
    for product in props.get("products") or []:
        if not isinstance(product, dict):
            continue
        product_id = product.get("product_id") or product.get("sku") or product.get("id")
        if product_id is None or product.get("price") is None:
            continue  # Braze requires both; the event above still records the order
        extra = {
            k: v for k, v in product.items() if k not in ("product_id", "sku", "id", "price", "quantity")
        }
        purchases.append(
            {
                **who,
                "product_id": str(product_id),
                "currency": currency,
                "price": float(product["price"]),
                "quantity": int(product.get("quantity") or 1),
                "time": when,
                "properties": {**extra, "order_id": props.get("order_id")},
            }
        )
    return purchases
