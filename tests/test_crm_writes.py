"""Changes out under failure: lost answers, permanent errors, late and reordered writes.

The fakes can carry a request out and then lose its answer (`after=True`), the way a
gateway 502 or a timeout after the CRM wrote looks to a client: the case where a
careless retry writes twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest

from bot.sandbox.fake_crm import (
    FakeHubSpot,
    FakeHubSpotServer,
    FakeSalesforce,
    FakeSalesforceServer,
)
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from bot.timekeeping.clock import ManualClock
from messages.ids import ActionId
from storage.models import OutboxState
from tests import store
from tests.crm_loop import (
    ANA,
    HUBSPOT_SECRET,
    HUBSPOT_TOKEN,
    SF_CLIENT_ID,
    SF_CLIENT_SECRET,
    START,
    CrmLoop,
    seed_hubspot_owners,
    seed_salesforce_users,
)
from tests.harness import wait_for
from tests.test_crm_hubspot_loop import new_mql, patches
from tests.test_crm_salesforce_loop import new_mql as new_salesforce_mql


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


def retried_until(loop: CrmLoop, done: object, what: str) -> None:
    """Move the bot's clock on until `done()`: retries are due by the bot's clock."""

    def check() -> bool:
        loop.clock.advance(timedelta(seconds=5))
        return bool(done())  # type: ignore[operator]

    wait_for(check, timeout=20, what=what)


def test_a_note_whose_answer_was_lost_is_not_written_twice(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    loop.start()
    loop.poll()
    contact_id = new_mql(portal)
    loop.poll()
    portal.faults.inject("notes.create", status=502, after=True)
    loop.reject(ANA, loop.card_of(contact_id), "no_budget", None)
    retried_until(
        loop,
        lambda: all(m.state == OutboxState.SENT for m in store.outbox(loop.database_url)),
        "the note's retry",
    )
    assert len(portal.notes_of(contact_id)) == 1
    assert [c.status for c in portal.calls("notes.create")] == [502]
    assert portal.calls("notes.batch_read"), "the retry looked for its marker first"


def test_a_permanent_error_is_shown_retried_slowly_and_written_once_fixed(
    loop: CrmLoop, portal: FakeHubSpot
) -> None:
    loop.start(loop.settings(hubspot={"write_back": {"reason_property": "handoff_reason"}}))
    loop.poll()
    contact_id = new_mql(portal)
    loop.poll()
    loop.reject(ANA, loop.card_of(contact_id), "not_icp", None)
    wait_for(
        lambda: "handoff_reason" in (loop.healthz()["crm"]["outbox"]["last_error"] or ""),
        what="the error in /healthz",
    )
    row = next(m for m in store.outbox(loop.database_url) if m.kind == "crm_write")
    assert row.state == OutboxState.PENDING
    assert row.not_before - loop.clock.now() >= timedelta(minutes=10)  # retried slowly
    portal.add_property("contacts", "handoff_reason")
    loop.clock.advance(timedelta(minutes=11))
    wait_for(lambda: patches(portal, contact_id), what="the write once fixed")
    loop.drained()
    assert patches(portal, contact_id) == [
        {"hs_lead_status": "UNQUALIFIED", "handoff_reason": "Not our ideal customer profile"}
    ]


def test_a_late_write_never_puts_back_an_older_state(loop: CrmLoop, portal: FakeHubSpot) -> None:
    loop.start()
    loop.poll()
    contact_id = new_mql(portal)
    loop.poll()
    card = loop.card_of(contact_id)
    # One 429 (Retry-After: 1): the claim's write waits a second of the bot's clock.
    portal.faults.inject("contacts.update", status=429, retry_after=1)
    loop.click(ANA, card, ActionId.CLAIM)
    wait_for(
        lambda: any(
            m.kind == "crm_write" and m.last_error for m in store.outbox(loop.database_url)
        ),
        what="the claim's write to meet the 429",
    )
    loop.click(ANA, card, ActionId.ACCEPT)
    wait_for(lambda: patches(portal, contact_id), what="the accept's write")
    loop.clock.advance(timedelta(seconds=2))  # the claim's write comes due again
    loop.drained()
    assert patches(portal, contact_id) == [
        {"lifecyclestage": "salesqualifiedlead", "hubspot_owner_id": "501"}
    ]
    results = [m.result for m in store.outbox(loop.database_url) if m.kind == "crm_write"]
    assert any("superseded_by_event" in r for r in results)


def test_a_salesforce_task_whose_answer_was_lost_is_not_created_twice(
    database_url: str, slack: FakeSlackServer, workspace: FakeWorkspace, clock: ManualClock
) -> None:
    org = FakeSalesforce(client_id=SF_CLIENT_ID, client_secret=SF_CLIENT_SECRET, clock=clock)
    seed_salesforce_users(org)
    with ExitStack() as stack:
        server = stack.enter_context(FakeSalesforceServer(org))
        loop = CrmLoop(stack, database_url, slack, workspace, clock, server.url, "salesforce")
        loop.start()
        loop.poll()
        lead_id = new_salesforce_mql(org)
        loop.poll()
        org.faults.inject("sobject.create", status=503, after=True)
        loop.reject(ANA, loop.card_of(lead_id), "no_intent", "Student")
        retried_until(
            loop,
            lambda: all(m.state == OutboxState.SENT for m in store.outbox(loop.database_url)),
            "the task's retry",
        )
        tasks = [t for t in org.records["Task"].values() if t["WhoId"] == lead_id]
        assert len(tasks) == 1
        assert "Comment: Student" in tasks[0]["Description"]


def test_a_write_to_a_lead_converted_meanwhile_is_dropped_with_the_reason(
    database_url: str, slack: FakeSlackServer, workspace: FakeWorkspace, clock: ManualClock
) -> None:
    org = FakeSalesforce(client_id=SF_CLIENT_ID, client_secret=SF_CLIENT_SECRET, clock=clock)
    seed_salesforce_users(org)
    with ExitStack() as stack:
        server = stack.enter_context(FakeSalesforceServer(org))
        loop = CrmLoop(stack, database_url, slack, workspace, clock, server.url, "salesforce")
        loop.start()
        loop.poll()
        lead_id = new_salesforce_mql(org)
        loop.poll()
        card = loop.card_of(lead_id)
        org.convert_lead(lead_id, amount=1000)
        loop.click(ANA, card, ActionId.CLAIM)
        loop.drained()
        (row,) = [m for m in store.outbox(loop.database_url) if m.kind == "crm_write"]
        assert row.state == OutboxState.DROPPED
        assert "was converted" in (row.last_error or "")
        assert [c.status for c in org.calls("sobject.update")] == [400]
