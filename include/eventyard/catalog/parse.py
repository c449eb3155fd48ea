"""Turning one raw catalog entry (a JSON object) into a `Destination`, checking it on the way.

Each problem is appended to an error list instead of raised, so that one load reports every
mistake in the data file at once.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from eventyard.catalog.device_mode import parse_device_mode
from eventyard.catalog.models import FIELD_TYPES, KINDS, STATUSES, Destination, Field, Support
from eventyard.catalog.values import value_errors

CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PROTOTYPE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
PROPERTY_NAME_RE = re.compile(r"^[a-z][A-Za-z0-9]*$")
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

_ENTRY_KEYS = {
    "code",
    "name",
    "kind",
    "support",
    "status",
    "description",
    "connectionPrototype",
    "configPrototype",
}
_ENTRY_KEYS_OPTIONAL = {"statusReason", "docsUrl", "deviceMode", "serverApi"}
_FIELD_KEYS = {"propertyName", "label", "fieldType", "required", "secret"}
_FIELD_KEYS_OPTIONAL = {"default", "options", "description", "routing", "aliases", "public"}


def parse_entry(raw: Any, errors: list[str]) -> Destination | None:
    """The destination described by `raw`, or None after appending why it is invalid."""
    if not isinstance(raw, dict):
        errors.append(f"entry must be an object, got {type(raw).__name__}")
        return None
    before = len(errors)
    _check_keys(raw, _ENTRY_KEYS, _ENTRY_KEYS_OPTIONAL, "entry", errors)
    code = _text(raw, "code", errors)
    if code and not CODE_RE.match(code):
        errors.append(f"code {code!r} must be a lowercase slug (a-z, 0-9, _)")
    name = _text(raw, "name", errors)
    kind = _text(raw, "kind", errors)
    if kind and kind not in KINDS:
        errors.append(f"kind {kind!r} is not one of {sorted(KINDS)}")
    status = _text(raw, "status", errors)
    if status and status not in STATUSES:
        errors.append(f"status {status!r} is not one of {sorted(STATUSES)}")
    reason = raw.get("statusReason", "")
    if status == "retired" and not (isinstance(reason, str) and reason.strip()):
        errors.append("a retired destination needs a statusReason")
    if status == "active" and reason:
        errors.append("an active destination must not have a statusReason")
    description = _text(raw, "description", errors)
    if "\n" in description:
        errors.append("description must be one line")
    docs_url = raw.get("docsUrl", "")
    if not isinstance(docs_url, str) or (docs_url and not docs_url.startswith("https://")):
        errors.append("docsUrl must be an https:// URL")
    support = _support(raw.get("support"), errors)
    connection = raw.get("connectionPrototype")
    if not isinstance(connection, dict):
        errors.append("connectionPrototype must be an object with id and fields")
        connection = {}
    _check_keys(connection, {"id", "fields"}, {"oneOf"}, "connectionPrototype", errors)
    prototype_id = _text(connection, "id", errors, where="connectionPrototype")
    if prototype_id and not PROTOTYPE_ID_RE.match(prototype_id):
        errors.append(f"connectionPrototype id {prototype_id!r} must be lowercase (a-z 0-9 _ . -)")
    config = raw.get("configPrototype")
    if not isinstance(config, dict):
        errors.append("configPrototype must be an object with fields")
        config = {}
    _check_keys(config, {"fields"}, set(), "configPrototype", errors)
    connection_fields = _fields(connection.get("fields"), "connectionPrototype", errors)
    config_fields = _fields(config.get("fields"), "configPrototype", errors)
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
    _check_keys(raw, _FIELD_KEYS, _FIELD_KEYS_OPTIONAL, where, errors)
    label = _text(raw, "label", errors, where=where)
    field_type = _text(raw, "fieldType", errors, where=where)
    if field_type and field_type not in FIELD_TYPES:
        errors.append(f"{where}: fieldType {field_type!r} is not one of {sorted(FIELD_TYPES)}")
    required, secret = raw.get("required"), raw.get("secret")
    if not isinstance(required, bool) or not isinstance(secret, bool):
        errors.append(f"{where}: required and secret must be true or false")
    options = raw.get("options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) and o for o in options):
        errors.append(f"{where}: options must be a list of non-empty strings")
        options = []
    elif len(set(options)) != len(options):
        errors.append(f"{where}: options repeat a value")
    if field_type == "select" and not options:
        errors.append(f"{where}: a select field needs options")
    if options and field_type not in ("select", "array"):
        errors.append(f"{where}: only select and array fields take options")
    if field_type == "password" and secret is not True:
        errors.append(f"{where}: a password field must be secret")
    # `public`: the vendor itself publishes this value in every page that uses its browser tag
    # (Mixpanel's project token), so it is no secret whatever its name says.
    public = raw.get("public", False)
    if not isinstance(public, bool):
        errors.append(f"{where}: public must be true or false")
    elif public and (secret is not False or not raw.get("description")):
        errors.append(f"{where}: a public field is not secret and its description says why it is public")
    if SECRET_NAME_RE.search(name) and secret is not True and public is not True:
        errors.append(f"{where}: the name says it holds a secret, so it must be secret")
    if secret is True and field_type not in SECRET_FIELD_TYPES:
        errors.append(f"{where}: a secret field must be one of {sorted(SECRET_FIELD_TYPES)}")
    routing = raw.get("routing", False)
    if not isinstance(routing, bool):
        errors.append(f"{where}: routing must be true or false")
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(
        isinstance(a, str) and PROPERTY_NAME_RE.match(a) and a != name for a in aliases
    ):
        errors.append(f"{where}: aliases must be a list of other camelCase names")
        aliases = []
    description = raw.get("description", "")
    if not isinstance(description, str):
        errors.append(f"{where}: description must be a string")
    if len(errors) > before:
        return None
    field = Field(
        name,
        label,
        field_type,
        required is True,
        secret is True,
        None,
        tuple(options),
        description,
        routing=routing is True,
        aliases=tuple(aliases),
    )
    if public is True:
        field = dataclasses.replace(field, public=True)
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


def _fields(raw: Any, where: str, errors: list[str]) -> tuple[Field, ...]:
    if not isinstance(raw, list):
        errors.append(f"{where}: fields must be a list")
        return ()
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


def _support(raw: Any, errors: list[str]) -> Support | None:
    if not isinstance(raw, dict) or set(raw) != {"client", "server", "mobile"}:
        errors.append("support must be an object with exactly client, server and mobile")
        return None
    if not all(isinstance(v, bool) for v in raw.values()):
        errors.append("support flags must be true or false")
        return None
    return Support(client=raw["client"], server=raw["server"], mobile=raw["mobile"])


def _text(raw: dict[str, Any], key: str, errors: list[str], where: str = "") -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        errors.append(f"{where + ': ' if where else ''}{key} must be a non-empty string")
        return ""
    return value


def _check_keys(
    raw: dict[str, Any], required: set[str], optional: set[str], where: str, errors: list[str]
) -> None:
    unknown = sorted(set(raw) - required - optional)
    if unknown:
        errors.append(f"{where}: unknown keys {unknown} (allowed: {sorted(required | optional)})")
    missing = sorted(required - set(raw))
    if missing:
        errors.append(f"{where}: missing keys {missing}")
