"""From a parsed request payload to spool records: key resolution, enrichment, validation.

Kept apart from the HTTP layer so the whole per-request pipeline is one plain async call:
``await single_records(...)`` or ``await batch_records(...)`` returns the records to append
and the response summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from eventyard.collector import validate
from eventyard.collector.auth import body_write_key
from eventyard.collector.enrich import Received, RequestInfo, apply_batch_defaults, enrich, new_message_id
from eventyard.collector.parsing import RequestError
from eventyard.collector.writekeys import SourceKey, WriteKeyCache
from eventyard.json_nesting import depth

_KEY_ERRORS = {
    "unknown": ("invalid_write_key", "unknown write key"),
    "disabled": ("source_disabled", "the source of this write key is disabled"),
    "deleted": ("source_deleted", "the source of this write key has been deleted"),
}


@dataclass(slots=True)
class Intake:
    """The outcome of one request: spool records, per-source copies for the debugger, rejections."""

    records: list[bytes] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # parallel to records
    accepted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def response(self) -> dict[str, Any]:
        """``{"success": true}`` exactly when nothing was rejected, else the accounting."""
        if not self.rejected:
            return {"success": True}
        return {"success": True, "accepted": self.accepted, "rejected": self.rejected}


@dataclass(frozen=True, slots=True)
class Arrival:
    """Where a request came from and when, as both entry points need it: the Basic-auth key (if
    any), the write-key cache to resolve keys with, the receive time, channel and client IP."""

    basic_key: str | None
    keys: WriteKeyCache
    received_at: Received | datetime
    channel: str
    client_ip: str | None

    def info(self, source_id: str, **batch: Any) -> RequestInfo:
        """The enrichment input for a message of ``source_id`` (``batch``: a batch's defaults)."""
        return RequestInfo(self.received_at, source_id, self.channel, self.client_ip, **batch)


def key_error(source: SourceKey) -> RequestError:
    """The 401 for a key that does not resolve to an enabled source."""
    code, message = _KEY_ERRORS.get(source.status, _KEY_ERRORS["unknown"])
    return RequestError(401, code, message)


def missing_key() -> RequestError:
    """The 401 for a request that names no write key anywhere."""
    return RequestError(
        401, "missing_write_key", "no write key: use HTTP Basic auth or a writeKey field in the body"
    )


async def _resolve(keys: WriteKeyCache, key: str) -> SourceKey:
    hit = keys.cached(key)
    return hit if hit is not None else await keys.resolve(key)


def _record(source_id: str, received_iso: str, message: Any, code: str | None) -> bytes:
    rejected = validate.rejection(code) if code else None
    return orjson.dumps(
        {"sourceId": source_id, "receivedAt": received_iso, "message": message, "rejected": rejected}
    )


def _too_deep(item: Any) -> bool:
    """Whether serializing failed because of nesting (anything else is a bug of ours: re-raised)."""
    return depth(item) > validate.MAX_EVENT_DEPTH


def _process_one(
    intake: Intake,
    index: int,
    item: Any,
    info: RequestInfo,
    *,
    forced_type: str | None,
    check_size: bool,
    forced_code: str | None = None,
) -> None:
    """Enrich and validate one item, appending its record (accepted or rejected) to ``intake``."""
    code = forced_code
    if type(item) is not dict:
        code = "not_an_object"
        item = {"type": "invalid", "messageId": new_message_id(), "raw": item}
    else:
        if forced_type is not None:
            item["type"] = forced_type
        if code is None:
            code = validate.check_message_id(item)
        if code is None and check_size:
            try:
                if len(orjson.dumps(item)) > validate.MAX_EVENT_BYTES:
                    code = "event_too_large"
            except orjson.JSONEncodeError:
                if not _too_deep(item):
                    raise
                code = "event_too_deep"
    if info.has_batch_defaults:
        apply_batch_defaults(item, info)
    enrich(item, info)
    if code is None:
        code = validate.check_message(item)
    if code is not None and type(item.get("type")) is not str:
        item["type"] = "invalid"  # the landing envelope's type column is never null
    try:
        record = _record(info.source_id, info.received_at_iso, item, code)
    except orjson.JSONEncodeError:
        # Nested deeper than a record can hold (orjson.loads takes 1024 levels, dumps 255): this
        # event alone is rejected; the rest of its batch is stored as usual.
        if not _too_deep(item):
            raise
        code = "event_too_deep"
        record = _record(info.source_id, info.received_at_iso, validate.cut(item), code)
    intake.records.append(record)
    intake.sources.append(info.source_id)
    if code is None:
        intake.accepted += 1
    else:
        intake.rejected.append(
            {
                "index": index,
                "messageId": item.get("messageId"),
                "code": code,
                "reason": validate.REASONS[code],
            }
        )


async def single_records(
    payload: Any,
    *,
    event_type: str,
    arrival: Arrival,
) -> Intake:
    """Records for a single-message request (``/v1/track``, ``/v1/t``, pixel, ...)."""
    if type(payload) is not dict:
        raise RequestError(400, "invalid_request", "the body must be a JSON object")
    key = arrival.basic_key or body_write_key(payload)
    if key is None:
        raise missing_key()
    source = await _resolve(arrival.keys, key)
    if not source.ok:
        raise key_error(source)
    info = arrival.info(source.key)
    intake = Intake()
    _process_one(intake, 0, payload, info, forced_type=event_type, check_size=False)
    return intake


async def batch_records(
    payload: Any,
    *,
    body_size: int,
    arrival: Arrival,
) -> Intake:
    """Records for ``/v1/batch``, ``/v1/import`` and ``/v1/b``: every item accepted or rejected."""
    if type(payload) is not dict or type(payload.get("batch")) is not list:
        raise RequestError(400, "invalid_request", 'the body must be {"batch": [...]}')
    items: list[Any] = payload["batch"]
    context = payload.get("context")
    integrations = payload.get("integrations")

    def info_for(source_id: str) -> RequestInfo:
        return arrival.info(
            source_id,
            batch_sent_at=payload.get("sentAt"),
            batch_context=context if type(context) is dict else None,
            batch_integrations=integrations if type(integrations) is dict else None,
        )

    intake = Intake()
    # An item can only exceed the event limit if the whole body does.
    check_size = body_size > validate.MAX_EVENT_BYTES
    request_key = arrival.basic_key or body_write_key(payload)
    if request_key is not None:
        source = await _resolve(arrival.keys, request_key)
        if not source.ok:
            raise key_error(source)
        info = info_for(source.key)
        for index, item in enumerate(items):
            extra = "too_many_events" if index >= validate.MAX_BATCH_EVENTS else None
            _process_one(
                intake, index, item, info, forced_type=None, check_size=check_size, forced_code=extra
            )
        return intake
    return await _key_per_event(intake, items, arrival.keys, info_for, check_size)


async def _key_per_event(
    intake: Intake,
    items: list[Any],
    keys: WriteKeyCache,
    info_for: Callable[[str], RequestInfo],
    check_size: bool,
) -> Intake:
    """MetaRouter mobile SDKs: no header, no top-level key, a ``writeKey`` inside every event."""
    resolved: list[SourceKey | None] = []
    first_ok: SourceKey | None = None
    first_bad: SourceKey | None = None
    for item in items:
        key = body_write_key(item) if type(item) is dict else None
        source = await _resolve(keys, key) if key else None
        resolved.append(source)
        if source is not None and source.ok:
            first_ok = first_ok or source
        elif source is not None:
            first_bad = first_bad or source
    if first_ok is None:
        raise key_error(first_bad) if first_bad is not None else missing_key()
    infos: dict[str, RequestInfo] = {}
    for index, (item, source) in enumerate(zip(items, resolved, strict=True)):
        # Events whose own key fails are kept, rejected, under the request's first valid source.
        usable = source if source is not None and source.ok else first_ok
        info = infos.get(usable.key) or infos.setdefault(usable.key, info_for(usable.key))
        code = None if usable is source else "invalid_write_key"
        if index >= validate.MAX_BATCH_EVENTS:
            code = "too_many_events"
        _process_one(intake, index, item, info, forced_type=None, check_size=check_size, forced_code=code)
    return intake
