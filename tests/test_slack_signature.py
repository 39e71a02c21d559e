"""Slack's signing rules as plain facts."""

import hashlib
import hmac

from bot.slack.signature import signature_problem

SECRET = "shhh-0123456789"
BODY = b"payload=%7B%22type%22%3A%22block_actions%22%7D"
NOW = 1_700_000_000


def sign(body: bytes, timestamp: str) -> str:
    digest = hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v0=" + digest.hexdigest()


def check(
    body: bytes = BODY, timestamp: str | None = str(NOW), signature: str | None = None
) -> str | None:
    if signature is None and timestamp is not None:
        signature = sign(body, timestamp)
    return signature_problem(
        body=body, timestamp=timestamp, signature=signature, secret=SECRET, now=NOW
    )


def test_a_correct_signature_passes() -> None:
    assert check() is None


def test_every_way_to_fail_is_named() -> None:
    assert check(timestamp=None) == "missing X-Slack-Request-Timestamp header"
    assert check(timestamp="12ab", signature="v0=00") == "X-Slack-Request-Timestamp is not a number"
    assert check(timestamp="١٢٣", signature="v0=00") == "X-Slack-Request-Timestamp is not a number"
    assert "5 minutes" in (check(timestamp=str(NOW - 301)) or "")
    assert "5 minutes" in (check(timestamp=str(NOW + 301)) or "")
    assert check(timestamp=str(NOW - 299)) is None
    assert check(signature="") == "missing X-Slack-Signature header"
    tampered = sign(BODY, str(NOW))
    assert check(body=BODY + b"x", signature=tampered) == "signature does not match the body"
