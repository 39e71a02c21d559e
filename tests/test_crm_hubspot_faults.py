"""HubSpot failing: down during a poll, 429 storms on writes, and two replicas at once.

Nothing is lost (the cursor waits for the leads), nothing happens twice (the dedup
and the outbox's unique keys and leases), and nothing else waits for the CRM.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta

import pytest

from bot.crm import poll
from bot.crm.poll import OVERLAP
from bot.sandbox.fake_crm import FakeHubSpot, FakeHubSpotServer
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from bot.timekeeping.clock import ManualClock
from messages.ids import ActionId
from tests import store
from tests.crm_loop import ANA, HUBSPOT_SECRET, HUBSPOT_TOKEN, START, CrmLoop, seed_hubspot_owners
from tests.harness import BotServer, wait_for
from tests.test_crm_hubspot_loop import new_mql, patches


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def portal(clock: ManualClock) -> FakeHubSpot:
    portal = FakeHubSpot(token=HUBSPOT_TOKEN, clock=clock, client_secret=HUBSPOT_SECRET)
    seed_hubspot_owners(portal)
    return portal


def make_loop(
    stack: ExitStack,
    database_url: str,
    slack: FakeSlackServer,
    workspace: FakeWorkspace,
    clock: ManualClock,
    portal: FakeHubSpot,
) -> CrmLoop:
    server = stack.enter_context(FakeHubSpotServer(portal))
    return CrmLoop(stack, database_url, slack, workspace, clock, server.url, "hubspot")


@pytest.fixture
def loop(
    database_url: str,
    slack: FakeSlackServer,
    workspace: FakeWorkspace,
    clock: ManualClock,
    portal: FakeHubSpot,
) -> Iterator[CrmLoop]:
    with ExitStack() as stack:
        yield make_loop(stack, database_url, slack, workspace, clock, portal)


def test_hubspot_down_during_a_poll_loses_nothing_and_delays_nothing_else(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    bot = loop.start()
    loop.poll()
    first, second = new_mql(portal, 1), new_mql(portal, 2)
    portal.faults.inject("contacts.search", status=503, times=None)
    failed = loop.poll()
    assert failed.created == 0 and failed.error and "HTTP 503" in failed.error
    assert "HTTP 503" in loop.healthz()["crm"]["poll"]["error"]
    # Slack work does not wait for the CRM: a lead from the API gets its card meanwhile.
    assert bot.post_leads({"email": "api@example.com", "source": "api"}).status_code == 201
    wait_for(lambda: loop.cards(), what="the API lead's card")

    portal.faults.clear()
    loop.clock.advance(OVERLAP * 3)  # the cursor, not the clock, says where to start
    recovered = loop.poll()
    assert (recovered.created, recovered.error) == (2, None)
    loop.card_of(first), loop.card_of(second)
    assert loop.poll().created == 0
    loop.drained()
    assert len(loop.cards()) == 3
    assert loop.healthz()["crm"]["poll"]["error"] is None


def test_a_429_storm_on_writes_ends_with_each_write_made_once(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    # Our own pacing off (as if other apps used the portal's limit): HubSpot answers 429.
    loop.start(loop.settings(hubspot={"requests_per_10s": 1000}))
    loop.poll()
    contacts = [new_mql(portal, n) for n in range(1, 7)]
    portal.faults.inject("contacts.search", status=429, retry_after=1)
    assert loop.poll().error is not None  # rate limited: this poll stops, the next resumes
    assert loop.poll().created == 6
    portal.set_rate_limit("TEN_SECONDLY_ROLLING", 1, window_seconds=1.0)
    portal.retry_after_header = True
    for contact_id in contacts:
        loop.click(ANA, loop.card_of(contact_id), ActionId.CLAIM)

    def all_written() -> bool:
        # Retries are due by the bot's clock; move it as time passes.
        loop.clock.advance(timedelta(seconds=1))
        return all(patches(portal, c) for c in contacts)

    wait_for(all_written, timeout=60, what="every claim written")
    portal.set_rate_limit("TEN_SECONDLY_ROLLING", None)
    loop.drained()
    assert [c for c in portal.calls("contacts.update") if c.status == 429], "no 429 was answered"
    for contact_id in contacts:
        assert patches(portal, contact_id) == [
            {"hs_lead_status": "IN_PROGRESS", "hubspot_owner_id": "501"}
        ]
    errors = [m.last_error for m in store.outbox(loop.database_url) if m.kind == "crm_write"]
    assert all(e is None for e in errors)


def test_a_hanging_crm_write_holds_no_card_back(loop: CrmLoop, portal: FakeHubSpot) -> None:
    loop.start()
    loop.poll()
    contact_id = new_mql(portal)
    assert loop.poll().created == 1
    portal.faults.inject("contacts.update", delay=6.0)
    loop.click(ANA, loop.card_of(contact_id), ActionId.CLAIM)
    wait_for(lambda: not portal.faults.pending(), what="the claim's write to reach HubSpot")

    assert loop.bot.post_leads({"email": "api@example.com", "source": "api"}).status_code == 201
    wait_for(lambda: len(loop.cards()) == 2, what="the API lead's card")
    # The card went out while the write still hung: the write's row is not done yet.
    writes = [m for m in store.outbox(loop.database_url) if m.kind == "crm_write"]
    assert [m.state for m in writes] == ["pending"]

    wait_for(lambda: patches(portal, contact_id), timeout=20, what="the claim written")
    loop.drained()
    assert len(patches(portal, contact_id)) == 1


@pytest.mark.postgres
def test_two_replicas_on_one_postgresql_post_each_card_once_and_write_once(
    postgres_url: str,
    slack: FakeSlackServer,
    workspace: FakeWorkspace,
    clock: ManualClock,
    portal: FakeHubSpot,
) -> None:
    with ExitStack() as stack:
        loop = make_loop(stack, postgres_url, slack, workspace, clock, portal)
        first, second = loop.start(), loop.start()
        loop.poll(first)
        contacts = [new_mql(portal, n) for n in range(1, 9)]

        def pull_from(bot: BotServer) -> poll.PullSummary:
            crm = bot.handoff.services.crm  # type: ignore[union-attr]
            # Both read everything at once, past the lease (as a backfill during a poll).
            return bot.call(lambda: poll.pull(crm, START - OVERLAP))

        with ThreadPoolExecutor(2) as pool:
            summaries = list(pool.map(pull_from, [first, second]))
        assert sum(s.created for s in summaries) == 8
        assert sum(s.duplicates for s in summaries) == 8
        for contact_id in contacts:
            loop.card_of(contact_id)
        for n, contact_id in enumerate(contacts):
            bot = (first, second)[n % 2]
            card = loop.card_of(contact_id)
            loop.sender(bot).click(
                user=ANA, channel="C0LEADS", ts=card.ts, action_id=ActionId.CLAIM
            )
        wait_for(lambda: all(patches(portal, c) for c in contacts), what="every claim written")
        loop.drained()
        assert len(loop.cards()) == 8
        for contact_id in contacts:
            assert len(patches(portal, contact_id)) == 1
        assert len(store.leads(postgres_url)) == 8
