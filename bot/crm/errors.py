"""One exception hierarchy for every CRM client, and the retry rule that goes with it.

The clients never sleep and never retry on their own (except Salesforce's one token
refresh): they raise one of these, and the caller (the outbox worker, the poller)
decides when to try again. Each error carries what a log line or `/healthz` needs:
the vendor, the HTTP status, the vendor's error code and message, and HubSpot's
correlation id. None of them ever holds a token or a client secret.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# Exponential backoff for CrmUnavailable: 2s, 4s, 8s ... capped at five minutes.
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0


class CrmError(Exception):
    """Base class: a CRM call failed. `vendor` is "hubspot" or "salesforce"."""

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        status: int | None = None,
        code: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.status = status
        self.code = code
        self.correlation_id = correlation_id

    def describe(self) -> str:
        """One line for logs and health checks: vendor, status, code, message, correlation id."""
        parts = [self.vendor]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(self.code)
        text = " ".join(parts) + f": {self.message}"
        if self.correlation_id:
            text += f" (correlation id {self.correlation_id})"
        return text

    def __str__(self) -> str:
        return self.describe()


class CrmUnavailable(CrmError):
    """Network error, timeout or 5xx: transient, retry with backoff."""


class CrmRateLimited(CrmError):
    """The vendor asked us to slow down; try again after `retry_after` seconds."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        vendor: str,
        status: int | None = None,
        code: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(
            message, vendor=vendor, status=status, code=code, correlation_id=correlation_id
        )
        self.retry_after = retry_after


class CrmAuthFailed(CrmError):
    """The credentials were refused (bad token, bad client id or secret)."""


class CrmPermanent(CrmError):
    """A person must fix something first: a missing scope or property, a bad query, a 403."""


class CrmNotFound(CrmPermanent):
    """The record (or resource) doesn't exist, or was deleted or merged away."""


@dataclass(frozen=True)
class RetryDecision:
    """Whether to retry a failed call, and after how many seconds."""

    retry: bool
    delay: float = 0.0


def retry_decision(
    error: CrmError, attempt: int, *, rng: random.Random | None = None
) -> RetryDecision:
    """What to do after `error` on the `attempt`-th try (1-based).

    Rate limits wait exactly what the vendor said; unavailability backs off
    exponentially with full jitter (so many workers don't retry in step); auth and
    permanent errors are not retried, since repeating them can't succeed.
    """
    if isinstance(error, CrmRateLimited):
        return RetryDecision(True, max(error.retry_after, 0.0))
    if isinstance(error, CrmUnavailable):
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0))
        return RetryDecision(True, (rng or random).uniform(ceiling / 2, ceiling))
    return RetryDecision(False)
