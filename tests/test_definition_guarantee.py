"""The lead guarantee: credited back when the lead missed, disputed and decided when it met.

Through real HTTP and the fake workspace: a rep rejects with a definition-miss
reason; the marketing notice says "credited back" or offers Dispute; a marketer
explains in a modal; only the named manager decides (others are refused); an
overturn opens the lead again; every step is an event and a reply in the notice's thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from messages.ids import ActionId, BlockId
from storage.kinds import EventKind
from storage.models import LeadState
from tests import store
from tests.conftest import SIGNING_SECRET, make_settings
from tests.harness import BotServer, wait_for
from tests.test_definition_intake import CRITERIA, FITS, MISSES, text_of

LEADS, MARKETING = "C0LEADS", "C0MKTG"
MARKETER, REP, BOSS, OTHER_REP = "U0MKT", "U0REP1", "U0MGR", "U0REP2"


@pytest.fixture
def bot(database_url: str, slack: FakeSlackServer) -> Iterator[BotServer]:
    # The admins are U0MGR too, but the named manager decides: U0REP2 is named here to
    # show that a manager need not be an admin, and U0MGR (an admin) is refused.
    definition = {
        "criteria": CRITERIA,
        "managers": {"users": [OTHER_REP]},
        "review": {"enabled": False},
    }
    settings = make_settings(database_url, slack.api_url, mql_definition=definition)
    with BotServer(settings) as server:
        yield server


@pytest.fixture
def sender(workspace: FakeWorkspace, slack: FakeSlackServer, bot: BotServer) -> InteractionSender:
    return InteractionSender(
        workspace, bot_url=bot.url, signing_secret=SIGNING_SECRET, response_base_url=slack.url
    )


def reject(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, lead: dict[str, Any]
) -> tuple[int, Any]:
    """Post the lead, reject its card as "not our ICP"; the lead id and the marketing notice."""
    lead_id = bot.post_leads(lead).json()["id"]
    bot.drain()
    card = next(m for m in workspace.messages(LEADS) if lead["first_name"] in m.text)
    sender.click(user=REP, channel=LEADS, ts=card.ts, action_id=ActionId.REJECT)
    view = wait_for(lambda: workspace.open_views(REP), what="reject modal")[-1]
    values = {BlockId.REJECT_REASON: {ActionId.REJECT_REASON: "not_icp"}}
    assert sender.submit_view(user=REP, view_id=view.id, values=values).status_code == 200
    database_url = bot.settings.database_url
    wait_for(lambda: store.lead(database_url, lead_id).state == LeadState.REJECTED, what="reject")
    bot.drain()
    notice = wait_for(
        lambda: next(
            (m for m in workspace.messages(MARKETING) if lead["first_name"] in m.text), None
        ),
        what="the marketing notice",
    )
    return lead_id, notice


def refused(workspace: FakeWorkspace, user: str, words: str) -> Any:
    return wait_for(
        lambda: [e for e in workspace.ephemerals(user=user) if words in e.text],
        what=f"refusal to {user}: {words}",
    )


def test_a_lead_that_missed_is_credited_back(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id, notice = reject(bot, sender, workspace, MISSES)
    assert "credited back to sales" in text_of(notice)
    assert "misses: buyer role" in text_of(notice)
    assert ActionId.DISPUTE not in repr(notice.blocks)
    kinds = [e.kind for e in store.events(database_url, lead_id)]
    assert kinds[-1] == EventKind.CREDITED_BACK
    credited = store.events(database_url, lead_id)[-1]
    assert credited.detail == {"reason": "not_icp", "misses": [["buyer_role", "buyer role"]]}
    assert "1 credited back to sales" in stats(sender, workspace)


def test_another_reason_is_not_the_guarantees(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id = bot.post_leads(MISSES).json()["id"]
    bot.drain()
    (card,) = workspace.messages(LEADS)
    sender.click(user=REP, channel=LEADS, ts=card.ts, action_id=ActionId.REJECT)
    view = wait_for(lambda: workspace.open_views(REP), what="reject modal")[-1]
    values = {BlockId.REJECT_REASON: {ActionId.REJECT_REASON: "no_budget"}}
    sender.submit_view(user=REP, view_id=view.id, values=values)
    bot.drain()
    (notice,) = workspace.messages(MARKETING)
    assert "credited back" not in text_of(notice) and ActionId.DISPUTE not in repr(notice.blocks)
    assert EventKind.CREDITED_BACK not in [e.kind for e in store.events(database_url, lead_id)]


def dispute(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, notice: Any
) -> None:
    sender.click(user=MARKETER, channel=MARKETING, ts=notice.ts, action_id=ActionId.DISPUTE)
    view = wait_for(lambda: workspace.open_views(MARKETER), what="dispute modal")[-1]
    values = {BlockId.DISPUTE_EXPLANATION: {ActionId.DISPUTE_EXPLANATION: "Head of Ops <b>"}}
    assert sender.submit_view(user=MARKETER, view_id=view.id, values=values).status_code == 200
    bot.drain()


def the_request(workspace: FakeWorkspace) -> Any:
    dm = wait_for(lambda: workspace.dm_channel(OTHER_REP), what="the manager's DM channel")
    return wait_for(lambda: workspace.messages(dm), what="the manager's DM")[-1]


def test_dispute_then_overturn_reopens_the_lead(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id, notice = reject(bot, sender, workspace, FITS)
    assert "met every criterion" in text_of(notice)
    # A rep may not dispute: only marketers and admins.
    sender.click(user=REP, channel=MARKETING, ts=notice.ts, action_id=ActionId.DISPUTE)
    refused(workspace, REP, "Only the marketers")

    dispute(bot, sender, workspace, notice)
    request = the_request(workspace)
    assert "Head of Ops &lt;b&gt;" in text_of(request)
    (opened,) = workspace.replies(MARKETING, notice.ts)
    assert "disputed this rejection" in opened.text and f"<@{OTHER_REP}>" in opened.text
    # A second dispute of the same rejection is refused.
    sender.click(user=MARKETER, channel=MARKETING, ts=notice.ts, action_id=ActionId.DISPUTE)
    refused(workspace, MARKETER, "already disputed")

    # An admin who is not a named manager cannot decide.
    dm = workspace.dm_channel(OTHER_REP)
    assert dm is not None
    payload = sender.block_actions_payload(
        user=OTHER_REP, channel=dm, ts=request.ts, action_id=ActionId.DISPUTE_OVERTURN
    )
    # (Forged as if the request had reached the admin in the marketing channel.)
    payload["user"] = {**payload["user"], "id": BOSS}
    payload["channel"] = {"id": MARKETING, "name": "marketing"}
    payload["container"] = {**payload["container"], "channel_id": MARKETING}
    sender.post_payload(payload)
    refused(workspace, BOSS, "Only the sales managers named for disputes")
    assert store.lead(database_url, lead_id).state == LeadState.REJECTED

    sender.click(user=OTHER_REP, channel=dm, ts=request.ts, action_id=ActionId.DISPUTE_OVERTURN)
    wait_for(lambda: store.lead(database_url, lead_id).state == LeadState.OPEN, what="reopened")
    bot.drain()
    lead = store.lead(database_url, lead_id)
    assert (lead.state, lead.owner_id, lead.rejection_reason) == (LeadState.OPEN, None, None)
    kinds = [e.kind for e in store.events(database_url, lead_id)]
    assert kinds[-2:] == [EventKind.DISPUTE_OPENED, EventKind.DISPUTE_OVERTURNED]
    replies = workspace.replies(MARKETING, notice.ts)
    assert "overturned the rejection" in replies[-1].text
    card = next(m for m in workspace.messages(LEADS) if "Ana" in m.text)
    assert ActionId.CLAIM in repr(workspace.message(LEADS, card.ts).blocks)
    assert any("overturned" in r.text for r in workspace.replies(LEADS, card.ts))

    assert "1 disputed: 0 upheld, 1 overturned, 0 open" in stats(sender, workspace)
    # Deciding again is refused, naming who decided.
    sender.click(user=OTHER_REP, channel=dm, ts=request.ts, action_id=ActionId.DISPUTE_UPHOLD)
    refused(workspace, OTHER_REP, f"already decided by <@{OTHER_REP}>")


def test_dispute_upheld_keeps_the_rejection(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id, notice = reject(bot, sender, workspace, FITS)
    dispute(bot, sender, workspace, notice)
    request = the_request(workspace)
    dm = workspace.dm_channel(OTHER_REP)
    assert dm is not None
    sender.click(user=OTHER_REP, channel=dm, ts=request.ts, action_id=ActionId.DISPUTE_UPHOLD)
    wait_for(
        lambda: store.events(database_url, lead_id)[-1].kind == EventKind.DISPUTE_UPHELD,
        what="upheld",
    )
    bot.drain()
    assert store.lead(database_url, lead_id).state == LeadState.REJECTED
    assert store.events(database_url, lead_id)[-1].kind == EventKind.DISPUTE_UPHELD
    assert "upheld the rejection" in workspace.replies(MARKETING, notice.ts)[-1].text


def stats(sender: InteractionSender, workspace: FakeWorkspace) -> str:
    """`/leadfeedback stats` as the marketer: the answer's text and blocks."""
    before = len(workspace.ephemerals(user=MARKETER))
    sender.slash_command(user=MARKETER, channel=LEADS, command="/leadfeedback", text="stats 7d")
    answer = wait_for(lambda: workspace.ephemerals(user=MARKETER)[before:], what="stats")[-1]
    return answer.text + repr(answer.blocks)
