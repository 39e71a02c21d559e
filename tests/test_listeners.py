"""The middle tier: signed requests dispatched in-process to the Bolt app.

The way bolt-python's own scenario tests work: no HTTP server for the bot, the
real Bolt app built by `create_app`, its Web API calls going over real HTTP to
the fake workspace. For listeners whose rule needs nothing more (refusals,
permissions, modal field errors); the flows keep their end-to-end tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy import update

from bot.app import HandoffApp, create_app, stop_background
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from bot.settings import Settings
from bot.timekeeping.clock import ManualClock
from messages.ids import ActionId, BlockId, Command
from storage.database import Database
from storage.lead_input import LeadIn
from storage.leads import ingest_leads
from storage.models import Lead, LeadState
from storage.transitions import claim_lead
from tests.conftest import SIGNING_SECRET
from tests.feedback_data import NOW

ANA, BEN, MARK = "U0REP1", "U0REP2", "U0MKT"
LEADS = "C0LEADS"


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[HandoffApp]:
    db = Database(settings.database_url)
    handoff = create_app(settings, db=db, clock=ManualClock(NOW))
    try:
        yield handoff
    finally:
        await db.dispose()


@pytest.fixture
def slack_sender(workspace: FakeWorkspace, slack: FakeSlackServer) -> InteractionSender:
    # Only builds and signs payloads here; nothing is posted to a bot URL.
    return InteractionSender(
        workspace,
        bot_url="http://127.0.0.1:9",
        signing_secret=SIGNING_SECRET,
        response_base_url=slack.url,
    )


async def dispatch(app: HandoffApp, sender: InteractionSender, body: bytes) -> BoltResponse:
    request = AsyncBoltRequest(body=body.decode(), headers=sender.sign(body))
    return await app.bolt.async_dispatch(request)


async def eventually(check: Callable[[], Any], what: str) -> Any:
    """The listener goes on after its ack; wait for what it does, not for a fixed time."""
    for _ in range(500):
        value = check()
        if value:
            return value
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def a_posted_card(app: HandoffApp, workspace: FakeWorkspace) -> tuple[int, str]:
    services = app.services
    async with services.db.session() as session:
        [stored] = await ingest_leads(
            session,
            [LeadIn(email="ana.buyer@example.com", company="Acme", source="webinar")],
            now=NOW,
            dedup_window=services.settings.team.intake.dedup_window,
        )
    await services.outbox.drain_once()
    [card] = workspace.messages(LEADS)
    return stored.id, card.ts


async def test_a_second_claim_is_refused_privately_and_changes_nothing(
    app: HandoffApp, workspace: FakeWorkspace, slack_sender: InteractionSender
) -> None:
    lead_id, ts = await a_posted_card(app, workspace)
    async with app.services.db.session() as session:
        await claim_lead(session, lead_id=lead_id, user_id=ANA, now=NOW)
    payload = slack_sender.block_actions_payload(
        user=BEN, channel=LEADS, ts=ts, action_id=ActionId.CLAIM
    )
    response = await dispatch(app, slack_sender, slack_sender.encode_payload(payload))
    assert response.status == 200
    [refusal] = await eventually(lambda: workspace.ephemerals(user=BEN), "the refusal")
    assert refusal.text == f":information_source: This lead is already claimed by <@{ANA}>."
    assert workspace.ephemerals(user=ANA) == []


async def test_a_button_without_a_lead_says_so_and_writes_nothing(
    app: HandoffApp, workspace: FakeWorkspace, slack_sender: InteractionSender
) -> None:
    _, ts = await a_posted_card(app, workspace)
    payload = slack_sender.block_actions_payload(
        user=BEN, channel=LEADS, ts=ts, action_id=ActionId.CLAIM
    )
    payload["actions"][0]["value"] = "not a lead reference"
    response = await dispatch(app, slack_sender, slack_sender.encode_payload(payload))
    assert response.status == 200
    [answer] = await eventually(lambda: workspace.ephemerals(user=BEN), "the answer")
    assert "doesn't carry a lead any more" in answer.text
    assert "Claimed" not in repr(workspace.messages(LEADS)[0].blocks)


async def test_a_rep_asking_for_the_numbers_is_told_who_can(
    app: HandoffApp, workspace: FakeWorkspace, slack_sender: InteractionSender
) -> None:
    token = workspace._issue_response_target(user_id=ANA, channel_id=LEADS)
    form = {
        "command": str(Command.LEADFEEDBACK),
        "text": "stats 30d",
        "user_id": ANA,
        "channel_id": LEADS,
        "team_id": workspace.team_id,
        "response_url": slack_sender._response_url(token),
        "trigger_id": workspace.issue_trigger(ANA),
    }
    response = await dispatch(app, slack_sender, urlencode(form).encode())
    assert response.status == 200 and response.body == ""
    [answer] = await eventually(lambda: workspace.ephemerals(user=ANA), "the answer")
    assert f"`{Command.LEADFEEDBACK} stats` is for marketers and admins" in answer.text


async def test_a_rejection_without_its_required_comment_gets_a_field_error(
    app: HandoffApp, workspace: FakeWorkspace, slack_sender: InteractionSender
) -> None:
    _, ts = await a_posted_card(app, workspace)
    click = slack_sender.block_actions_payload(
        user=ANA, channel=LEADS, ts=ts, action_id=ActionId.REJECT
    )
    await dispatch(app, slack_sender, slack_sender.encode_payload(click))
    [view] = await eventually(lambda: workspace.open_views(ANA), "the reject modal")
    submission = slack_sender.view_submission_payload(
        user=ANA,
        view_id=view.id,
        values={BlockId.REJECT_REASON: {ActionId.REJECT_REASON: "other"}},
        enforce_required=False,
    )
    response = await dispatch(app, slack_sender, slack_sender.encode_payload(submission))
    assert response.status == 200
    assert '"response_action":"errors"' in response.body.replace(" ", "")
    assert BlockId.REJECT_COMMENT in response.body


async def set_card_ts(app: HandoffApp, lead_id: int, ts: str | None) -> None:
    async with app.services.db.session() as session:
        await session.exec(update(Lead).where(Lead.id == lead_id).values(message_ts=ts))


async def test_stopping_finishes_a_click_that_was_already_acked(
    app: HandoffApp, workspace: FakeWorkspace, slack_sender: InteractionSender
) -> None:
    lead_id, ts = await a_posted_card(app, workspace)
    # The card's record not yet committed: the acked claim is still waiting for it.
    await set_card_ts(app, lead_id, None)
    payload = slack_sender.block_actions_payload(
        user=ANA, channel=LEADS, ts=ts, action_id=ActionId.CLAIM
    )
    response = await dispatch(app, slack_sender, slack_sender.encode_payload(payload))
    assert response.status == 200
    await eventually(lambda: len(app.listeners) == 1, "the claim's listener running")
    stopping = asyncio.create_task(stop_background(app))
    await set_card_ts(app, lead_id, ts)
    await stopping
    assert len(app.listeners) == 0
    async with app.services.db.session() as session:
        lead = await session.get(Lead, lead_id)
    assert lead is not None and (lead.state, lead.owner_id) == (LeadState.CLAIMED, ANA)


async def test_stopping_waits_for_acked_clicks_only_so_long(
    app: HandoffApp, workspace: FakeWorkspace, slack_sender: InteractionSender
) -> None:
    never = asyncio.Event()

    @app.bolt.action("test_never_finishes")
    async def stuck(ack: Any) -> None:
        await ack()
        await never.wait()

    _, ts = await a_posted_card(app, workspace)
    payload = slack_sender.block_actions_payload(
        user=ANA, channel=LEADS, ts=ts, action_id=ActionId.CLAIM
    )
    payload["actions"][0]["action_id"] = "test_never_finishes"
    await dispatch(app, slack_sender, slack_sender.encode_payload(payload))
    await eventually(lambda: len(app.listeners) == 1, "the stuck listener running")
    assert await app.listeners.settle(within=0.05) == 1
    never.set()
    assert await app.listeners.settle(within=5) == 0
