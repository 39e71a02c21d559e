"""Salesforce in the loop, end to end: Leads in as cards, decisions out, opportunities back.

The real bot against the fake org (its own SOQL interpreter, client-credentials tokens,
request limits) and the fake Slack workspace, over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest

from bot.feedback import reports
from bot.sandbox.fake_crm import FakeSalesforce, FakeSalesforceServer
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from bot.timekeeping.clock import ManualClock
from bot.timekeeping.periods import parse_period
from messages.ids import ActionId
from tests import store
from tests.crm_loop import (
    ANA,
    SF_CLIENT_ID,
    SF_CLIENT_SECRET,
    START,
    CrmLoop,
    seed_salesforce_users,
    text_of,
)
from tests.harness import wait_for


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def org(clock: ManualClock) -> FakeSalesforce:
    return FakeSalesforce(client_id=SF_CLIENT_ID, client_secret=SF_CLIENT_SECRET, clock=clock)


@pytest.fixture
def loop(
    database_url: str,
    slack: FakeSlackServer,
    workspace: FakeWorkspace,
    clock: ManualClock,
    org: FakeSalesforce,
) -> Iterator[CrmLoop]:
    with ExitStack() as stack:
        server = stack.enter_context(FakeSalesforceServer(org))
        yield CrmLoop(stack, database_url, slack, workspace, clock, server.url, "salesforce")


def new_mql(org: FakeSalesforce, n: int = 1) -> str:
    lead_id = org.create_lead(
        {
            "Email": f"buyer{n}@example.com",
            "FirstName": "Ana",
            "LastName": f"Buyer {n}",
            "Company": "Acme GmbH",
            "Title": "Head of Ops",
            "LeadSource": "Webinar",
            "NumberOfEmployees": 40,
        }
    )
    org.make_mql(lead_id)
    return lead_id


def lead_patches(org: FakeSalesforce, lead_id: str) -> list[dict[str, object]]:
    return [
        call.json
        for call in org.calls("sobject.update")
        if call.path.endswith(f"/Lead/{lead_id}") and call.status == 204
    ]


def started(loop: CrmLoop, org: FakeSalesforce, **crm: object) -> None:
    seed_salesforce_users(org)
    settings = loop.settings(salesforce={"organization_id": org.org_id, **crm})
    loop.start(settings)
    loop.poll()


def test_a_salesforce_mql_becomes_exactly_one_card(loop: CrmLoop, org: FakeSalesforce) -> None:
    started(loop, org)
    lead_id = new_mql(org)
    org.create_lead({"Email": "not-yet@example.com"})  # not an MQL: no card
    assert loop.poll().created == 1
    card = loop.card_of(lead_id)
    assert "Ana Buyer 1" in text_of(card) and "Webinar" in text_of(card)
    lead = loop.lead_of(lead_id)
    assert lead.crm_url == f"{loop.crm_url}/lightning/r/Lead/{lead_id}/view"
    assert (lead.employees, lead.source) == (40, "Webinar")
    loop.clock.advance(timedelta(minutes=1))
    assert loop.poll().created == 0
    loop.drained()
    assert len(loop.cards()) == 1
    (query, *_) = [c for c in org.calls("query") if "FROM Lead" in c.query["q"]]
    assert (
        "SystemModstamp >=" in query.query["q"]
        and "(Status = 'Marketing Qualified')" in query.query["q"]
    )


def test_claim_accept_reject_write_owner_status_and_one_task(
    loop: CrmLoop, org: FakeSalesforce
) -> None:
    started(loop, org)
    ana_user = next(r["Id"] for r in org.records["User"].values() if r["Email"].startswith("ana"))
    first, second = new_mql(org, 1), new_mql(org, 2)
    loop.poll()
    card = loop.card_of(first)
    loop.click(ANA, card, ActionId.CLAIM)
    loop.click(ANA, card, ActionId.ACCEPT)
    wait_for(lambda: org.get("Lead", first)["Status"] == "Sales Accepted", what="accept written")
    loop.reject(ANA, loop.card_of(second), "not_icp", None)
    wait_for(lambda: org.get("Lead", second)["Status"] == "Nurture", what="reject written")
    loop.drained()
    assert lead_patches(org, first) == [
        {"Status": "Working - Contacted", "OwnerId": ana_user},
        {"Status": "Sales Accepted", "OwnerId": ana_user},
    ]
    assert lead_patches(org, second) == [{"Status": "Nurture"}]
    tasks = [t for t in org.records["Task"].values() if t["WhoId"] == second]
    (task,) = tasks
    assert task["Status"] == "Completed" and task["OwnerId"] == ana_user
    assert task["Subject"].startswith("Handoff: Rejected: Not our ideal customer profile")
    assert "Ana Rep rejected this lead" in task["Description"]


def test_an_opportunity_won_in_salesforce_shows_as_revenue(
    loop: CrmLoop, org: FakeSalesforce
) -> None:
    started(loop, org)
    lead_id = new_mql(org)
    loop.poll()
    card = loop.card_of(lead_id)
    loop.click(ANA, card, ActionId.CLAIM)
    loop.click(ANA, card, ActionId.ACCEPT)
    loop.drained()
    loop.clock.advance(timedelta(hours=1))
    org.log_activity(lead_id, subject="Discovery call")
    converted = org.convert_lead(lead_id, amount=5000)
    org.close_opportunity(converted["opportunity"], won=True)
    assert loop.sweep_activity() == 1
    loop.drained()
    bot = loop.bot
    period = parse_period("30d", now=loop.clock.now(), zone=bot.settings.team.zone)
    services = bot.handoff.services  # type: ignore[union-attr]
    (row,) = bot.call(lambda: reports.sources_report(services.db, period)).sources.rows
    assert (row.source, row.opportunities, row.wins, row.won) == ("Webinar", 1, 1, {"USD": 500000})
    stored = store.lead(loop.database_url, loop.lead_of(lead_id).id or 0)
    assert stored.first_touch_at == loop.clock.now()


def test_an_expired_session_is_refreshed_once_and_the_poll_goes_on(
    loop: CrmLoop, org: FakeSalesforce
) -> None:
    started(loop, org)
    tokens = org.token_count
    org.expire_all_tokens()
    lead_id = new_mql(org)
    summary = loop.poll()
    assert (summary.created, summary.error) == (1, None)
    assert org.token_count == tokens + 1
    loop.card_of(lead_id)


def test_the_request_limit_delays_a_write_which_is_then_made_once(
    loop: CrmLoop, org: FakeSalesforce
) -> None:
    started(loop, org)
    lead_id = new_mql(org)
    loop.poll()
    card = loop.card_of(lead_id)
    org.set_request_limit(1, window_seconds=3600)
    org.request_limit.hit()  # type: ignore[union-attr]  (the org's API budget is spent)
    loop.click(ANA, card, ActionId.CLAIM)
    wait_for(
        lambda: [
            m
            for m in store.outbox(loop.database_url)
            if m.kind == "crm_write" and m.last_error and "REQUEST_LIMIT_EXCEEDED" in m.last_error
        ],
        what="the write to be put back",
    )
    org.set_request_limit(None)
    loop.clock.advance(timedelta(minutes=2))  # REQUEST_LIMIT_EXCEEDED waits a minute
    wait_for(lambda: lead_patches(org, lead_id), what="the write")
    loop.drained()
    assert len(lead_patches(org, lead_id)) == 1


def test_a_lead_that_left_mql_before_its_card_is_withdrawn(
    loop: CrmLoop, org: FakeSalesforce
) -> None:
    started(loop, org)
    loop.ws.faults.inject("chat.postMessage", status=500, times=None)
    lead_id = new_mql(org)
    loop.poll()
    org.change("Lead", lead_id, {"Status": "Closed - Not Converted"})
    loop.idle()
    loop.ws.faults.clear()
    loop.clock.advance(timedelta(minutes=1))
    withdrawn = loop.state_of(lead_id, "withdrawn")
    loop.drained()
    assert loop.cards() == []
    (event,) = [e for e in store.events(loop.database_url, withdrawn.id) if e.kind == "withdrawn"]
    assert "Closed - Not Converted" in event.detail["why"]
