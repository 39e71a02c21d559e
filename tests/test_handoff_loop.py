"""The handoff loop end to end: intake over HTTP, the card, clicks and the modal.

The bot runs on a real port with the real slack_sdk client pointed at the fake
workspace; the fake sends correctly signed, Slack-shaped requests back. The main
tests run twice: Slack over HTTP, and Slack over Socket Mode (the bot connects to the
fake's WebSocket and acks envelopes), with the same assertions.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from bot.sandbox.fake_slack import FakeWorkspace, InteractionSender, Message
from bot.settings import Settings
from messages.ids import ActionId, BlockId
from tests import store
from tests.conftest import SIGNING_SECRET
from tests.harness import BotServer, wait_for

# Slack over HTTP and over Socket Mode (see the `transport` fixture in conftest.py).
BOTH_TRANSPORTS = pytest.mark.parametrize("transport", ["http", "socket"], indirect=True)
LEADS, MARKETING = "C0LEADS", "C0MKTG"
ANA, BEN = "U0REP1", "U0REP2"
LEAD = {
    "email": "ana.buyer@example.com",
    "external_id": "hs-1001",
    "first_name": "Ana",
    "last_name": "Buyer",
    "company": "Acme GmbH",
    "title": "Head of Ops",
    "source": "webinar-nov",
    "score": 91,
    "reason": "requested a demo",
    "crm_url": "https://crm.example.com/contacts/1001",
}


def cards(workspace: FakeWorkspace) -> list[Message]:
    return workspace.messages(LEADS)


def the_card(workspace: FakeWorkspace) -> Message:
    return wait_for(lambda: cards(workspace)[0] if cards(workspace) else None, what="the card")


def action_ids(message: Message) -> list[str]:
    return [
        e.get("action_id") for b in message.blocks if b["type"] == "actions" for e in b["elements"]
    ]


def text_of(message: Message) -> str:
    return repr(message.blocks) + message.text


def card_says(workspace: FakeWorkspace, ts: str, fragment: str) -> Message:
    def check() -> Message | None:
        message = workspace.message(LEADS, ts)
        return message if message and fragment in text_of(message) else None

    return wait_for(check, what=f"card saying {fragment!r}")


def replies_saying(workspace: FakeWorkspace, ts: str, fragment: str) -> list[Message]:
    return [r for r in workspace.replies(LEADS, ts) if fragment in r.text]


def ephemeral_for(workspace: FakeWorkspace, user: str, fragment: str) -> Any:
    return wait_for(
        lambda: [e for e in workspace.ephemerals(user=user) if fragment in e.text],
        what=f"ephemeral to {user} saying {fragment!r}",
    )


def reject_via_modal(
    sender: InteractionSender,
    workspace: FakeWorkspace,
    user: str,
    ts: str,
    reason: str,
    comment: str | None,
) -> httpx.Response:
    assert (
        sender.click(user=user, channel=LEADS, ts=ts, action_id=ActionId.REJECT).status_code == 200
    )
    view = wait_for(lambda: workspace.open_views(user), what="reject modal")[-1]
    values: dict[str, Any] = {BlockId.REJECT_REASON: {ActionId.REJECT_REASON: reason}}
    if comment is not None:
        values[BlockId.REJECT_COMMENT] = {ActionId.REJECT_COMMENT: comment}
    return sender.submit_view(user=user, view_id=view.id, values=values)


@BOTH_TRANSPORTS
def test_whole_loop_intake_card_claim_reject(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    response = bot.post_leads(LEAD)
    assert response.status_code == 201
    lead_id = response.json()["id"]
    assert response.json() == {"id": lead_id, "status": "created"}

    card = the_card(workspace)
    assert action_ids(card) == [ActionId.CLAIM, ActionId.REJECT, ActionId.OPEN_CRM]
    for fact in ("Ana Buyer", "Acme GmbH", "requested a demo", "webinar-nov", "91", "<!date^"):
        assert fact in text_of(card)
    stored = wait_for(
        lambda: (s := store.lead(database_url, lead_id)).message_ts == card.ts and s,
        what="ts stored",
    )
    assert stored.channel_id == LEADS
    assert stored.due_at is not None and stored.posted_at is not None

    assert (
        sender.click(user=ANA, channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM).status_code
        == 200
    )
    claimed = card_says(workspace, card.ts, f"Claimed by <@{ANA}>")
    assert action_ids(claimed) == [
        ActionId.ACCEPT,
        ActionId.REJECT,
        ActionId.RELEASE,
        ActionId.OPEN_CRM,
    ]
    wait_for(lambda: replies_saying(workspace, card.ts, f"<@{ANA}> claimed"), what="claim reply")

    response = reject_via_modal(
        sender, workspace, ANA, card.ts, "no_budget", "Two-person shop, no budget this year."
    )
    assert response.status_code == 200 and response.content in (b"", b"{}")
    rejected = card_says(workspace, card.ts, f"Rejected by <@{ANA}>")
    assert "No budget or too small" in text_of(rejected)
    assert action_ids(rejected) == [ActionId.OPEN_CRM]

    notice = wait_for(lambda: workspace.messages(MARKETING), what="marketing notice")[0]
    assert "No budget or too small" in text_of(notice) and "Two-person shop" in text_of(notice)
    assert f"archives/{LEADS}/p{card.ts.replace('.', '')}" in text_of(notice)
    wait_for(lambda: replies_saying(workspace, card.ts, "rejected this lead"), what="reject reply")

    final = store.lead(database_url, lead_id)
    assert (final.state, final.owner_id, final.rejection_reason) == ("rejected", ANA, "no_budget")
    assert final.rejection_comment == "Two-person shop, no budget this year."
    kinds = [
        (e.kind, e.actor_id, e.from_state, e.to_state) for e in store.events(database_url, lead_id)
    ]
    assert kinds == [
        ("posted", None, None, None),
        ("claimed", ANA, "open", "claimed"),
        ("rejected", ANA, "claimed", "rejected"),
    ]


@BOTH_TRANSPORTS
def test_a_later_claimer_is_told_who_has_it(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id = bot.post_leads(LEAD).json()["id"]
    card = the_card(workspace)
    sender.click(user=ANA, channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM)
    card_says(workspace, card.ts, "Claimed by")
    # Ben's card is stale: he still sees the Claim button in the payload he sends.
    stale = sender.block_actions_payload(
        user=BEN, channel=LEADS, ts=card.ts, action_id=ActionId.ACCEPT
    )
    stale["actions"][0]["action_id"] = ActionId.CLAIM
    sender.post_payload(stale)
    ephemeral_for(workspace, BEN, f"already claimed by <@{ANA}>")
    sender.click(user=BEN, channel=LEADS, ts=card.ts, action_id=ActionId.ACCEPT)
    ephemeral_for(workspace, BEN, f"Only <@{ANA}>, who claimed this lead, can accept it")
    sender.click(user=ANA, channel=LEADS, ts=card.ts, action_id=ActionId.ACCEPT)
    card_says(workspace, card.ts, f"Accepted as SQL by <@{ANA}>")
    assert [e.kind for e in store.events(database_url, lead_id)] == [
        "posted",
        "claimed",
        "accepted",
    ]
    assert store.lead(database_url, lead_id).state == "accepted"


def test_release_puts_the_lead_back_with_a_thread_note(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id = bot.post_leads(LEAD).json()["id"]
    card = the_card(workspace)
    sender.click(user=ANA, channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM)
    card_says(workspace, card.ts, "Claimed by")
    sender.click(user=ANA, channel=LEADS, ts=card.ts, action_id=ActionId.RELEASE)
    reopened = card_says(workspace, card.ts, "Unclaimed")
    assert action_ids(reopened)[:2] == [ActionId.CLAIM, ActionId.REJECT]
    wait_for(lambda: replies_saying(workspace, card.ts, "released this lead"), what="release reply")
    lead = store.lead(database_url, lead_id)
    assert (lead.state, lead.owner_id, lead.claimed_at) == ("open", None, None)
    sender.click(user=BEN, channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM)
    card_says(workspace, card.ts, f"Claimed by <@{BEN}>")


def test_double_clicks_and_replays_change_nothing_twice(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id = bot.post_leads(LEAD).json()["id"]
    card = the_card(workspace)
    payload = sender.block_actions_payload(
        user=ANA, channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM
    )
    body = sender.encode_payload(payload)
    headers = sender.sign(body)
    first = sender.post(body, headers)
    replay = sender.post(body, headers)  # byte-for-byte the same signed request
    assert (first.status_code, replay.status_code) == (200, 200)
    ephemeral_for(workspace, ANA, "You already claimed this lead")
    wait_for(lambda: replies_saying(workspace, card.ts, "claimed"), what="claim reply")
    assert [e.kind for e in store.events(database_url, lead_id)] == ["posted", "claimed"]
    assert len(replies_saying(workspace, card.ts, "claimed")) == 1


@BOTH_TRANSPORTS
def test_reject_needs_a_reason_and_a_comment_where_the_reason_says_so(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id = bot.post_leads(LEAD).json()["id"]
    card = the_card(workspace)
    # This test is about the modal's checks: wait until the bot has recorded the card's ts
    # (a click just before that waits up to 3 s: bot/leads/clicks.py once_posted).
    wait_for(lambda: store.lead(database_url, lead_id).message_ts == card.ts, what="card ts")
    response = reject_via_modal(sender, workspace, BEN, card.ts, "other", "   ")
    assert response.json()["response_action"] == "errors"
    assert BlockId.REJECT_COMMENT in response.json()["errors"]
    assert workspace.open_views(BEN), "the modal stays open to be fixed"
    assert store.lead(database_url, lead_id).state == "open"

    view = workspace.open_views(BEN)[-1]
    fixed = sender.submit_view(
        user=BEN,
        view_id=view.id,
        values={
            BlockId.REJECT_REASON: {ActionId.REJECT_REASON: "other"},
            BlockId.REJECT_COMMENT: {ActionId.REJECT_COMMENT: "Reseller asking for price lists"},
        },
    )
    assert fixed.status_code == 200
    # Over Socket Mode the modal closes when the ack reaches Slack, just after the answer.
    wait_for(lambda: not workspace.open_views(BEN), what="the modal closed")
    card_says(workspace, card.ts, f"Rejected by <@{BEN}>")
    lead = store.lead(database_url, lead_id)
    assert (lead.state, lead.rejection_reason, lead.rejection_comment) == (
        "rejected",
        "other",
        "Reseller asking for price lists",
    )


def test_reject_of_someone_elses_lead_is_refused_in_the_modal(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id = bot.post_leads(LEAD).json()["id"]
    card = the_card(workspace)
    sender.click(user=ANA, channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM)
    card_says(workspace, card.ts, "Claimed by")
    sender.click(user=BEN, channel=LEADS, ts=card.ts, action_id=ActionId.REJECT)

    def refused() -> Any:
        views = workspace.open_views(BEN)
        return views and "who claimed this lead" in repr(views[-1].blocks)

    wait_for(refused, what="the modal to say the lead is taken")
    calls = [c.method for c in workspace.calls() if c.method.startswith("views.")]
    assert calls[:2] == ["views.open", "views.update"]
    assert workspace.calls("views.open")[0].ok, "views.open used a fresh trigger_id"
    assert store.lead(database_url, lead_id).state == "claimed"


def test_two_concurrent_claims_have_one_winner_across_two_bot_processes(
    settings: Settings, workspace: FakeWorkspace, database_url: str, slack: Any
) -> None:
    with BotServer(settings) as one, BotServer(settings) as two:
        lead_id = one.post_leads(LEAD).json()["id"]
        card = the_card(workspace)
        senders = [
            InteractionSender(
                workspace, bot_url=b.url, signing_secret=SIGNING_SECRET, response_base_url=slack.url
            )
            for b in (one, two)
        ]
        users = ["U0REP1", "U0REP2"]
        barrier = threading.Barrier(2)
        results: list[int] = []

        def claim(index: int) -> None:
            barrier.wait()
            response = senders[index].click(
                user=users[index], channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM
            )
            results.append(response.status_code)

        threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == [200, 200]
        wait_for(lambda: workspace.ephemerals(), what="the loser's answer")
        claims = [e for e in store.events(database_url, lead_id) if e.kind == "claimed"]
        assert len(claims) == 1
        winner = claims[0].actor_id
        loser = next(u for u in users if u != winner)
        ephemeral_for(workspace, loser, f"already claimed by <@{winner}>")
        card_says(workspace, card.ts, f"Claimed by <@{winner}>")
        assert store.lead(database_url, lead_id).owner_id == winner


def test_lead_values_are_shown_literally_and_ping_nobody(
    bot: BotServer, workspace: FakeWorkspace
) -> None:
    hostile = {
        "email": "x@example.com",
        "first_name": "<!channel>",
        "last_name": "<@U0MGR>",
        "company": 'Evil & Co <https://phish.example|login> "quoted"',
        "reason": "*bold* <!here>",
    }
    assert bot.post_leads(hostile).status_code == 201
    card = the_card(workspace)
    text = text_of(card)
    assert "<!channel>" not in text and "<@U0MGR>" not in text and "<!here>" not in text
    assert "<https://phish" not in text
    assert "&lt;!channel&gt;" in text and "Evil &amp; Co" in text


@BOTH_TRANSPORTS
def test_leadfeedback_answers_privately_through_the_response_url(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace
) -> None:
    bot.post_leads(LEAD)
    the_card(workspace)
    response = sender.slash_command(user=ANA, channel=LEADS, command="/leadfeedback", text="help")
    assert response.status_code == 200
    help_text = ephemeral_for(workspace, ANA, "lead numbers for marketing and sales")[-1]
    assert "/leadfeedback stats" in repr(help_text.blocks)
    sender.slash_command(user="U0MKT", channel=LEADS, command="/leadfeedback", text="stats 7d")
    stats = ephemeral_for(workspace, "U0MKT", "Lead funnel")[-1]
    assert stats.source == "response_url" and "1" in repr(stats.blocks)


@BOTH_TRANSPORTS
def test_a_message_typed_in_the_bots_dm_is_answered_with_the_help(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace
) -> None:
    response = sender.message_in_dm(user=ANA, text="hello? how do I see my leads")
    assert response.status_code == 200
    dm = workspace.dm_channel(ANA)
    assert dm is not None

    def answer() -> list[Message]:
        return [m for m in workspace.messages(dm) if m.user == workspace.bot_user_id]

    reply = wait_for(answer, what="the bot's answer in the DM")[0]
    assert "/leadfeedback" in reply.text and "/leadfeedback stats" in repr(reply.blocks)
