"""Availability and sticky accounts through the fake workspace: caps, working hours in each
rep's Slack time zone, and a company's second lead going to the owner of its first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime

import pytest

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from bot.timekeeping.clock import ManualClock
from messages.ids import ActionId
from tests import store
from tests.routing_support import ANA, BEN, BERLIN, MARIA, START, Desk, text_of


@pytest.fixture
def desk(database_url: str, slack: FakeSlackServer, workspace: FakeWorkspace) -> Iterator[Desk]:
    with ExitStack() as stack:
        yield Desk(stack, database_url, slack, workspace, ManualClock(START))


def test_a_daily_cap_skips_the_rep_until_tomorrow(desk: Desk) -> None:
    pools = [{"id": "reps", "members": {"users": [ANA, BEN]}, "cap": {"day": 1}}]
    desk.start(desk.settings({"pools": pools, "sticky_within": None}))
    assert store.lead(desk.database_url, desk.post(1)[0]).owner_id == ANA
    assert store.lead(desk.database_url, desk.post(2)[0]).owner_id == BEN
    lead_id, card = desk.post(3)
    assert "nobody was available to assign it" in text_of(card)
    skipped = next(e for e in store.events(desk.database_url, lead_id) if e.kind == "unrouted")
    assert skipped.detail["skipped"] == {ANA: "cap", BEN: "cap"}
    desk.clock.set(datetime(2026, 12, 8, 10, 0, tzinfo=BERLIN))  # Tuesday: a new day
    assert store.lead(desk.database_url, desk.post(4)[0]).owner_id == ANA


def test_working_hours_follow_each_reps_slack_time_zone(
    desk: Desk, workspace: FakeWorkspace
) -> None:
    workspace.add_user(id="U0NYC", name="nina", tz="America/New_York")
    pools = [{"id": "reps", "members": {"users": [ANA, "U0NYC"]}, "fallback": MARIA}]
    routing = {"pools": pools, "working_hours": {"start": "09:00", "end": "17:00"}}
    desk.start(desk.settings(routing))
    # 10:00 in Berlin is 04:00 in New York: only Ana works now.
    for n in (1, 2):
        assert store.lead(desk.database_url, desk.post(n)[0]).owner_id == ANA
    # 16:30 in Berlin is 10:30 in New York: both work, and Nina starts at the average.
    desk.clock.set(datetime(2026, 12, 7, 16, 30, tzinfo=BERLIN))
    owners = [store.lead(desk.database_url, desk.post(n)[0]).owner_id for n in (3, 4)]
    assert sorted(owners) == sorted([ANA, "U0NYC"])
    # 23:30 in Berlin, 17:30 in New York: nobody works; the fallback takes it.
    desk.clock.set(datetime(2026, 12, 7, 23, 30, tzinfo=BERLIN))
    lead_id, _ = desk.post(5)
    assert store.lead(desk.database_url, lead_id).owner_id == MARIA


def test_a_companys_next_lead_goes_to_the_owner_of_its_open_lead(desk: Desk) -> None:
    desk.start()
    first, card = desk.post(1, email="cto@globex.example")
    assert store.lead(desk.database_url, first).owner_id == ANA
    # Round robin would give the next lead to Ben; the account sticks to Ana.
    second, card2 = desk.post(2, email="buyer@GLOBEX.example")
    assert f"Assigned to <@{ANA}>" in text_of(card2)
    why = next(e for e in store.events(desk.database_url, second) if e.kind == "assigned")
    assert why.detail["kind"] == "sticky"
    # Free-mail addresses are no account: the rotation carries on.
    third, _ = desk.post(3, email="someone@gmail.com")
    fourth, _ = desk.post(4, email="other@gmail.com")
    assert {store.lead(desk.database_url, n).owner_id for n in (third, fourth)} == {ANA, BEN}
    # Once Ana accepted the first, the account stays hers.
    desk.sender.click(user=ANA, channel="C0LEADS", ts=card.ts, action_id=ActionId.ACCEPT)
    desk.card_says(card, "Accepted as SQL")
    fifth, _ = desk.post(5, email="ceo@globex.example")
    assert store.lead(desk.database_url, fifth).owner_id == ANA


@pytest.mark.parametrize("ooo_status", [True, False])
def test_an_out_of_office_status_skips_the_rep_only_when_turned_on(
    desk: Desk, workspace: FakeWorkspace, ooo_status: bool
) -> None:
    workspace.set_user_status(ANA, "OOO until Monday", ":palm_tree:")
    desk.start(desk.settings({"ooo_status": ooo_status}))
    lead_id, _ = desk.post(1)
    assert store.lead(desk.database_url, lead_id).owner_id == (BEN if ooo_status else ANA)
    if ooo_status:
        why = next(e for e in store.events(desk.database_url, lead_id) if e.kind == "assigned")
        assert why.detail["skipped"] == {ANA: "status"}
