"""HubSpot webhooks into the real bot: signatures, malformed bodies, retries, withdrawals.

The fake portal queues the events HubSpot would send for each change and signs them
with the app's client secret (independently of the bot's checker).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta

import httpx
import pytest

from bot.sandbox.fake_crm import FakeHubSpot, FakeHubSpotServer, HubSpotWebhookSender, Tamper
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from bot.timekeeping.clock import ManualClock
from storage.models import OutboxState
from tests import store
from tests.crm_loop import HUBSPOT_SECRET, HUBSPOT_TOKEN, START, CrmLoop, seed_hubspot_owners
from tests.harness import wait_for
from tests.test_crm_hubspot_loop import new_mql

ROUTE = "/api/crm/hubspot/webhook"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def portal(clock: ManualClock) -> FakeHubSpot:
    portal = FakeHubSpot(token=HUBSPOT_TOKEN, clock=clock, client_secret=HUBSPOT_SECRET)
    seed_hubspot_owners(portal)
    return portal


@pytest.fixture
def loop(
    database_url: str,
    slack: FakeSlackServer,
    workspace: FakeWorkspace,
    clock: ManualClock,
    portal: FakeHubSpot,
) -> Iterator[CrmLoop]:
    with ExitStack() as stack:
        server = stack.enter_context(FakeHubSpotServer(portal))
        yield CrmLoop(stack, database_url, slack, workspace, clock, server.url, "hubspot")


def fetch_rows(loop: CrmLoop) -> list[object]:
    return [m for m in store.outbox(loop.database_url) if m.kind == "crm_fetch"]


def test_a_signed_webhook_brings_the_mql_in_without_a_poll(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    bot = loop.start()
    sender = HubSpotWebhookSender(portal, bot.url + ROUTE)
    contact_id = new_mql(portal)
    events = portal.take_events()
    response = sender.send(events)
    assert response.status_code == 200
    assert response.json() == {"received": len(events), "queued": len(events)}
    card = loop.card_of(contact_id)
    assert "Ana Buyer 1" in card.text + repr(card.blocks)

    # HubSpot retries a batch it thinks failed: the same events queue nothing new.
    again = sender.send(events)
    assert again.status_code == 200 and again.json()["queued"] == 0
    loop.drained()
    assert len(loop.cards()) == 1
    # The creation event found a contact that was not yet an MQL, or the MQL itself:
    # one read per event, each answered without a second lead.
    assert all(m.state == OutboxState.SENT for m in fetch_rows(loop))


@pytest.mark.parametrize("tamper", list(Tamper))
def test_a_bad_signature_gets_401_and_stores_nothing(
    loop: CrmLoop, portal: FakeHubSpot, tamper: Tamper
) -> None:
    bot = loop.start()
    new_mql(portal)
    response = HubSpotWebhookSender(portal, bot.url + ROUTE).send(tamper=tamper)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"
    assert fetch_rows(loop) == []


def test_a_signed_but_malformed_body_gets_400(loop: CrmLoop, portal: FakeHubSpot) -> None:
    bot = loop.start()
    sender = HubSpotWebhookSender(portal, bot.url + ROUTE)
    for body in (b"not json", b'{"objectId": 1}', b'[{"objectId": "x"}]'):
        headers = sender.sign(body, int(time.time() * 1000))
        response = httpx.post(bot.url + ROUTE, content=body, headers=headers, timeout=10)
        assert response.status_code == 400, body
        assert response.json()["error"] == "invalid_body"
    assert fetch_rows(loop) == []


def test_without_the_client_secret_there_is_no_webhook_route(loop: CrmLoop) -> None:
    settings = loop.settings().model_copy(update={"hubspot_client_secret": None})
    bot = loop.start(settings)
    assert httpx.post(bot.url + ROUTE, content=b"[]", timeout=10).status_code == 404


def test_a_contact_deleted_before_its_card_is_posted_is_withdrawn(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    bot = loop.start()
    loop.poll()
    loop.ws.faults.inject("chat.postMessage", status=500, times=None)
    contact_id = new_mql(portal)
    loop.poll()
    lead = loop.lead_of(contact_id)
    portal.delete_contact(contact_id)
    loop.idle()
    loop.ws.faults.clear()
    loop.clock.advance(timedelta(minutes=1))  # the card is retried, and now worth a re-check
    withdrawn = loop.state_of(contact_id, "withdrawn")
    loop.drained()
    assert loop.cards() == []
    (event,) = [e for e in store.events(loop.database_url, lead.id) if e.kind == "withdrawn"]
    assert event.detail["why"] == f"HubSpot contact {contact_id} was deleted"
    card_rows = [m for m in store.outbox(loop.database_url) if m.kind == "post_card"]
    assert [m.state for m in card_rows] == [OutboxState.DROPPED]
    assert withdrawn.posted_at is None
    assert bot.handoff is not None


def test_a_webhook_for_an_unposted_lead_that_left_mql_withdraws_it(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    bot = loop.start()
    loop.poll()
    loop.ws.faults.inject("chat.postMessage", status=500, times=None)
    contact_id = new_mql(portal)
    loop.poll()
    portal.take_events()
    portal.update_contact(contact_id, {"lifecyclestage": "lead"})
    assert HubSpotWebhookSender(portal, bot.url + ROUTE).send().status_code == 200
    loop.state_of(contact_id, "withdrawn")
    loop.idle()
    loop.ws.faults.clear()
    loop.clock.advance(timedelta(minutes=1))
    loop.drained()
    assert loop.cards() == []
    (event,) = [
        e
        for e in store.events(loop.database_url, loop.lead_of(contact_id).id)
        if e.kind == "withdrawn"
    ]
    assert event.detail["why"] == "no longer an MQL: lifecycle stage is now lead"


def test_a_card_is_not_held_back_when_hubspot_does_not_answer_the_recheck(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    loop.start()
    loop.poll()
    loop.ws.faults.inject("chat.postMessage", status=500, times=None)
    contact_id = new_mql(portal)
    loop.poll()
    portal.faults.inject("contacts.get", status=503, times=None)
    loop.idle()
    loop.ws.faults.clear()
    loop.clock.advance(timedelta(minutes=1))
    loop.card_of(contact_id)
    assert wait_for(lambda: portal.calls("contacts.get"), what="the re-check")


def test_a_withdrawn_lead_whose_contact_qualifies_again_gets_its_card(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    bot = loop.start()
    loop.poll()
    loop.ws.faults.inject("chat.postMessage", status=500, times=None)
    contact_id = new_mql(portal)
    loop.poll()
    portal.take_events()
    portal.update_contact(contact_id, {"lifecyclestage": "lead"})
    assert HubSpotWebhookSender(portal, bot.url + ROUTE).send().status_code == 200
    loop.state_of(contact_id, "withdrawn")
    loop.idle()
    loop.ws.faults.clear()
    loop.clock.advance(timedelta(minutes=1))
    loop.drained()
    assert loop.cards() == []

    # Back to MQL with the old date (a search index that still shows the past): not yet.
    portal.update_contact(contact_id, {"lifecyclestage": "marketingqualifiedlead"})
    assert loop.poll().duplicates == 1
    loop.drained()
    assert loop.cards() == [] and loop.lead_of(contact_id).state == "withdrawn"

    # Qualified again, now: it arrives anew and gets its card, once.
    loop.clock.advance(timedelta(minutes=5))
    portal.make_mql(contact_id)
    loop.poll()
    card = loop.card_of(contact_id)
    assert "Ana Buyer 1" in card.text + repr(card.blocks)
    lead = loop.lead_of(contact_id)
    assert (lead.state, lead.created_at) == ("open", loop.clock.now())
    kinds = [e.kind for e in store.events(loop.database_url, lead.id)]
    assert kinds == ["withdrawn", "requalified", "posted"]
    loop.poll()
    loop.drained()
    assert len(loop.cards()) == 1


def test_events_from_another_portal_are_acknowledged_and_ignored(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    bot = loop.start(loop.settings(hubspot={"portal_id": 999}))
    new_mql(portal)
    response = HubSpotWebhookSender(portal, bot.url + ROUTE).send()
    assert response.status_code == 200 and response.json()["queued"] == 0
    assert fetch_rows(loop) == []
