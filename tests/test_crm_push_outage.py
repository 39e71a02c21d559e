"""The CRM push endpoints while PostgreSQL is away: 503, nothing half-stored, no lead lost.

Both vendors retry a push that was not acknowledged (HubSpot a webhook batch that did
not get a 2xx, Salesforce an Outbound Message that got no `<Ack>true</Ack>`), so the
503 is what makes the retry bring the lead in once the store is back.
"""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from bot.sandbox.fake_crm import (
    FakeHubSpot,
    FakeHubSpotServer,
    FakeSalesforce,
    FakeSalesforceServer,
    HubSpotWebhookSender,
    OutboundMessageSender,
    acknowledged,
)
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from bot.sandbox.outages import PgProxy
from bot.timekeeping.clock import ManualClock
from tests import store
from tests.crm_loop import (
    HUBSPOT_SECRET,
    HUBSPOT_TOKEN,
    SF_CLIENT_ID,
    SF_CLIENT_SECRET,
    START,
    CrmLoop,
    seed_hubspot_owners,
)
from tests.test_crm_hubspot_loop import new_mql as new_hubspot_mql
from tests.test_crm_salesforce_loop import new_mql as new_salesforce_mql

pytestmark = pytest.mark.postgres


def test_a_hubspot_webhook_during_an_outage_is_503_and_its_retry_brings_the_lead(
    postgres_url: str, slack: FakeSlackServer, workspace: FakeWorkspace
) -> None:
    clock = ManualClock(START)
    portal = FakeHubSpot(token=HUBSPOT_TOKEN, clock=clock, client_secret=HUBSPOT_SECRET)
    seed_hubspot_owners(portal)
    with ExitStack() as stack:
        proxy = stack.enter_context(PgProxy())
        server = stack.enter_context(FakeHubSpotServer(portal))
        loop = CrmLoop(
            stack, proxy.url_for(postgres_url), slack, workspace, clock, server.url, "hubspot"
        )
        bot = loop.start()
        sender = HubSpotWebhookSender(portal, bot.url + "/api/crm/hubspot/webhook")
        contact_id = new_hubspot_mql(portal)
        events = portal.take_events()

        for outage in (proxy.down, proxy.starting):
            outage()
            refused = sender.send(events)
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"] == "database_unavailable"
        proxy.up()
        assert store.leads(postgres_url) == [] and store.outbox(postgres_url) == []

        assert sender.send(events).status_code == 200  # HubSpot's retry
        loop.card_of(contact_id)
        loop.drained()
        assert len(loop.cards()) == 1
        assert [lead.external_id for lead in store.leads(postgres_url)] == [contact_id]


def test_a_salesforce_outbound_message_during_an_outage_is_503_and_its_retry_brings_the_lead(
    postgres_url: str, slack: FakeSlackServer, workspace: FakeWorkspace
) -> None:
    clock = ManualClock(START)
    org = FakeSalesforce(client_id=SF_CLIENT_ID, client_secret=SF_CLIENT_SECRET, clock=clock)
    with ExitStack() as stack:
        proxy = stack.enter_context(PgProxy())
        server = stack.enter_context(FakeSalesforceServer(org))
        loop = CrmLoop(
            stack, proxy.url_for(postgres_url), slack, workspace, clock, server.url, "salesforce"
        )
        bot = loop.start(loop.settings(salesforce={"organization_id": org.org_id[:15]}))
        sender = OutboundMessageSender(org, bot.url + "/api/crm/salesforce/outbound")
        lead_id = new_salesforce_mql(org)

        for outage in (proxy.down, proxy.starting):
            outage()
            refused = sender.send([lead_id])
            assert refused.status_code == 503, refused.text
            assert not acknowledged(refused)
        proxy.up()
        assert store.leads(postgres_url) == [] and store.outbox(postgres_url) == []

        assert acknowledged(sender.send([lead_id]))  # Salesforce's retry
        loop.card_of(lead_id)
        loop.drained()
        assert len(loop.cards()) == 1
        assert [lead.external_id for lead in store.leads(postgres_url)] == [lead_id]
