"""OAuth 2 for vendor APIs, in one place: refresh tokens exchanged for access tokens (RFC 6749
§6), access tokens cached until shortly before they expire, and a 401 answered by one refresh
and one resend.

Vendors whose API wants a short-lived bearer token (Google Ads, Campaign Manager 360, LinkedIn)
subclass ``OAuthIntegration`` and implement ``build_authorized_request(route, records, token)``.
The class sends through the engine's ``SdkIntegration`` hook because fetching a token is I/O the
pure ``build_request`` cannot do. The cache is per process and keyed by a hash of the token
endpoint, client id and refresh token, so every delivery cycle of an integration (and every
integration sharing credentials) reuses one access token until it expires.
"""

from __future__ import annotations

import abc
import asyncio
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import orjson

from eventyard.destinations.base import (
    Classification,
    HttpRequest,
    HttpResponse,
    Outcome,
    SdkIntegration,
    VendorRecord,
    default_classification,
    retry_after_seconds,
)
from eventyard.destinations.http import describe_transport_error, make_client, send_http
from eventyard.destinations.vendors import _message as m
from eventyard.errors import EventyardError

EXPIRY_MARGIN_SECONDS = 60.0  # refresh a little early: a token must not expire in flight
DEFAULT_LIFETIME_SECONDS = 3600.0  # when the server omits expires_in (RFC 6749 §5.1 allows it)
# Token-endpoint errors that no retry fixes (RFC 6749 §5.2): the credentials must be re-issued.
PERMANENT_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope"})


@dataclass(frozen=True)
class RefreshGrant:
    """Where and with what to exchange a refresh token for an access token."""

    token_url: str
    client_id: str
    client_secret: str
    refresh_token: str

    def cache_key(self) -> str:
        """A key that identifies the grant without holding its secrets."""
        return m.sha256_hex(f"{self.token_url}\n{self.client_id}\n{self.refresh_token}")


class TokenError(EventyardError):
    """The token endpoint refused or failed; ``retryable`` says whether waiting can help."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class TokenCache:
    """Access tokens by grant, valid until their expiry minus a margin (thread-safe: Airflow may
    run several integrations' cycles in threads of one worker)."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, grant: RefreshGrant, now: float | None = None) -> str | None:
        """The cached access token, or None when there is none or it is about to expire."""
        with self._lock:
            entry = self._tokens.get(grant.cache_key())
        current = time.time() if now is None else now
        if entry is None or entry[1] - EXPIRY_MARGIN_SECONDS <= current:
            return None
        return entry[0]

    def put(self, grant: RefreshGrant, token: str, expires_at: float) -> None:
        """Remember ``token`` until ``expires_at`` (epoch seconds)."""
        with self._lock:
            self._tokens[grant.cache_key()] = (token, expires_at)

    def invalidate(self, grant: RefreshGrant, token: str) -> None:
        """Forget ``token`` (the vendor answered 401), unless another refresh already replaced it."""
        with self._lock:
            entry = self._tokens.get(grant.cache_key())
            if entry is not None and entry[0] == token:
                del self._tokens[grant.cache_key()]

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._tokens.clear()


TOKENS = TokenCache()


async def refresh_access_token(
    client: httpx.AsyncClient, grant: RefreshGrant, timeout: float
) -> tuple[str, float]:
    """Exchange the refresh token (``grant_type=refresh_token``); returns (token, expiry epoch)."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": grant.refresh_token,
        "client_id": grant.client_id,
        "client_secret": grant.client_secret,
    }
    try:
        response = await client.post(
            grant.token_url, data=form, headers={"Accept": "application/json"}, timeout=timeout
        )
    except httpx.TransportError as exc:
        raise TokenError(f"token endpoint: {describe_transport_error(exc)}", retryable=True) from None
    body = m.body_json(response.content)
    body = body if isinstance(body, dict) else {}
    if response.status_code == 200 and isinstance(body.get("access_token"), str) and body["access_token"]:
        lifetime = body.get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else None
        return body["access_token"], time.time() + (seconds or DEFAULT_LIFETIME_SECONDS)
    error = str(body.get("error") or f"HTTP {response.status_code}")
    text = f"OAuth token refresh failed: {error}"
    if body.get("error_description"):
        text += f" ({body['error_description']})"
    status = response.status_code
    retryable = (status in (408, 429) or status >= 500) and error not in PERMANENT_ERRORS
    headers = {k.lower(): v for k, v in response.headers.items()}
    raise TokenError(text, retryable=retryable, retry_after=retry_after_seconds(headers))


class OAuthIntegration(SdkIntegration):
    """A vendor reached with an OAuth 2 bearer token: a static ``accessToken`` setting, or a
    refresh token exchanged at ``token_url`` (settings ``oauthClientId``, ``oauthClientSecret``,
    ``refreshToken``; the refresh token wins when both are set)."""

    token_url: ClassVar[str]
    tokens: ClassVar[TokenCache] = TOKENS

    def __init__(self, connection: Mapping[str, Any], config: Mapping[str, Any]) -> None:
        super().__init__(connection, config)
        self._client: httpx.AsyncClient | None = None
        self._lock: asyncio.Lock | None = None
        self._issued: set[str] = set()  # access tokens this instance used: redacted like secrets

    @abc.abstractmethod
    def build_authorized_request(
        self, route: str, records: Sequence[VendorRecord], access_token: str
    ) -> HttpRequest:
        """The HTTP request for a batch, carrying ``access_token``."""

    def build_request(self, route: str, records: Sequence[VendorRecord]) -> HttpRequest:
        """The request with the static ``accessToken`` (refresh-token grants need ``send``)."""
        token = m.text(m.setting(self, "accessToken"))
        if self.refresh_grant() is not None or not token:
            raise TypeError(f"{type(self).__name__} fetches its access token in send()")
        return self.build_authorized_request(route, records, token)

    def classify(self, response: HttpResponse, records: Sequence[VendorRecord]) -> Classification:
        """The default policy (vendors with partial-failure bodies override it)."""
        return default_classification(response)

    def refresh_grant(self) -> RefreshGrant | None:
        """The refresh-token grant of the settings, or None when a static token is configured."""
        refresh = m.text(m.setting(self, "refreshToken"))
        if not refresh:
            return None
        return RefreshGrant(
            self.token_url,
            m.required_setting(self, "oauthClientId"),
            m.required_setting(self, "oauthClientSecret"),
            refresh,
        )

    async def send(self, route: str, records: Sequence[VendorRecord]) -> Classification:
        """Authorize, send, and on a 401 refresh the token once and send again."""
        if self._client is None:
            self._client = make_client(8)
        grant = self.refresh_grant()
        try:
            token = await self._access_token(grant)
            response = await self._send_once(route, records, token)
            if response.status == 401 and grant is not None:
                self.tokens.invalidate(grant, token)
                token = await self._access_token(grant)
                response = await self._send_once(route, records, token)
        except TokenError as exc:
            outcome = Outcome.RETRY if exc.retryable else Outcome.DROP
            return Classification(outcome, error=str(exc), retry_after=exc.retry_after)
        except httpx.TransportError as exc:
            return Classification(Outcome.RETRY, error=describe_transport_error(exc))
        return self.classify(response, records)

    async def _send_once(self, route: str, records: Sequence[VendorRecord], token: str) -> HttpResponse:
        assert self._client is not None
        request = self.build_authorized_request(route, records, token)
        return await send_http(self._client, request, self.timeout_seconds)

    async def _access_token(self, grant: RefreshGrant | None) -> str:
        if grant is None:
            token = m.text(m.setting(self, "accessToken"))
            if not token:
                raise TokenError(
                    f"{self.code}: set either refreshToken (with oauthClientId and oauthClientSecret) "
                    "or accessToken",
                    retryable=False,
                )
            return token
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one refresh at a time; the others then find the new token
            token = self.tokens.get(grant)
            if token is None:
                assert self._client is not None
                token, expires_at = await refresh_access_token(self._client, grant, self.timeout_seconds)
                self.tokens.put(grant, token, expires_at)
        self._issued.add(token)
        return token

    def redact(self, text: str) -> str:
        """Secret settings and every access token this instance used."""
        for token in self._issued:
            text = text.replace(token, "********")
        return super().redact(text)

    async def aclose(self) -> None:
        """Close the HTTP client of this cycle."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def json_request(url: str, body: object, headers: dict[str, str]) -> HttpRequest:
    """A JSON POST."""
    return HttpRequest("POST", url, {"Content-Type": "application/json", **headers}, orjson.dumps(body))
