"""Salesforce Outbound Messages into the real bot: Ack, wrong org, malformed, DTD, retries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from bot.sandbox.fake_crm import (
    FakeSalesforce,
    FakeSalesforceServer,
    OutboundMessageSender,
    OutboundTamper,
    acknowledged,
)
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from bot.timekeeping.clock import ManualClock
from tests import store
from tests.crm_loop import SF_CLIENT_ID, SF_CLIENT_SECRET, START, CrmLoop
from tests.test_crm_salesforce_loop import new_mql

ROUTE = "/api/crm/salesforce/outbound"


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


def fetch_rows(loop: CrmLoop) -> list[object]:
    return [m for m in store.outbox(loop.database_url) if m.kind == "crm_fetch"]


def start(loop: CrmLoop, org: FakeSalesforce) -> OutboundMessageSender:
    bot = loop.start(loop.settings(salesforce={"organization_id": org.org_id[:15]}))
    return OutboundMessageSender(org, bot.url + ROUTE)


def test_an_outbound_message_is_acknowledged_and_becomes_one_card(
    loop: CrmLoop, org: FakeSalesforce
) -> None:
    sender = start(loop, org)
    lead_id = new_mql(org)
    response = sender.send([lead_id])
    assert acknowledged(response)
    assert response.headers["content-type"].startswith("text/xml")
    loop.card_of(lead_id)
    # At least once, and out of order: the same record again queues another look,
    # which finds the lead stored and posts nothing.
    assert acknowledged(sender.send([lead_id]))
    loop.drained()
    assert len(loop.cards()) == 1
    assert len(fetch_rows(loop)) == 2


@pytest.mark.parametrize(
    ("tamper", "status", "fault"),
    [
        (OutboundTamper.WRONG_ORG, 401, "not accepted"),
        (OutboundTamper.MALFORMED, 400, "malformed XML"),
        (OutboundTamper.DTD, 400, "DTD or entity"),
    ],
)
def test_a_refused_outbound_message_gets_a_soap_fault_and_stores_nothing(
    loop: CrmLoop, org: FakeSalesforce, tamper: OutboundTamper, status: int, fault: str
) -> None:
    sender = start(loop, org)
    response = sender.send([new_mql(org)], tamper=tamper)
    assert response.status_code == status
    assert not acknowledged(response)
    assert "<faultcode>soapenv:Client</faultcode>" in response.text and fault in response.text
    assert fetch_rows(loop) == []


def test_without_an_organization_id_no_message_is_accepted(
    loop: CrmLoop, org: FakeSalesforce
) -> None:
    bot = loop.start()
    sender = OutboundMessageSender(org, bot.url + ROUTE)
    response = sender.send([new_mql(org)])
    assert response.status_code == 401
    assert "crm.salesforce.organization_id" in response.text
    assert fetch_rows(loop) == []


def test_a_message_about_another_object_is_acknowledged_and_ignored(
    loop: CrmLoop, org: FakeSalesforce
) -> None:
    sender = start(loop, org)
    contact = org.insert("Contact", {"LastName": "Other", "Email": "c@example.com"})
    response = sender.send([contact], sobject="Contact", fields=("Id", "Email", "LastName"))
    assert acknowledged(response)
    assert fetch_rows(loop) == []
    assert httpx.get(loop.bot.url + "/healthz", timeout=10).json()["crm"]["provider"] == (
        "salesforce"
    )
