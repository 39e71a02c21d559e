"""Fake HubSpot and Salesforce over real HTTP, for tests and the local demo."""

from .common import Call, Fault, Faults, SlidingWindow
from .hubspot_app import FakeHubSpotServer, create_fake_hubspot_app
from .hubspot_store import FakeHubSpot, HubSpotError
from .hubspot_webhooks import HubSpotWebhookSender, Tamper

__all__ = [
    "Call",
    "FakeHubSpot",
    "FakeHubSpotServer",
    "Fault",
    "Faults",
    "HubSpotError",
    "HubSpotWebhookSender",
    "SlidingWindow",
    "Tamper",
    "create_fake_hubspot_app",
]
