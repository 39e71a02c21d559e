"""The definition on every lead, through real HTTP and the fake workspace.

The fit is graded at intake and stored with the definition's version: the API
answer, the card's fit line, `/leadfeedback lead` and the CSV export show it;
`on_miss` decides whether a lead below the definition gets its card, a review
in the marketing channel, or goes back to nurture without one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from bot.settings import Settings
from messages.ids import ActionId
from storage.kinds import EventKind
from storage.models import LeadState
from tests import store
from tests.conftest import SIGNING_SECRET, make_settings
from tests.harness import BotServer, wait_for

LEADS, MARKETING = "C0LEADS", "C0MKTG"
MARKETER, REP = "U0MKT", "U0REP1"
CRITERIA = [
    {"id": "size", "label": "Company size", "employees": {"at_least": 50}},
    {"id": "region", "label": "DACH <&>", "country": ["DE", "AT", "CH"]},
    {"id": "buyer_role", "label": "buyer role", "title": ["head", "director"]},
]
FITS = {
    "email": "ana@acme.example",
    "first_name": "Ana",
    "company": "Acme",
    "employees": 200,
    "country": "de",
    "title": "Head of Ops",
}
MISSES = {**FITS, "email": "bo@tiny.example", "first_name": "Bo", "title": "<!channel> intern"}


def settings_with(database_url: str, api_url: str, on_miss: str) -> Settings:
    # The real clock: on the review's day of the month the monthly review would join
    # the marketing channel's messages, so it is off here (tests/test_definition_review.py).
    definition = {"criteria": CRITERIA, "on_miss": on_miss, "review": {"enabled": False}}
    return make_settings(database_url, api_url, mql_definition=definition)


@pytest.fixture
def on_miss() -> str:
    return "flag"


@pytest.fixture
def bot(database_url: str, slack: FakeSlackServer, on_miss: str) -> Iterator[BotServer]:
    with BotServer(settings_with(database_url, slack.api_url, on_miss)) as server:
        yield server


@pytest.fixture
def sender(workspace: FakeWorkspace, slack: FakeSlackServer, bot: BotServer) -> InteractionSender:
    return InteractionSender(
        workspace, bot_url=bot.url, signing_secret=SIGNING_SECRET, response_base_url=slack.url
    )


def text_of(message: Any) -> str:
    return message.text + repr(message.blocks)


def test_flag_stores_the_fit_and_shows_it_everywhere(
    bot: BotServer, workspace: FakeWorkspace, sender: InteractionSender, database_url: str
) -> None:
    response = bot.post_leads({"leads": [FITS, MISSES]})
    assert response.status_code == 201
    version = bot.settings.team.mql_definition.version
    good, bad = response.json()["leads"]
    assert good["fit"] == {"version": version, "met": 3, "total": 3, "misses": []}
    assert bad["fit"] == {
        "version": version,
        "met": 2,
        "total": 3,
        "misses": [["buyer_role", "buyer role"]],
    }
    stored = store.lead(database_url, bad["id"])
    assert (stored.fit_version, stored.fit_missed) == (version, 0b100)

    bot.drain()
    cards = {m.text.split(": ", 1)[1]: m for m in workspace.messages(LEADS)}
    assert len(cards) == 2, "flag posts every card"
    assert "Fit 3/3 · meets the MQL definition" in text_of(cards["Ana at Acme"])
    assert "Fit 2/3 · misses: buyer role" in text_of(cards["Bo at Acme"])
    # A duplicate answers with the fit its lead was stored with.
    again = bot.post_leads(MISSES).json()
    assert again == {"id": bad["id"], "status": "duplicate", "fit": bad["fit"]}

    sender.slash_command(
        user=MARKETER, channel=LEADS, command="/leadfeedback", text=f"lead {bad['id']}"
    )
    answer = wait_for(
        lambda: [e for e in workspace.ephemerals(user=MARKETER) if "Fit 2/3" in text_of(e)],
        what="lead answer",
    )
    assert f"definition {version}" in text_of(answer[-1])

    sender.slash_command(user=MARKETER, channel=LEADS, command="/leadfeedback", text="export 7d")
    bot.drain()
    file = wait_for(
        lambda: workspace.files and workspace.files[0].content and workspace.files[0],
        what="the CSV",
    )
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(file.content.decode("utf-8-sig")))}
    assert rows[str(bad["id"])]["fit_version"] == version
    assert (rows[str(bad["id"])]["fit_met"], rows[str(bad["id"])]["fit_total"]) == ("2", "3")
    assert rows[str(bad["id"])]["fit_misses"] == "buyer_role"
    assert rows[str(good["id"])]["fit_misses"] == ""


def test_labels_from_config_are_escaped_on_the_card(
    bot: BotServer, workspace: FakeWorkspace
) -> None:
    lead = bot.post_leads({**FITS, "country": "FR"}).json()
    assert lead["fit"]["misses"] == [["region", "DACH <&>"]]
    bot.drain()
    (card,) = workspace.messages(LEADS)
    assert "misses: DACH &lt;&amp;&gt;" in text_of(card)
    assert "DACH <&>" not in repr(card.blocks)


@pytest.mark.parametrize("on_miss", ["return"])
def test_return_posts_no_card_and_counts_it_below_the_definition(
    bot: BotServer, workspace: FakeWorkspace, database_url: str
) -> None:
    response = bot.post_leads({"leads": [FITS, MISSES]}).json()
    good, bad = (item["id"] for item in response["leads"])
    bot.drain()
    assert len(workspace.messages(LEADS)) == 1
    assert store.lead(database_url, good).state == LeadState.OPEN
    returned = store.lead(database_url, bad)
    assert returned.state == LeadState.RETURNED and returned.message_ts is None
    (event,) = store.events(database_url, bad)
    assert event.kind == EventKind.RETURNED
    assert event.detail == {"why": "below the definition", "by": "on_miss"}


@pytest.mark.parametrize("on_miss", ["review"])
def test_review_asks_marketing_then_sends_on_or_returns(
    bot: BotServer, workspace: FakeWorkspace, sender: InteractionSender, database_url: str
) -> None:
    first = bot.post_leads(MISSES).json()["id"]
    second = bot.post_leads({**MISSES, "email": "cy@tiny.example", "first_name": "Cy"}).json()["id"]
    bot.post_leads(FITS)
    bot.drain()
    assert len(workspace.messages(LEADS)) == 1, "only the lead that fits gets a card at once"
    reviews = {m.text: m for m in workspace.messages(MARKETING)}
    assert set(reviews) == {
        "Below the MQL definition: Bo at Acme",
        "Below the MQL definition: Cy at Acme",
    }
    bo = reviews["Below the MQL definition: Bo at Acme"]
    assert "misses: buyer role" in text_of(bo)
    # The lead's title is escaped: nobody is pinged.
    assert "&lt;!channel&gt;" in text_of(bo) and "<!channel>" not in repr(bo.blocks)

    # A rep is not a marketer: refused privately, nothing changes.
    sender.click(user=REP, channel=MARKETING, ts=bo.ts, action_id=ActionId.DEFINITION_SEND_ON)
    wait_for(
        lambda: [e for e in workspace.ephemerals(user=REP) if "Only the marketers" in e.text],
        what="refusal",
    )
    assert store.lead(database_url, first).review_state == "pending"

    sender.click(user=MARKETER, channel=MARKETING, ts=bo.ts, action_id=ActionId.DEFINITION_SEND_ON)
    wait_for(lambda: store.lead(database_url, first).review_state == "sent", what="sent on")
    bot.drain()
    assert store.lead(database_url, first).review_state == "sent"
    assert len(workspace.messages(LEADS)) == 2, "sent on: its card is posted"
    updated = workspace.message(MARKETING, bo.ts)
    assert "Sent on to sales" in text_of(updated) and f"<@{MARKETER}>" in text_of(updated)
    assert ActionId.DEFINITION_SEND_ON not in repr(updated.blocks)

    cy = reviews["Below the MQL definition: Cy at Acme"]
    sender.click(user=MARKETER, channel=MARKETING, ts=cy.ts, action_id=ActionId.DEFINITION_RETURN)
    wait_for(lambda: store.lead(database_url, second).state == LeadState.RETURNED, what="return")
    bot.drain()
    returned = store.lead(database_url, second)
    assert (returned.state, returned.review_state) == (LeadState.RETURNED, "returned")
    assert len(workspace.messages(LEADS)) == 2, "returned: no card"
    decided = workspace.message(MARKETING, cy.ts)
    assert "Returned to nurture below the definition" in text_of(decided)
    kinds = [e.kind for e in store.events(database_url, second)]
    assert kinds == [EventKind.RETURNED]


@pytest.mark.parametrize("on_miss", ["review"])
def test_a_review_is_decided_once(
    bot: BotServer, workspace: FakeWorkspace, sender: InteractionSender, database_url: str
) -> None:
    lead_id = bot.post_leads(MISSES).json()["id"]
    bot.drain()
    (post,) = workspace.messages(MARKETING)
    # Two marketers click at once (or one double-clicks): both saw the buttons.
    first, second = (
        sender.block_actions_payload(user=user, channel=MARKETING, ts=post.ts, action_id=action)
        for user, action in (
            (MARKETER, ActionId.DEFINITION_RETURN),
            ("U0MGR", ActionId.DEFINITION_SEND_ON),
        )
    )
    assert sender.post_payload(first).status_code == 200
    wait_for(lambda: store.lead(database_url, lead_id).review_state == "returned", what="returned")
    assert sender.post_payload(second).status_code == 200
    wait_for(
        lambda: [e for e in workspace.ephemerals(user="U0MGR") if "already sent" in e.text],
        what="second click refused",
    )
    bot.drain()
    assert workspace.messages(LEADS) == []
    assert store.lead(database_url, lead_id).state == LeadState.RETURNED
