"""Mixpanel: events to ``/import`` (any age, strict validation), profiles to ``/engage``,
group profiles to ``/groups``.

``$insert_id`` = the last 36 characters of messageId (Mixpanel's limit; it dedupes on it),
``time`` in milliseconds. Simplified ID Merge (default): ``distinct_id`` = userId or
``$device:<anonymousId>`` with ``$device_id``/``$user_id``; Original ID Merge: userId or
anonymousId, and alias sends ``$create_alias``. identify updates the profile when ``people`` is
on (documented skip otherwise); group sets the group key on the profile and the group's traits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from eventyard.destinations import base
from eventyard.destinations.vendors import _message as m

HOSTS = {
    "us": "https://api.mixpanel.com",
    "eu": "https://api-eu.mixpanel.com",
    "in": "https://api-in.mixpanel.com",
}
ROUTE_LIMITS = {"import": 2000, "engage": 2000, "groups": 200}
SPECIAL_TRAITS = {
    "email": "$email",
    "firstName": "$first_name",
    "lastName": "$last_name",
    "name": "$name",
    "phone": "$phone",
    "createdAt": "$created",
    "avatar": "$avatar",
}


class Mixpanel(base.Integration):
    """Mixpanel analytics."""

    code = "mixpanel"
    max_batch_events = 2000
    max_batch_bytes = 9_000_000  # /import takes 10 MB uncompressed
    secret_settings = frozenset({"token", "serviceAccountSecret"})
    base_url = ""

    def __init__(self, connection: Mapping[str, Any], config: Mapping[str, Any]) -> None:
        super().__init__(connection, config)
        self.token = str(self.connection.get("token") or "")
        if not self.base_url:
            self.base_url = HOSTS.get(str(self.connection.get("dataResidency") or "us"), HOSTS["us"])
        self.original_merge = self.config.get("identityMergeApi") == "original"

    def batch_limit(self, route: str) -> int:
        """2,000 per /import and /engage request, 200 per /groups request."""
        return ROUTE_LIMITS.get(route, self.max_batch_events)

    def transform(self, message: Mapping[str, Any]) -> Sequence[base.VendorRecord]:
        """track/page/screen → event; identify → profile; group → profile + group; alias → $create_alias."""
        message_id = m.message_id(message)
        call_type = message.get("type")
        distinct_id = self._distinct_id(message)
        if call_type in ("track", "page", "screen"):
            return [base.VendorRecord(message_id, self._event(message, message_id, distinct_id), "import")]
        if call_type == "identify":
            if not self.config.get("people"):
                raise base.SkipMessage("people profiles are turned off (setting 'people')")
            update = {"$token": self.token, "$distinct_id": distinct_id, "$set": _profile(m.traits(message))}
            ip = m.context(message).get("ip")
            if ip:
                update["$ip"] = ip
            return [base.VendorRecord(message_id, update, "engage")]
        if call_type == "group":
            group_id = message.get("groupId")
            if not group_id:
                raise base.InvalidMessage("group has no groupId")
            key = self._group_key()
            records = [
                base.VendorRecord(
                    message_id,
                    {
                        "$token": self.token,
                        "$group_key": key,
                        "$group_id": str(group_id),
                        "$set": m.traits(message),
                    },
                    "groups",
                )
            ]
            if self.config.get("people"):
                profile = {
                    "$token": self.token,
                    "$distinct_id": distinct_id,
                    "$union": {key: [str(group_id)]},
                }
                records.append(base.VendorRecord(message_id, profile, "engage"))
            return records
        if call_type == "alias":
            if not self.original_merge:
                raise base.SkipMessage("Simplified ID Merge links ids from events; alias is not needed")
            previous, user = m.text(message.get("previousId")), m.user_id(message)
            if not previous or not user:
                raise base.InvalidMessage("alias needs previousId and userId")
            event = {
                "event": "$create_alias",
                "properties": {
                    "distinct_id": previous,
                    "alias": user,
                    "token": self.token,
                    "time": m.unix_ms(m.event_time(message)),
                    "$insert_id": message_id[-36:],
                },
            }
            return [base.VendorRecord(message_id, event, "import")]
        raise base.SkipMessage(f"Mixpanel does not take {call_type!r} calls")

    def _distinct_id(self, message: Mapping[str, Any]) -> str:
        user, anonymous = m.user_id(message), m.anonymous_id(message)
        if user:
            return user
        if anonymous:
            return anonymous if self.original_merge else f"$device:{anonymous}"
        if message.get("type") == "alias" and m.text(message.get("previousId")):
            return str(message["previousId"])
        raise base.InvalidMessage("Mixpanel needs userId or anonymousId")

    def _event(self, message: Mapping[str, Any], message_id: str, distinct_id: str) -> dict[str, Any]:
        call_type = message.get("type")
        if call_type == "track":
            name = str(message.get("event") or "").strip()
            if not name:
                raise base.InvalidMessage("track has no event name")
        else:
            name = m.page_name(message, "Page" if call_type == "page" else "Screen")
        ctx = m.context(message)
        properties: dict[str, Any] = dict(m.properties(message))
        if not self.config.get("dropTraitsInTrackEvent"):
            for key, value in m.user_traits(message).items():
                properties.setdefault(key, value)
        properties.update(
            {
                "token": self.token,
                "distinct_id": distinct_id,
                "time": m.unix_ms(m.event_time(message)),
                "$insert_id": message_id[-36:],
                "mp_lib": "eventyard",
            }
        )
        if m.anonymous_id(message):
            properties["$device_id"] = m.anonymous_id(message)
        if m.user_id(message):
            properties["$user_id"] = m.user_id(message)
        page = ctx.get("page") if isinstance(ctx.get("page"), Mapping) else {}
        os_ = ctx.get("os") if isinstance(ctx.get("os"), Mapping) else {}
        campaign = ctx.get("campaign") if isinstance(ctx.get("campaign"), Mapping) else {}
        extra = {
            "ip": ctx.get("ip"),
            "$os": os_.get("name"),
            "$current_url": page.get("url"),
            "$referrer": page.get("referrer"),
            **{f"utm_{k}": v for k, v in campaign.items() if k in ("source", "medium", "term", "content")},
        }
        if campaign.get("name"):
            extra["utm_campaign"] = campaign["name"]
        properties.update({k: v for k, v in extra.items() if v not in (None, "")})
        return {"event": name, "properties": properties}

    def _group_key(self) -> str:
        keys = self.config.get("groupKeySettings")
        for item in keys if isinstance(keys, list) else []:
            key = item.get("groupKey") if isinstance(item, Mapping) else item
            if isinstance(key, str) and key:
                return key
        return "company"

    def build_request(self, route: str, records: Sequence[base.VendorRecord]) -> base.HttpRequest:
        """/import with Basic auth (service account or project token); /engage, /groups verbose."""
        body = orjson.dumps([r.payload for r in records])
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if route == "import":
            user, secret = (
                self.connection.get("serviceAccountUserName"),
                self.connection.get("serviceAccountSecret"),
            )
            headers["Authorization"] = (
                m.basic_auth(str(user), str(secret)) if user and secret else m.basic_auth(self.token)
            )
            strict = "1" if self.config.get("strictMode", True) else "0"
            project = self.connection.get("projectId")
            query = f"strict={strict}" + (f"&project_id={project}" if project else "")
            return base.HttpRequest("POST", f"{self.base_url}/import?{query}", headers, body)
        return base.HttpRequest("POST", f"{self.base_url}/{route}?verbose=1", headers, body)

    def classify(
        self, response: base.HttpResponse, records: Sequence[base.VendorRecord]
    ) -> base.Classification:
        """/import 400 lists ``failed_records`` (the rest were imported); /engage says ``status: 0``."""
        body = m.body_json(response.body)
        if (
            response.status == 400
            and isinstance(body, Mapping)
            and isinstance(body.get("failed_records"), list)
        ):
            failed = {
                int(item["index"]): f"{item.get('field', '')}: {item.get('message', '')}".strip(": ")
                for item in body["failed_records"]
                if isinstance(item, Mapping) and isinstance(item.get("index"), int)
            }
            if failed:
                return base.Classification(base.Outcome.PARTIAL, error=m.short(response.body), failed=failed)
        if 200 <= response.status < 300 and isinstance(body, Mapping) and body.get("status") in (0, "0"):
            return base.Classification(base.Outcome.DROP, error=f"Mixpanel refused: {body.get('error')}")
        return base.default_classification(response)


def _profile(traits: Mapping[str, Any]) -> dict[str, Any]:
    """Traits with Mixpanel's reserved profile names ($email, $first_name, ...)."""
    return {SPECIAL_TRAITS.get(key, key): value for key, value in traits.items()}
