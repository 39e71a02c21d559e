"""Checking and reading HubSpot webhook requests (signature v3, CRM object events).

HubSpot's "Validating requests" guide (v3): the `X-HubSpot-Signature-v3` header is
base64(HMAC-SHA256(client secret, method + URI + body + timestamp)), where the
timestamp is the `X-HubSpot-Request-Timestamp` header in milliseconds since the epoch
and the URI is the full URL HubSpot called (scheme, host, path and query) with twelve
percent-encoded characters decoded first (`%3A : %2F / %3F ? %40 @ %21 ! %24 $ %27 '
%28 ( %29 ) %2A * %2C , %3B ;`). Requests whose timestamp is older than five minutes
must be rejected.

An event batch is a JSON array of `{eventId, subscriptionId, portalId, appId,
occurredAt, subscriptionType, attemptNumber, objectId, changeSource, changeFlag,
propertyName, propertyValue, ...}`; merges add `primaryObjectId` and `mergedObjectIds`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_AGE_MS = 5 * 60 * 1000
_URI_DECODES = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_URI_ENCODED = re.compile("|".join(_URI_DECODES), re.IGNORECASE)
# HubSpot only says to reject old timestamps; one far in the future is as suspect (a
# replay with a forged clock), so the same window applies both ways.
MAX_FUTURE_MS = MAX_AGE_MS


class WebhookEvent(BaseModel):
    """One event of a batch, e.g. subscription_type "contact.propertyChange"."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    event_id: int = Field(alias="eventId")
    subscription_type: str = Field(alias="subscriptionType")
    object_id: int = Field(alias="objectId")
    occurred_at: int = Field(alias="occurredAt")  # epoch milliseconds
    portal_id: int = Field(alias="portalId")
    attempt_number: int = Field(default=0, alias="attemptNumber")
    subscription_id: int | None = Field(default=None, alias="subscriptionId")
    app_id: int | None = Field(default=None, alias="appId")
    property_name: str | None = Field(default=None, alias="propertyName")
    property_value: str | None = Field(default=None, alias="propertyValue")
    change_source: str | None = Field(default=None, alias="changeSource")
    primary_object_id: int | None = Field(default=None, alias="primaryObjectId")
    merged_object_ids: list[int] = Field(default_factory=list, alias="mergedObjectIds")


class WebhookBodyError(ValueError):
    """The body isn't a HubSpot event array."""


def verify_webhook_signature(
    secret: str,
    method: str,
    uri: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: datetime,
) -> str | None:
    """None if the request is HubSpot's, else what is wrong with it (for a log line).

    `uri` must be the URL exactly as HubSpot called it (behind a proxy, the public one).
    """
    if not signature:
        return "missing X-HubSpot-Signature-v3 header"
    if not timestamp:
        return "missing X-HubSpot-Request-Timestamp header"
    if not timestamp.isdigit():
        return f"timestamp {timestamp!r} is not milliseconds since the epoch"
    age_ms = int(now.timestamp() * 1000) - int(timestamp)
    if age_ms > MAX_AGE_MS:
        return f"timestamp is {age_ms // 1000}s old (more than 5 minutes)"
    if -age_ms > MAX_FUTURE_MS:
        return f"timestamp is {-age_ms // 1000}s in the future (more than 5 minutes)"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "body is not UTF-8"
    signed_uri = _URI_ENCODED.sub(lambda m: _URI_DECODES[m.group().upper()], uri)
    source = f"{method.upper()}{signed_uri}{text}{timestamp}".encode()
    expected = base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature.strip().encode()):
        return "signature does not match"
    return None


def parse_webhook_events(body: bytes) -> list[WebhookEvent]:
    """The events of a (verified) webhook body; raises WebhookBodyError if malformed."""
    try:
        data: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise WebhookBodyError(f"body is not JSON: {exc}") from exc
    if not isinstance(data, list):
        raise WebhookBodyError("body is not a JSON array of events")
    try:
        return [WebhookEvent.model_validate(item) for item in data]
    except ValidationError as exc:
        raise WebhookBodyError(f"not a HubSpot event: {exc.errors()[0]['msg']}") from exc
