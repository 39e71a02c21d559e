"""HubSpot webhook signatures: the fake portal signs and sends, the bot's checker judges."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.crm.hubspot import (
    WebhookBodyError,
    WebhookEvent,
    parse_webhook_events,
    verify_webhook_signature,
)
from bot.sandbox.fake_crm import FakeHubSpot, HubSpotWebhookSender, Tamper
from bot.sandbox.servers import BackgroundServer

SECRET = "hubspot-app-secret"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Receiver:
    """A stand-in for the bot's webhook route: check, parse, remember."""

    def __init__(self) -> None:
        self.events: list[WebhookEvent] = []
        self.problems: list[str] = []
        self.server = BackgroundServer(
            Starlette(routes=[Route("/hooks/hubspot", self.hook, methods=["POST"])])
        )

    async def hook(self, request: Request) -> JSONResponse:
        body = await request.body()
        problem = verify_webhook_signature(
            SECRET,
            request.method,
            str(request.url),
            body,
            request.headers.get("x-hubspot-request-timestamp"),
            request.headers.get("x-hubspot-signature-v3"),
            datetime.now(UTC),
        )
        if problem is not None:
            self.problems.append(problem)
            return JSONResponse({"error": problem}, status_code=401)
        self.events.extend(parse_webhook_events(body))
        return JSONResponse({"ok": True})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    with receiver.server:
        yield receiver


@pytest.fixture
def sender(receiver: Receiver) -> HubSpotWebhookSender:
    portal = FakeHubSpot(client_secret=SECRET)
    return HubSpotWebhookSender(portal, f"{receiver.server.url}/hooks/hubspot")


def test_events_from_portal_changes_arrive_signed(
    sender: HubSpotWebhookSender, receiver: Receiver
) -> None:
    portal = sender.store
    a = portal.create_contact({"email": "a@example.com"})["id"]
    b = portal.create_contact({"email": "b@example.com"})["id"]
    portal.make_mql(a)
    portal.merge_contacts(a, b)
    portal.delete_contact(a, privacy=True)
    response = sender.send()
    assert response.status_code == 200, receiver.problems
    kinds = [(e.subscription_type, e.object_id) for e in receiver.events]
    assert kinds[:2] == [("contact.creation", int(a)), ("contact.creation", int(b))]
    changes = {e.property_name: e.property_value for e in receiver.events[2:4]}
    assert changes["lifecyclestage"] == "marketingqualifiedlead"
    merge = receiver.events[4]
    assert merge.subscription_type == "contact.merge"
    assert merge.primary_object_id == int(a) and merge.merged_object_ids == [int(b)]
    assert receiver.events[5].subscription_type == "contact.privacyDeletion"
    assert all(e.portal_id == portal.portal_id for e in receiver.events)
    assert sender.store.pending_events() == []


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (Tamper.STALE, "more than 5 minutes"),
        (Tamper.FORGED, "does not match"),
        (Tamper.BODY_CHANGED, "does not match"),
        (Tamper.UNSIGNED, "missing X-HubSpot-Signature-v3"),
    ],
)
async def test_tampered_deliveries_are_refused(
    sender: HubSpotWebhookSender, receiver: Receiver, tamper: Tamper, problem: str
) -> None:
    sender.store.create_contact({"email": "a@example.com"})
    response = await sender.asend(tamper=tamper)
    assert response.status_code == 401
    assert problem in receiver.problems[0]
    assert receiver.events == []


def _sign(method: str, uri: str, body: bytes, timestamp: str) -> str:
    source = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(SECRET.encode(), source, hashlib.sha256).digest()).decode()


def test_signature_checker_window_and_inputs() -> None:
    uri = "https://handoff.example.com/hooks/hubspot?x=1"
    body = b'[{"eventId":1}]'
    stamp = str(int(NOW.timestamp() * 1000))
    good = _sign("POST", uri, body, stamp)
    assert verify_webhook_signature(SECRET, "POST", uri, body, stamp, good, NOW) is None
    later = NOW + timedelta(minutes=4, seconds=59)
    assert verify_webhook_signature(SECRET, "POST", uri, body, stamp, good, later) is None
    too_late = NOW + timedelta(minutes=5, seconds=1)
    assert "old" in (
        verify_webhook_signature(SECRET, "POST", uri, body, stamp, good, too_late) or ""
    )
    too_early = NOW - timedelta(minutes=6)
    assert "future" in (
        verify_webhook_signature(SECRET, "POST", uri, body, stamp, good, too_early) or ""
    )
    other_uri = "https://handoff.example.com/hooks/hubspot"
    assert verify_webhook_signature(SECRET, "POST", other_uri, body, stamp, good, NOW)
    assert verify_webhook_signature(SECRET, "POST", uri, body, "soon", good, NOW)
    assert verify_webhook_signature(SECRET, "POST", uri, body, None, good, NOW)
    assert verify_webhook_signature("other-secret", "POST", uri, body, stamp, good, NOW)


def test_reserved_characters_in_the_uri_are_signed_decoded() -> None:
    body = b"[]"
    stamp = str(int(NOW.timestamp() * 1000))
    signature = _sign("POST", "https://h.example.com/hooks?portal=a:b&x=%20", body, stamp)
    encoded = "https://h.example.com/hooks?portal=a%3Ab&x=%20"
    assert verify_webhook_signature(SECRET, "POST", encoded, body, stamp, signature, NOW) is None


async def test_sender_signs_reserved_characters_decoded(receiver: Receiver) -> None:
    portal = FakeHubSpot(client_secret=SECRET)
    sender = HubSpotWebhookSender(portal, f"{receiver.server.url}/hooks/hubspot?tag=a%3Ab")
    portal.create_contact({"email": "a@example.com"})
    response = await sender.asend()
    assert response.status_code == 200, receiver.problems
    assert len(receiver.events) == 1


def test_event_bodies_must_be_event_arrays() -> None:
    with pytest.raises(WebhookBodyError, match="JSON"):
        parse_webhook_events(b"{nope")
    with pytest.raises(WebhookBodyError, match="array"):
        parse_webhook_events(b'{"eventId": 1}')
    with pytest.raises(WebhookBodyError, match="not a HubSpot event"):
        parse_webhook_events(b'[{"eventId": 1}]')
