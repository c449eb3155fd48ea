"""Loading the catalog data file and checking it as a whole.

The data (`destinations.json`, shipped as package data) is what `clickstreamPrototypes`
serves and what the delivery framework reads; a bad edit to it must fail loudly at load,
naming the entry, rather than surface later as a broken form or a lost event.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Any

from eventyard.catalog.catalog import Catalog
from eventyard.catalog.models import CALL_TYPES, CatalogError, Destination
from eventyard.catalog.parse import parse_entry

CATALOG_FILE = "destinations.json"
CATALOG_VERSION = 1

# The rows of MetaRouter's "Source/Destination Compatibility Matrix", spelled as there.
MATRIX_NAMES = frozenset(
    {
        "Acquisio", "Adobe Analytics", "Amazon Kinesis", "Amazon Redshift", "Amplitude", "Attribution",
        "Bloom Reach", "Braze", "Calq", "Clicky", "Criteo", "Customer.io", "DoubleClick", "Drift",
        "Facebook App Events", "Facebook Pixel", "Google AdWords", "Google Analytics", "Google BigQuery",
        "Google Tag Manager", "Google Firebase", "Heap Analytics", "Hotjar", "HubSpot", "Intercom", "Keen",
        "Kenshoo", "KISSmetrics", "Linkedin Insight Tag", "Lucky Orange", "Lytics", "Microsoft Ads",
        "Mixpanel", "Netmining", "Optimizely", "OutBrain", "Pebble Post", "Resonate", "Retention Science",
        "Rubicon", "S3 Event Logs", "Sailthru", "Taboola", "Twitter Ads", "VWO", "Webhooks", "Woopra",
    }
)  # fmt: skip
# Our own warehouses, beyond MetaRouter's list: code -> name.
OWN_WAREHOUSES = {"postgres": "Postgres", "duckdb": "DuckDB"}

# Options the delivery framework honours on every delivered destination: name -> (type, default).
COMMON_DELIVERY_FIELDS: dict[str, tuple[str, Any]] = {
    "eventAllowList": ("array", []),
    "eventDenyList": ("array", []),
    "callTypes": ("array", list(CALL_TYPES)),
}
# Input spellings of the common options (the seed document's createIntegration sends `events`).
COMMON_DELIVERY_ALIASES: dict[str, tuple[str, ...]] = {"eventAllowList": ("events",)}
# Options every warehouse load honours instead: name -> type.
WAREHOUSE_FIELDS = {
    "namespace": "input",
    "skipUsersTable": "boolean",
    "skipTracksTable": "boolean",
    # The Segment schema the daily A/A comparison reads (segment_compare; docs/aa-compare.md).
    "segmentSchema": "input",
}


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The packaged destination catalog, validated once and cached; raises CatalogError if invalid."""
    try:
        text = resources.files("eventyard.catalog").joinpath(CATALOG_FILE).read_text(encoding="utf-8")
        raw = json.loads(text)
    except (OSError, ValueError) as exc:
        raise CatalogError(f"cannot read the catalog file {CATALOG_FILE}: {exc}") from exc
    return build_catalog(raw)


def build_catalog(raw: Any) -> Catalog:
    """Validate raw catalog data (parsed JSON) and build a Catalog; CatalogError lists every problem."""
    if not isinstance(raw, dict) or not isinstance(raw.get("destinations"), list):
        raise CatalogError("the catalog must be an object with a 'destinations' list")
    if raw.get("version") != CATALOG_VERSION:
        raise CatalogError(f"catalog version {raw.get('version')!r} is not {CATALOG_VERSION}")
    errors: list[str] = []
    destinations: list[Destination] = []
    for index, entry in enumerate(raw["destinations"]):
        entry_errors: list[str] = []
        destination = parse_entry(entry, entry_errors)
        if destination is not None:
            _check_delivery_fields(destination, entry_errors)
            destinations.append(_with_common_aliases(destination))
        errors.extend(f"{_entry_label(index, entry)}: {e}" for e in entry_errors)
    errors.extend(_whole_catalog_errors(destinations))
    if errors:
        raise CatalogError("invalid destination catalog:\n  " + "\n  ".join(errors))
    return Catalog(destinations)


def _entry_label(index: int, entry: Any) -> str:
    code = entry.get("code") if isinstance(entry, dict) else None
    return f"destination #{index} ({code!r})" if code else f"destination #{index}"


def _check_delivery_fields(destination: Destination, errors: list[str]) -> None:
    config = {f.property_name: f for f in destination.config_fields}
    if destination.kind == "warehouse":
        for name, field_type in WAREHOUSE_FIELDS.items():
            if name not in config or config[name].field_type != field_type:
                errors.append(f"a warehouse needs the config field {name!r} ({field_type})")
        return
    for name, (field_type, default) in COMMON_DELIVERY_FIELDS.items():
        field = config.get(name)
        if field is None or field.field_type != field_type or field.default != default or field.required:
            errors.append(f"config field {name!r} must be an optional {field_type} defaulting to {default}")
    call_types = config.get("callTypes")
    if call_types is not None and call_types.options != CALL_TYPES:
        errors.append(f"config field 'callTypes' must offer exactly {list(CALL_TYPES)}")


def _with_common_aliases(destination: Destination) -> Destination:
    """Give the common delivery options their seed spellings, so every entry (new ones too) takes them."""
    fields = tuple(
        dataclasses.replace(f, aliases=tuple(dict.fromkeys((*f.aliases, *COMMON_DELIVERY_ALIASES[name]))))
        if (name := f.property_name) in COMMON_DELIVERY_ALIASES and destination.kind != "warehouse"
        else f
        for f in destination.config_fields
    )
    return dataclasses.replace(destination, config_fields=fields)


def _whole_catalog_errors(destinations: list[Destination]) -> list[str]:
    errors: list[str] = []
    for attribute, what in (
        ("code", "code"),
        ("name", "name"),
        ("connection_prototype_id", "connectionPrototype id"),
    ):
        values = [getattr(d, attribute) for d in destinations]
        errors.extend(f"{what} {v!r} is used by more than one destination" for v in _repeated(values))
    names = {d.name for d in destinations}
    expected = MATRIX_NAMES | set(OWN_WAREHOUSES.values())
    if missing := sorted(expected - names):
        errors.append(f"destinations missing from the catalog: {missing}")
    if extra := sorted(names - expected):
        errors.append(f"destinations not on the compatibility matrix: {extra}")
    by_code = {d.code: d for d in destinations}
    for code, name in OWN_WAREHOUSES.items():
        own = by_code.get(code)
        if own is not None and (own.name != name or own.kind != "warehouse"):
            errors.append(f"destination {code!r} must be the warehouse named {name!r}")
    return errors


def _repeated(values: list[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)
