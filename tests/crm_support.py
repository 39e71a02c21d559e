"""Fixtures for the CRM tests: fake HubSpot and Salesforce servers and real clients.

A test module imports the fixture functions it uses (`from tests.crm_support import
portal_fixture`); each is registered under its short name (`portal`) so a test's
parameter doesn't shadow the import. They live here rather than in conftest.py so the
CRM tests stay self-contained.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from bot.crm.hubspot import HubSpotClient
from bot.crm.salesforce import SalesforceClient
from bot.sandbox.fake_crm import (
    FakeHubSpot,
    FakeHubSpotServer,
    FakeSalesforce,
    FakeSalesforceServer,
)
from bot.timekeeping.clock import ManualClock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HUBSPOT_TOKEN = "pat-na1-test-token"
SF_CLIENT_ID = "3MVG9test.client.id"
SF_CLIENT_SECRET = "test-salesforce-secret"


@pytest.fixture(name="clock")
def clock_fixture() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(name="portal")
def portal_fixture(clock: ManualClock) -> FakeHubSpot:
    return FakeHubSpot(token=HUBSPOT_TOKEN, clock=clock)


@pytest.fixture(name="hubspot_server")
def hubspot_server_fixture(portal: FakeHubSpot) -> Iterator[FakeHubSpotServer]:
    with FakeHubSpotServer(portal) as server:
        yield server


@pytest.fixture(name="hubspot")
async def hubspot_fixture(hubspot_server: FakeHubSpotServer) -> AsyncIterator[HubSpotClient]:
    async with HubSpotClient(hubspot_server.url, HUBSPOT_TOKEN, timeout=5.0) as client:
        yield client


@pytest.fixture(name="org")
def org_fixture(clock: ManualClock) -> FakeSalesforce:
    return FakeSalesforce(client_id=SF_CLIENT_ID, client_secret=SF_CLIENT_SECRET, clock=clock)


@pytest.fixture(name="salesforce_server")
def salesforce_server_fixture(org: FakeSalesforce) -> Iterator[FakeSalesforceServer]:
    with FakeSalesforceServer(org) as server:
        yield server


@pytest.fixture(name="salesforce")
async def salesforce_fixture(
    salesforce_server: FakeSalesforceServer, org: FakeSalesforce
) -> AsyncIterator[SalesforceClient]:
    client = SalesforceClient(
        salesforce_server.url,
        SF_CLIENT_ID,
        SF_CLIENT_SECRET,
        api_version=org.api_version,
        timeout=5.0,
    )
    async with client:
        yield client
