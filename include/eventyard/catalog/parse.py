"""Turning one raw catalog entry (a JSON object) into a `Destination`, checking it on the way.

The shape of entries and fields (keys, JSON types, enumerated values) is declared by the
pydantic models of :mod:`eventyard.catalog.documents`; the rules that relate several values
are here. Each problem is appended to an error list instead of raised, so that one load
reports every mistake in the data file at once.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from eventyard.catalog.device_mode import parse_device_mode
from eventyard.catalog.documents import (
    CONFIG_WORDING,
    CONNECTION_WORDING,
    ENTRY_WORDING,
    FIELD_WORDING,
    PROPERTY_NAME_RE,
    ConfigDocument,
    ConnectionDocument,
    EntryDocument,
    FieldDocument,
    Wording,
    shape_errors,
)
from eventyard.catalog.models import Destination, Field, Support
from eventyard.catalog.values import value_errors

# A field whose name says it holds a secret must be flagged secret, whatever the vendor docs say
# ("token" covers Mixpanel's project token; `deviceTokenEventName` ends in Name, so it is not one).
SECRET_NAME_RE = re.compile(r"(token|secret|password|credentials?)$", re.IGNORECASE)
# Secrets are typed into password boxes, or pasted as key files (textarea/json) or header maps.
SECRET_FIELD_TYPES = frozenset({"password", "textarea", "json", "map"})
# A field whose name says it picks a server must be flagged routing (``webhookUrl``, ``sshHost``,
# ``apiServer``, ``dataCenter``, ``residencyServer``, ``region``, ``port``): a new catalog entry is
# then covered by the connection re-pointing rule and the isolation suite without a hand list.
ROUTING_WORDS = frozenset(
    {"url", "host", "endpoint", "server", "region", "port", "center", "datacenter", "residency"}
)
_CAMEL_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")


def parse_entry(raw: Any, errors: list[str]) -> Destination | None:
    """The destination described by `raw`, or None after appending why it is invalid."""
    if not isinstance(raw, dict):
        errors.append(f"entry must be an object, got {type(raw).__name__}")
        return None
    before = len(errors)
    _, problems, wrong = shape_errors(EntryDocument, raw, ENTRY_WORDING, "entry", prefix_values=False)
    errors.extend(problems)
    # The rules below read the keys that passed; a wrong one reads as absent (already reported).
    ok = {key: value for key, value in raw.items() if key not in wrong}
    code, name, kind, status = (str(ok.get(key, "")) for key in ("code", "name", "kind", "status"))
    description, docs_url = str(ok.get("description", "")), str(ok.get("docsUrl", ""))
    reason = raw.get("statusReason", "")
    if status == "retired" and not (isinstance(reason, str) and reason.strip()):
        errors.append("a retired destination needs a statusReason")
    if status == "active" and reason:
        errors.append("an active destination must not have a statusReason")
    support = Support(**ok["support"]) if "support" in ok else None
    connection = _prototype(ok, "connectionPrototype", ConnectionDocument, CONNECTION_WORDING, errors)
    config = _prototype(ok, "configPrototype", ConfigDocument, CONFIG_WORDING, errors)
    prototype_id = str(connection.get("id", ""))
    connection_fields = _fields(connection.get("fields", []), "connectionPrototype", errors)
    config_fields = _fields(config.get("fields", []), "configPrototype", errors)
    for f in config_fields:
        if f.secret or f.routing:
            # Users may read and change configs; credentials and where they go belong in the connection.
            what = "secret" if f.secret else "routing"
            errors.append(
                f"configPrototype field {f.property_name!r} is {what}; such fields belong in the connection"
            )
    for f in connection_fields:
        if not f.routing and f.field_type != "boolean" and names_a_server(f.property_name):
            errors.append(
                f"connectionPrototype field {f.property_name!r}: its name says it picks a server, "
                "so it must be routing"
            )
    one_of = _one_of(connection.get("oneOf"), connection_fields, errors)
    names = [f.property_name for f in connection_fields + config_fields]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        errors.append(f"propertyName {dup!r} is declared more than once")
    for fields in (connection_fields, config_fields):
        spellings = [n for f in fields for n in (f.property_name, *f.aliases)]
        for f in fields:
            for alias in f.aliases:
                if spellings.count(alias) > 1:
                    errors.append(f"alias {alias!r} of {f.property_name!r} is another field's name or alias")
    if kind == "browser" and support is not None and (support.server or support.mobile):
        errors.append("a browser-only destination can only support client sources")
    device_mode = parse_device_mode(
        raw.get("deviceMode"),
        kind=kind,
        client=support is not None and support.client,
        fields=connection_fields + config_fields,
        errors=errors,
    )
    mode_field = device_mode.mode_field() if device_mode else None
    if mode_field is not None:
        if mode_field.property_name in names:
            errors.append(f"propertyName {mode_field.property_name!r} is reserved for deviceMode")
        config_fields = (mode_field, *config_fields)
    server_api, server_api_docs = _server_api(raw.get("serverApi"), kind, errors)
    if len(errors) > before or support is None:
        return None
    return Destination(
        code=code,
        name=name,
        kind=kind,
        support=support,
        status=status,
        status_reason=reason,
        description=description,
        connection_prototype_id=prototype_id,
        connection_fields=connection_fields,
        config_fields=config_fields,
        docs_url=docs_url,
        device_mode=device_mode,
        server_api=server_api,
        server_api_docs_url=server_api_docs,
        connection_one_of=one_of,
    )


def _prototype(
    entry: dict[str, Any],
    key: str,
    model: type[ConnectionDocument] | type[ConfigDocument],
    wording: Mapping[str, Wording],
    errors: list[str],
) -> dict[str, Any]:
    """The prototype object's keys that passed its model (problems appended); {} if absent."""
    raw = entry.get(key)
    if raw is None:
        return {}
    _, problems, wrong = shape_errors(model, raw, wording, key, prefix_values=False)
    errors.extend(problems)
    return {k: v for k, v in raw.items() if k not in wrong}


def _server_api(raw: Any, kind: str, errors: list[str]) -> tuple[str, str]:
    """``serverApi``: ``{"name": ..., "docsUrl": "https://..."}`` on an ``api`` destination."""
    if raw is None:
        return "", ""
    if not isinstance(raw, dict) or set(raw) != {"name", "docsUrl"}:
        errors.append("serverApi must be an object with exactly name and docsUrl")
        return "", ""
    name, docs = raw["name"], raw["docsUrl"]
    if (
        not isinstance(name, str)
        or not name.strip()
        or not isinstance(docs, str)
        or not docs.startswith("https://")
    ):
        errors.append("serverApi needs a non-empty name and an https:// docsUrl")
        return "", ""
    if kind != "api":
        errors.append("only api destinations are delivered through a serverApi")
    return name, docs


def parse_field(raw: Any, where: str, errors: list[str]) -> Field | None:
    """The field described by `raw` (inside `where`), or None after appending why it is invalid."""
    if not isinstance(raw, dict):
        errors.append(f"{where}: field must be an object, got {type(raw).__name__}")
        return None
    before = len(errors)
    name = raw.get("propertyName")
    if not isinstance(name, str) or not PROPERTY_NAME_RE.match(name):
        errors.append(f"{where}: propertyName {name!r} must be camelCase")
        return None
    where = f"{where} field {name!r}"
    doc, problems, _ = shape_errors(FieldDocument, raw, FIELD_WORDING, where, prefix_values=True)
    errors.extend(problems)
    if doc is None:
        return None
    before = len(errors)
    options, field_type, secret, public = tuple(doc.options), doc.field_type, doc.secret, doc.public
    if len(set(options)) != len(options):
        errors.append(f"{where}: options repeat a value")
    if field_type == "select" and not options:
        errors.append(f"{where}: a select field needs options")
    if options and field_type not in ("select", "array"):
        errors.append(f"{where}: only select and array fields take options")
    if field_type == "password" and not secret:
        errors.append(f"{where}: a password field must be secret")
    # `public`: the vendor itself publishes this value in every page that uses its browser tag
    # (Mixpanel's project token), so it is no secret whatever its name says.
    if public and (secret or not doc.description):
        errors.append(f"{where}: a public field is not secret and its description says why it is public")
    if SECRET_NAME_RE.search(name) and not secret and not public:
        errors.append(f"{where}: the name says it holds a secret, so it must be secret")
    if secret and field_type not in SECRET_FIELD_TYPES:
        errors.append(f"{where}: a secret field must be one of {sorted(SECRET_FIELD_TYPES)}")
    if name in doc.aliases:
        errors.append(f"{where}: aliases must be a list of other camelCase names")
    if len(errors) > before:
        return None
    field = Field(
        name,
        doc.label,
        field_type,
        doc.required,
        secret,
        None,
        options,
        doc.description,
        routing=doc.routing,
        aliases=tuple(doc.aliases),
        public=public,
    )
    if "default" in raw:
        _check_default(field, raw["default"], where, errors)
        field = dataclasses.replace(field, default=raw["default"])
    return field


def _check_default(field: Field, default: Any, where: str, errors: list[str]) -> None:
    if default is None:
        errors.append(f"{where}: omit default instead of setting it to null")
    elif field.required:
        errors.append(f"{where}: a required field must not have a default")
    elif field.secret:
        errors.append(f"{where}: a secret field must not have a default")
    else:
        errors.extend(f"{where}: default {msg}" for msg in value_errors(field, default))


def _fields(raw: list[Any], where: str, errors: list[str]) -> tuple[Field, ...]:
    parsed = (parse_field(item, where, errors) for item in raw)
    return tuple(f for f in parsed if f is not None)


def names_a_server(property_name: str) -> bool:
    """Whether a camelCase name has a word that names a server (``webhookUrl``, ``sshPort``, ...)."""
    return bool(ROUTING_WORDS.intersection(w.lower() for w in _CAMEL_WORD.findall(property_name)))


def _one_of(raw: Any, fields: tuple[Field, ...], errors: list[str]) -> tuple[tuple[str, ...], ...]:
    """The connection's alternative field sets (``oneOf``), checked: known names, disjoint sets."""
    if raw is None:
        return ()
    known = {f.property_name for f in fields}
    if not isinstance(raw, list) or len(raw) < 2 or not all(isinstance(g, list) and g for g in raw):
        errors.append("connectionPrototype oneOf must list at least two non-empty lists of propertyNames")
        return ()
    groups = tuple(tuple(str(n) for n in group) for group in raw)
    names = [n for group in groups for n in group]
    for name in sorted(set(names)):
        if name not in known:
            errors.append(f"connectionPrototype oneOf names {name!r}, which is not a connection field")
        elif names.count(name) > 1:
            errors.append(f"connectionPrototype oneOf lists {name!r} in more than one set")
    return groups
