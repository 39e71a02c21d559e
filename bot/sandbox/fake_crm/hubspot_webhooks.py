"""Signed HubSpot webhook batches from the fake portal to the bot, optionally tampered.

The signature is made here independently of the bot's checker (so the two can't share
a mistake), as HubSpot's "Validating requests" guide describes v3: base64 of
HMAC-SHA256 with the app's client secret over method + full URI + body + timestamp
(milliseconds), sent as `X-HubSpot-Signature-v3` with `X-HubSpot-Request-Timestamp`.
HubSpot decodes twelve reserved characters (`: / ? @ ! $ ' ( ) * , ;`) in the URI
before signing. HubSpot sends at most 100 events per request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from enum import StrEnum
from typing import Any

import httpx

from .hubspot_store import FakeHubSpot

MAX_EVENTS_PER_REQUEST = 100
_RESERVED = frozenset(":/?@!$'()*,;")
STALE_MS = 6 * 60 * 1000


class Tamper(StrEnum):
    """Ways to spoil a delivery, for tests of the bot's checks."""

    STALE = "stale"  # correctly signed, but with a timestamp six minutes old
    FORGED = "forged"  # signed with the wrong secret
    BODY_CHANGED = "body_changed"  # signed, then the body altered in transit
    UNSIGNED = "unsigned"  # no signature headers at all


class HubSpotWebhookSender:
    """POSTs event arrays to `url` the way HubSpot does."""

    def __init__(
        self,
        store: FakeHubSpot,
        url: str,
        *,
        client_secret: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.store = store
        self.url = url
        self.client_secret = client_secret or store.client_secret
        self.timeout = timeout

    def sign(self, body: bytes, timestamp_ms: int, *, secret: str | None = None) -> dict[str, str]:
        uri = re.sub(r"%([0-9A-Fa-f]{2})", _decode_reserved, self.url)
        source = b"POST" + uri.encode() + body + str(timestamp_ms).encode()
        key = (secret or self.client_secret).encode()
        signature = base64.b64encode(hmac.new(key, source, hashlib.sha256).digest()).decode()
        return {
            "Content-Type": "application/json",
            "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/) (namespace: webhooks-nio)",
            "X-HubSpot-Signature-v3": signature,
            "X-HubSpot-Signature-Version": "v3",
            "X-HubSpot-Request-Timestamp": str(timestamp_ms),
        }

    def prepare(
        self,
        events: list[dict[str, Any]],
        *,
        tamper: Tamper | None = None,
        timestamp_ms: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of one delivery (not sent)."""
        if len(events) > MAX_EVENTS_PER_REQUEST:
            raise ValueError(f"HubSpot sends at most {MAX_EVENTS_PER_REQUEST} events at once")
        body = json.dumps(events, separators=(",", ":")).encode()
        stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        if tamper is Tamper.STALE:
            stamp -= STALE_MS
        secret = "not-the-app-secret" if tamper is Tamper.FORGED else None
        headers = self.sign(body, stamp, secret=secret)
        if tamper is Tamper.BODY_CHANGED:
            body = body.replace(b'"attemptNumber":0', b'"attemptNumber":1', 1) + b" "
        if tamper is Tamper.UNSIGNED:
            headers = {"Content-Type": "application/json"}
        return body, headers

    def send(
        self,
        events: list[dict[str, Any]] | None = None,
        *,
        tamper: Tamper | None = None,
        timestamp_ms: int | None = None,
    ) -> httpx.Response:
        """Send `events` (default: everything the portal queued since the last send)."""
        batch = self.store.take_events() if events is None else events
        body, headers = self.prepare(batch, tamper=tamper, timestamp_ms=timestamp_ms)
        return httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)

    async def asend(
        self,
        events: list[dict[str, Any]] | None = None,
        *,
        tamper: Tamper | None = None,
        timestamp_ms: int | None = None,
    ) -> httpx.Response:
        batch = self.store.take_events() if events is None else events
        body, headers = self.prepare(batch, tamper=tamper, timestamp_ms=timestamp_ms)
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            return await client.post(self.url, content=body, headers=headers)


def _decode_reserved(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char in _RESERVED else match.group()
