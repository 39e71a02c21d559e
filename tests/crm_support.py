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
from bot.sandbox.fake_crm import FakeHubSpot, FakeHubSpotServer
from bot.timekeeping.clock import ManualClock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HUBSPOT_TOKEN = "pat-na1-test-token"


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
