"""HubSpot in the loop, end to end: MQLs in as cards, decisions out, deals back as revenue.

The real bot runs on a real port against the fake Slack workspace and the fake HubSpot
portal (real HTTP servers); polls and sweeps run on the bot's loop as the scheduler
runs them; the clock is a ManualClock shared with the portal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest

from bot.feedback import reports
from bot.sandbox.fake_crm import FakeHubSpot, FakeHubSpotServer
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, Message
from bot.timekeeping.clock import ManualClock
from bot.timekeeping.periods import parse_period
from messages.ids import ActionId
from storage.models import OutboxState
from tests import store
from tests.crm_loop import (
    ANA,
    BEN,
    BEN_EMAIL,
    HUBSPOT_TOKEN,
    START,
    CrmLoop,
    seed_hubspot_owners,
    text_of,
)
from tests.harness import wait_for


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def portal(clock: ManualClock) -> FakeHubSpot:
    portal = FakeHubSpot(
        token=HUBSPOT_TOKEN, clock=clock, client_secret="hubspot-app-client-secret"
    )
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


def new_mql(portal: FakeHubSpot, n: int = 1, **extra: str) -> str:
    contact = portal.create_contact(
        {
            "email": f"buyer{n}@example.com",
            "firstname": "Ana",
            "lastname": f"Buyer {n}",
            "company": "Acme GmbH",
            "jobtitle": "Head of Ops",
            "hs_analytics_source": "PAID_SEARCH",
            **extra,
        }
    )
    portal.make_mql(contact["id"])
    return contact["id"]


def patches(portal: FakeHubSpot, contact_id: str) -> list[dict[str, object]]:
    return [
        call.json["properties"]
        for call in portal.calls("contacts.update")
        if call.path.endswith(f"/{contact_id}") and call.status == 200
    ]


def written_as_anas(loop: CrmLoop, portal: FakeHubSpot, contact_id: str) -> None:
    """The record's one write so far: Ana (owner 501) is working it."""
    wait_for(lambda: portal.contact(contact_id)["properties"].get("hubspot_owner_id") == "501")
    loop.drained()
    assert patches(portal, contact_id) == [
        {"hs_lead_status": "IN_PROGRESS", "hubspot_owner_id": "501"}
    ]


def accepted_as_anas(loop: CrmLoop, portal: FakeHubSpot, contact_id: str, card: Message) -> None:
    """Ana accepts: one more write, the lead sales-qualified with her as its owner."""
    loop.click(ANA, card, ActionId.ACCEPT)
    wait_for(
        lambda: portal.contact(contact_id)["properties"]["lifecyclestage"] == "salesqualifiedlead"
    )
    loop.drained()
    assert patches(portal, contact_id)[1:] == [
        {"lifecyclestage": "salesqualifiedlead", "hubspot_owner_id": "501"}
    ]


def test_an_mql_in_hubspot_becomes_exactly_one_card(loop: CrmLoop, portal: FakeHubSpot) -> None:
    loop.start()
    loop.poll()  # the first poll starts the cursor now
    contact_id = new_mql(portal)
    summary = loop.poll()
    assert (summary.created, summary.duplicates, summary.error) == (1, 0, None)
    card = loop.card_of(contact_id)
    assert "Ana Buyer 1" in text_of(card) and "Acme GmbH" in text_of(card)
    lead = loop.lead_of(contact_id)
    assert lead.crm_url == f"https://app.hubspot.com/contacts/62515/record/0-1/{contact_id}"
    assert (lead.email, lead.title, lead.source) == (
        "buyer1@example.com",
        "Head of Ops",
        "PAID_SEARCH",
    )

    # Polled again (the overlap rereads it), and again a minute later: still one card.
    assert loop.poll().duplicates == 1
    loop.clock.advance(timedelta(minutes=1))
    loop.poll()
    loop.drained()
    assert len(loop.cards()) == 1
    searches = portal.calls("contacts.search")
    assert searches and all(c.json["sorts"][0]["propertyName"].endswith("_date") for c in searches)


def test_claim_accept_write_the_owner_and_status_once_each(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    loop.start()
    loop.poll()
    contact_id = new_mql(portal)
    loop.poll()
    card = loop.card_of(contact_id)

    loop.click(ANA, card, ActionId.CLAIM)
    written_as_anas(loop, portal, contact_id)

    accepted_as_anas(loop, portal, contact_id, card)
    # One users.info and one owner lookup for Ana, however many of her leads follow.
    assert len(portal.calls("owners.list")) == 1


def test_reject_writes_the_status_and_one_note_saying_who_and_why(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    loop.start()
    loop.poll()
    contact_id = new_mql(portal)
    loop.poll()
    card = loop.card_of(contact_id)
    loop.reject(ANA, card, "no_budget", "Two-person shop.")
    wait_for(lambda: portal.notes_of(contact_id), what="the note")
    loop.drained()
    assert patches(portal, contact_id) == [{"hs_lead_status": "UNQUALIFIED"}]
    (note,) = portal.notes_of(contact_id)
    body = note["properties"]["hs_note_body"]
    assert "Ana Rep rejected this lead" in body and "No budget or too small" in body
    assert "Two-person shop." in body and "handoff-rejection-" in body
    assert note["properties"]["hubspot_owner_id"] == "501"


def test_a_deal_won_in_hubspot_shows_as_revenue_for_its_source(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    bot = loop.start()
    loop.poll()
    contact_id = new_mql(portal)
    loop.poll()
    card = loop.card_of(contact_id)
    loop.click(ANA, card, ActionId.CLAIM)
    loop.click(ANA, card, ActionId.ACCEPT)
    loop.drained()
    loop.clock.advance(timedelta(hours=2))
    portal.log_sales_activity(contact_id)
    portal.add_deal(contact_id, amount=12000, currency="EUR", won=True, close_date=loop.clock.now())
    assert loop.sweep_activity() == 1
    loop.drained()

    lead = store.lead(loop.database_url, loop.lead_of(contact_id).id or 0)
    assert lead.first_touch_at == loop.clock.now()
    period = parse_period("30d", now=loop.clock.now(), zone=bot.settings.team.zone)
    services = bot.handoff.services  # type: ignore[union-attr]
    table = bot.call(lambda: reports.sources_report(services.db, period)).sources
    (row,) = table.rows
    assert (row.source, row.opportunities, row.wins, row.won) == (
        "PAID_SEARCH",
        1,
        1,
        {"EUR": 1200000},
    )
    wait_for(
        lambda: [r for r in loop.ws.replies("C0LEADS", card.ts) if "won" in r.text.lower()],
        what="the outcome's thread reply",
    )
    # Nothing new on the next look: outcomes are stored once.
    loop.clock.advance(timedelta(hours=2))
    loop.sweep_activity()
    loop.drained()
    kinds = [m.kind for m in store.outbox(loop.database_url) if m.kind == "outcome_reply"]
    assert len(kinds) == 2  # opportunity_created and won


def test_an_assigned_lead_writes_its_assignee_as_the_records_owner(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    """Routing's assignment is a claim made for the rep: the record gets its owner at once."""
    routing = {
        "mode": "assign",
        "working_hours": None,
        "pools": [{"id": "reps", "members": {"users": [ANA]}}],
        "rules": [{"pool": "reps"}],
    }
    loop.start(loop.settings(team={"routing": routing}))
    loop.poll()
    contact_id = new_mql(portal)
    loop.poll()
    card = loop.card_of(contact_id)
    assert f"Assigned to <@{ANA}>" in text_of(card)
    written_as_anas(loop, portal, contact_id)
    accepted_as_anas(loop, portal, contact_id, card)


def test_a_rep_without_a_hubspot_owner_is_reported_once(loop: CrmLoop, portal: FakeHubSpot) -> None:
    loop.start()
    loop.poll()
    first, second = new_mql(portal, 1), new_mql(portal, 2)
    loop.poll()
    for contact_id in (first, second):
        loop.click(BEN, loop.card_of(contact_id), ActionId.CLAIM)
    wait_for(lambda: len(portal.calls("contacts.update")) == 2, what="both status writes")
    loop.drained()
    for contact_id in (first, second):
        assert patches(portal, contact_id) == [{"hs_lead_status": "IN_PROGRESS"}]
    health = loop.healthz()["crm"]
    assert health["unmatched_reps"] == [
        {
            "user": BEN,
            "email": BEN_EMAIL,
            "problem": f"no hubspot owner has the address {BEN_EMAIL}",
        }
    ]
    assert len(portal.calls("owners.list")) == 1  # looked up once, not per lead
    assert all(
        m.state == OutboxState.SENT
        for m in store.outbox(loop.database_url)
        if m.kind == "crm_write"
    )
