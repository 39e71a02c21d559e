"""The App Home tab over real HTTP: published when what it shows changes (views.publish),
with a rep's leads and buttons, the away toggle, and a marketer's numbers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from bot.timekeeping.clock import ManualClock
from messages.ids import ActionId
from tests import store
from tests.harness import wait_for
from tests.routing_support import ANA, BEN, MARK, START, Desk, text_of


@pytest.fixture
def desk(database_url: str, slack: FakeSlackServer, workspace: FakeWorkspace) -> Iterator[Desk]:
    with ExitStack() as stack:
        yield Desk(stack, database_url, slack, workspace, ManualClock(START))


def home_text(desk: Desk, user: str) -> str:
    assert desk.bot is not None
    desk.bot.drain()
    home = desk.ws.home(user)
    return repr(home.blocks) if home else ""


def home_actions(desk: Desk, user: str) -> list[str]:
    home = desk.ws.home(user)
    assert home is not None
    found = []
    for block in home.blocks:
        found += [e["action_id"] for e in block.get("elements", []) if "action_id" in e]
        if "accessory" in block:
            found.append(block["accessory"]["action_id"])
    return found


def test_a_reps_home_lists_their_leads_and_toggles_away(desk: Desk) -> None:
    desk.start()
    lead_id, card = desk.post(1)
    text = home_text(desk, ANA)
    assert "You're in the rotation" in text and "Acme 1" in text and "1h left" in text
    assert home_actions(desk, ANA) == [
        ActionId.HOME_AWAY,
        ActionId.ACCEPT,
        ActionId.REJECT,
        ActionId.HAND_OVER,
    ]
    assert desk.sender.click_in_home(user=ANA, action_id=ActionId.HOME_AWAY).status_code == 200
    wait_for(lambda: "You're away" in home_text(desk, ANA), what="Ana's home saying away")
    assert ActionId.HOME_BACK in home_actions(desk, ANA)
    second, _ = desk.post(2)
    assert store.lead(desk.database_url, second).owner_id == BEN
    desk.sender.click_in_home(user=ANA, action_id=ActionId.HOME_BACK)
    wait_for(lambda: "in the rotation" in home_text(desk, ANA), what="Ana back")
    # Accept from the Home tab: the card says so, the Home no longer lists it.
    desk.clock.set(START + timedelta(minutes=5))
    desk.sender.click_in_home(user=ANA, action_id=ActionId.ACCEPT)
    desk.card_says(card, f"Accepted as SQL by <@{ANA}>")
    wait_for(lambda: "Nothing waiting for you" in home_text(desk, ANA), what="an empty list")
    # A decision publishes the marketers' numbers.
    numbers = wait_for(lambda: home_text(desk, MARK), what="the marketer's home")
    assert "Key numbers" in numbers and "*Accepted as SQL*\\n1" in numbers
    assert "Your leads" not in numbers
    assert store.lead(desk.database_url, lead_id).state == "accepted"


def test_claim_mode_publishes_no_home(desk: Desk) -> None:
    desk.start(desk.settings({"mode": "claim"}))
    _, card = desk.post(1)
    desk.sender.click(user=ANA, channel="C0LEADS", ts=card.ts, action_id=ActionId.CLAIM)
    desk.card_says(card, "Claimed by")
    assert desk.bot is not None
    desk.bot.drain()
    assert desk.ws.calls("views.publish") == []
    assert "Claimed by" in text_of(desk.card(card))
