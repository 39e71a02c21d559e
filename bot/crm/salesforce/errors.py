"""Salesforce error answers mapped to `bot.crm.errors` exceptions.

REST errors are a JSON array `[{message, errorCode, fields}]` (REST API Developer
Guide, "Status Codes and Error Responses"): 401 INVALID_SESSION_ID for an expired or
revoked token; 403 REQUEST_LIMIT_EXCEEDED when the org's API request limit is used up
(other 403s are permissions); 400 MALFORMED_QUERY / INVALID_FIELD / INVALID_TYPE;
404 NOT_FOUND. The OAuth token endpoint answers `{error, error_description}` instead
(invalid_client, invalid_grant, unsupported_grant_type).
"""

from __future__ import annotations

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

VENDOR = "salesforce"
# REQUEST_LIMIT_EXCEEDED names no wait: the daily limit is a rolling 24 hours and the
# concurrency limit clears when long requests finish. A minute is a guess that keeps a
# poller from hammering an exhausted org.
REQUEST_LIMIT_RETRY_SECONDS = 60.0


def first_error(response: httpx.Response) -> tuple[str | None, str]:
    """The first `errorCode` and `message` of a REST error body."""
    try:
        data: Any = response.json()
    except ValueError:
        return None, response.reason_phrase or f"HTTP {response.status_code}"
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return data[0].get("errorCode"), str(data[0].get("message") or "")
    if isinstance(data, dict):
        return data.get("errorCode") or data.get("error"), str(
            data.get("message") or data.get("error_description") or ""
        )
    return None, response.reason_phrase or f"HTTP {response.status_code}"


def error_from_response(response: httpx.Response) -> CrmError:
    """The exception for a REST error answer (other than a session to refresh)."""
    status = response.status_code
    code, message = first_error(response)
    kwargs: dict[str, Any] = {"vendor": VENDOR, "status": status, "code": code}
    if code == "REQUEST_LIMIT_EXCEEDED":
        return CrmRateLimited(message, retry_after=REQUEST_LIMIT_RETRY_SECONDS, **kwargs)
    if status >= 500:
        return CrmUnavailable(message or "Salesforce is unavailable", **kwargs)
    if status == 401:
        return CrmAuthFailed(message or "session refused", **kwargs)
    if status == 404:
        return CrmNotFound(message or "not found", **kwargs)
    return CrmPermanent(message or f"HTTP {status}", **kwargs)


def token_error(response: httpx.Response) -> CrmError:
    """The exception for a failed client-credentials token request."""
    code, message = first_error(response)
    kwargs: dict[str, Any] = {"vendor": VENDOR, "status": response.status_code, "code": code}
    if response.status_code >= 500:
        return CrmUnavailable(message or "token endpoint unavailable", **kwargs)
    return CrmAuthFailed(f"token request refused: {message}", **kwargs)
