"""Fake HubSpot and Salesforce over real HTTP, for tests and the local demo.

    portal = FakeHubSpot(clock=ManualClock(...))
    with FakeHubSpotServer(portal) as hubspot:          # HubSpotClient(hubspot.url, token)
        HubSpotWebhookSender(portal, bot_url).send()     # signed events for what changed

    org = FakeSalesforce(clock=...)
    with FakeSalesforceServer(org) as salesforce:      # SalesforceClient(salesforce.url, ...)
        OutboundMessageSender(org, bot_url).send([lead_id])

See `bot/crm/__init__.py` for the full list of helpers.
"""

from .common import Call, Fault, Faults, SlidingWindow, salesforce_id
from .hubspot_app import FakeHubSpotServer, create_fake_hubspot_app
from .hubspot_store import FakeHubSpot, HubSpotError
from .hubspot_webhooks import HubSpotWebhookSender, Tamper
from .salesforce_app import (
    FakeSalesforceServer,
    SalesforceError,
    create_fake_salesforce_app,
    run_query,
)
from .salesforce_outbound import OutboundMessageSender, OutboundTamper, acknowledged
from .salesforce_store import MQL_STATUS, FakeSalesforce

__all__ = [
    "MQL_STATUS",
    "Call",
    "FakeHubSpot",
    "FakeHubSpotServer",
    "FakeSalesforce",
    "FakeSalesforceServer",
    "Fault",
    "Faults",
    "HubSpotError",
    "HubSpotWebhookSender",
    "OutboundMessageSender",
    "OutboundTamper",
    "SalesforceError",
    "SlidingWindow",
    "Tamper",
    "acknowledged",
    "create_fake_hubspot_app",
    "create_fake_salesforce_app",
    "run_query",
    "salesforce_id",
]
