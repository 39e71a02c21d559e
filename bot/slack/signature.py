"""Slack's request signing, checked before anything else reads the body.

Bolt verifies too, but answers 500 for a non-numeric timestamp; Slack's rules
say such a request is simply unauthenticated, so it gets 401 here.
"""

import hashlib
import hmac

MAX_AGE_SECONDS = 60 * 5


def signature_problem(
    *, body: bytes, timestamp: str | None, signature: str | None, secret: str, now: float
) -> str | None:
    """Why this request is not provably from Slack, or None when it is."""
    if not timestamp:
        return "missing X-Slack-Request-Timestamp header"
    if not timestamp.isascii() or not timestamp.isdigit():
        return "X-Slack-Request-Timestamp is not a number"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return "request timestamp is more than 5 minutes away from now (replayed or clock skew)"
    if not signature:
        return "missing X-Slack-Signature header"
    expected = (
        "v0="
        + hmac.new(
            secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256
        ).hexdigest()
    )
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return "signature does not match the body"
    return None
