"""The shape of the catalog document, as pydantic models, and its errors in the catalog's words.

pydantic checks what every entry and field must look like (which keys, which JSON types,
which enumerated values) and reports every problem of an object at once; ``shape_errors``
turns them into the one-line messages the loader has always printed. The rules that relate
several values (a password field is secret, a retired entry says why, ...) stay in
:mod:`eventyard.catalog.parse`, which runs them on the keys that passed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError
from pydantic import Field as Key
from pydantic_core import ErrorDetails

from eventyard.catalog.models import FIELD_TYPES, KINDS, STATUSES

CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
PROTOTYPE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
PROPERTY_NAME_RE = re.compile(r"^[a-z][A-Za-z0-9]*$")

Text = Annotated[str, StringConstraints(pattern=r"\S")]  # a non-empty string
PropertyName = Annotated[str, StringConstraints(pattern=PROPERTY_NAME_RE.pattern)]
Option = Annotated[str, StringConstraints(min_length=1)]
# Every document object refuses unknown keys (a typo is an error, not a silently ignored key)
# and takes JSON types as they are (no "true" for true).
STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


class SupportDocument(BaseModel):
    """``support``: which source families the destination accepts."""

    model_config = STRICT
    client: bool
    server: bool
    mobile: bool


class FieldDocument(BaseModel):
    """One field of a ``connectionPrototype`` or ``configPrototype``."""

    model_config = STRICT
    property_name: PropertyName = Key(alias="propertyName")
    label: Text
    field_type: Literal[tuple(sorted(FIELD_TYPES))] = Key(alias="fieldType")  # type: ignore[valid-type]
    required: bool
    secret: bool
    default: Any = None
    options: list[Option] = []  # lists: strict mode takes JSON arrays as lists only
    description: str = ""
    routing: bool = False
    aliases: list[PropertyName] = []
    public: bool = False


class ConnectionDocument(BaseModel):
    """``connectionPrototype``: its id, its fields (checked one by one) and alternative sets."""

    model_config = STRICT
    id: Annotated[str, StringConstraints(pattern=PROTOTYPE_ID_RE.pattern)]
    fields: list[Any]
    one_of: Any = Key(None, alias="oneOf")


class ConfigDocument(BaseModel):
    """``configPrototype``: its fields (checked one by one)."""

    model_config = STRICT
    fields: list[Any]


class EntryDocument(BaseModel):
    """One destination of the catalog; the prototypes, ``deviceMode`` and ``serverApi`` are
    checked by their own models and functions."""

    model_config = STRICT
    code: Annotated[str, StringConstraints(pattern=CODE_RE.pattern)]
    name: Text
    kind: Literal[tuple(sorted(KINDS))]  # type: ignore[valid-type]
    support: SupportDocument
    status: Literal[tuple(sorted(STATUSES))]  # type: ignore[valid-type]
    status_reason: Any = Key("", alias="statusReason")
    description: Annotated[str, StringConstraints(pattern=r"^[^\n]*\S[^\n]*$")]
    docs_url: Annotated[str, StringConstraints(pattern=r"^(https://.*)?$")] = Key("", alias="docsUrl")
    connection_prototype: dict[str, Any] = Key(alias="connectionPrototype")
    config_prototype: dict[str, Any] = Key(alias="configPrototype")
    device_mode: Any = Key(None, alias="deviceMode")
    server_api: Any = Key(None, alias="serverApi")


# How a wrong value of a key is worded: from the value as given (and the error, when it matters).
Wording = Callable[[Any, ErrorDetails], str]


def _text(key: str, rule: str = "") -> Wording:
    """ "<key> must be a non-empty string", or ``rule`` (formatted with the value) for a string."""

    def word(value: Any, error: ErrorDetails) -> str:
        if rule and isinstance(value, str) and value.strip():
            return rule.format(value=value)
        return f"{key} must be a non-empty string"

    return word


def _fixed(message: str) -> Wording:
    return lambda value, error: message


ENTRY_WORDING: dict[str, Wording] = {
    "code": _text("code", "code {value!r} must be a lowercase slug (a-z, 0-9, _)"),
    "name": _text("name"),
    "kind": _text("kind", "kind {value!r} is not one of " + str(sorted(KINDS))),
    "status": _text("status", "status {value!r} is not one of " + str(sorted(STATUSES))),
    "description": _text("description", "description must be one line"),
    "docsUrl": _fixed("docsUrl must be an https:// URL"),
    "support": lambda value, error: (
        "support flags must be true or false"
        if isinstance(value, dict) and set(value) == {"client", "server", "mobile"}
        else "support must be an object with exactly client, server and mobile"
    ),
    "connectionPrototype": _fixed("connectionPrototype must be an object with id and fields"),
    "configPrototype": _fixed("configPrototype must be an object with fields"),
}
CONNECTION_WORDING: dict[str, Wording] = {
    "id": _text(
        "connectionPrototype: id", "connectionPrototype id {value!r} must be lowercase (a-z 0-9 _ . -)"
    ),
    "fields": _fixed("connectionPrototype: fields must be a list"),
}
CONFIG_WORDING: dict[str, Wording] = {"fields": _fixed("configPrototype: fields must be a list")}
FIELD_WORDING: dict[str, Wording] = {
    "label": _text("label"),
    "fieldType": _text("fieldType", "fieldType {value!r} is not one of " + str(sorted(FIELD_TYPES))),
    "required": _fixed("required and secret must be true or false"),
    "secret": _fixed("required and secret must be true or false"),
    "options": _fixed("options must be a list of non-empty strings"),
    "description": _fixed("description must be a string"),
    "routing": _fixed("routing must be true or false"),
    "aliases": _fixed("aliases must be a list of other camelCase names"),
    "public": _fixed("public must be true or false"),
}


M = TypeVar("M", bound=BaseModel)


def shape_errors(
    model: type[M], raw: Mapping[str, Any], wording: Mapping[str, Wording], where: str, *, prefix_values: bool
) -> tuple[M | None, list[str], set[str]]:
    """``raw`` checked against ``model``: the instance (None when anything is wrong), every
    problem in the catalog's words, and the keys that were wrong. Unknown and missing keys are
    reported after ``where``; wrong values too when ``prefix_values`` (else their wording
    names its place itself)."""
    try:
        return model.model_validate(raw), [], set()
    except ValidationError as exc:
        details = exc.errors()
    prefix = f"{where}: "
    unknown = sorted(str(e["loc"][0]) for e in details if e["type"] == "extra_forbidden")
    missing = sorted(str(e["loc"][0]) for e in details if e["type"] == "missing" and len(e["loc"]) == 1)
    allowed = sorted(f.alias or name for name, f in model.model_fields.items())
    messages = []
    if unknown:
        messages.append(f"{prefix}unknown keys {unknown} (allowed: {allowed})")
    if missing:
        messages.append(f"{prefix}missing keys {missing}")
    wrong: set[str] = set(unknown) | set(missing)
    for error in details:
        key = str(error["loc"][0])
        if key in unknown or (key in missing and len(error["loc"]) == 1):
            continue
        wrong.add(key)
        message = (prefix if prefix_values else "") + wording[key](raw.get(key), error)
        if message not in messages:
            messages.append(message)
    return None, messages, wrong
