"""HubSpot error answers mapped to `bot.crm.errors` exceptions.

HubSpot's error body is `{status: "error", message, correlationId, category, errors?}`
(e.g. category INVALID_AUTHENTICATION on 401, MISSING_SCOPES on 403 with
`errors[].context.requiredGranularScopes`, VALIDATION_ERROR on 400, OBJECT_NOT_FOUND on
404). A 429 body carries `errorType: "RATE_LIMIT"` and `policyName` (SECONDLY,
TEN_SECONDLY_ROLLING, DAILY) next to `X-HubSpot-RateLimit-*` headers; HubSpot's usage
guidelines don't promise a Retry-After header, so the wait falls back to the policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from bot.crm.errors import (
    CrmAuthFailed,
    CrmError,
    CrmNotFound,
    CrmPermanent,
    CrmRateLimited,
    CrmUnavailable,
)

VENDOR = "hubspot"
# Waits for a 429 that carries no Retry-After header, by the policy that was hit.
# HubSpot names the policy but not the wait; the daily limit resets at the account's
# midnight, which we can't see, so we look again in an hour.
POLICY_RETRY_SECONDS = {"SECONDLY": 1.0, "TEN_SECONDLY_ROLLING": 10.0, "DAILY": 3600.0}
DEFAULT_RETRY_SECONDS = 10.0


def error_from_response(response: httpx.Response) -> CrmError:
    """The exception for a HubSpot error answer (any status >= 300 except 207)."""
    body = _json_object(response)
    status = response.status_code
    message = str(body.get("message") or response.reason_phrase or f"HTTP {status}")
    correlation_id = body.get("correlationId") or response.headers.get("x-hubspot-correlation-id")
    code = body.get("category") or body.get("errorType")
    kwargs: dict[str, Any] = {
        "vendor": VENDOR,
        "status": status,
        "code": code,
        "correlation_id": correlation_id,
    }
    if status == 429:
        retry_after = _retry_after(response, body.get("policyName"))
        kwargs["code"] = body.get("policyName") or code or "RATE_LIMIT"
        return CrmRateLimited(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return CrmUnavailable(message, **kwargs)
    if status == 401:
        return CrmAuthFailed(message, **kwargs)
    if status == 404:
        return CrmNotFound(message, **kwargs)
    if status == 403 and code == "MISSING_SCOPES":
        required = _required_scopes(body)
        if required:
            message = f"{message} Required scopes: {', '.join(required)}."
    return CrmPermanent(message, **kwargs)


def _retry_after(response: httpx.Response, policy: object) -> float:
    header = response.headers.get("retry-after")
    if header is not None:
        try:
            return max(float(header), 0.0)
        except ValueError:
            pass  # an HTTP-date; fall back to the policy
    if isinstance(policy, str) and policy in POLICY_RETRY_SECONDS:
        return POLICY_RETRY_SECONDS[policy]
    interval = response.headers.get("x-hubspot-ratelimit-interval-milliseconds")
    if interval is not None and interval.isdigit():
        return int(interval) / 1000
    return DEFAULT_RETRY_SECONDS


def _required_scopes(body: Mapping[str, Any]) -> list[str]:
    scopes: list[str] = []
    for error in body.get("errors") or []:
        context = error.get("context") or {}
        for key in ("requiredGranularScopes", "requiredScopes"):
            scopes.extend(str(s) for s in context.get(key) or [])
    return scopes


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
