"""How a lead's card, its updates, its thread replies and the marketing notice reach Slack.

Each is rendered from the database when it is sent, so a delivery delayed by
an outage still shows the lead as it is now.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.runtime.deliveries import (
    DeliveryContext,
    Drop,
    NotReady,
    Outcome,
    Sent,
    post_message,
    update_message,
)
from bot.sla.policy import start_clock
from bot.slack.errors import slack_error
from bot.slack.permalinks import card_permalink
from messages.lead_card import erased_message, lead_card
from messages.notices import event_reply, rejection_notice
from storage import cards
from storage.cards import NoRedraw
from storage.events import lead_and_event, record_event
from storage.kinds import ErasedRef, EventKind, EventRef, read_payload
from storage.models import Lead, LeadEvent, OutboxMessage

# Another attempt's chat.update takes a fraction of a second: wait up to five.
REDRAW_BUSY_STEP_SECONDS, REDRAW_BUSY_STEPS = 0.1, 50
REDRAW_BUSY_RETRY = timedelta(seconds=5)


async def _load(ctx: DeliveryContext, message: OutboxMessage) -> Lead | None:
    async with ctx.db.session() as session:
        return await session.get(Lead, message.lead_id) if message.lead_id else None


async def deliver_card(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    lead = await _load(ctx, message)
    if lead is None:
        return Drop("lead no longer exists")
    if lead.message_ts:
        return Sent({"channel": lead.channel_id, "ts": lead.message_ts})
    now = ctx.clock.now()
    clock = start_clock(now, ctx.settings.team, lead.routing_tier)
    lead.posted_at, lead.due_at, lead.sla_next_at = clock.posted_at, clock.due_at, clock.next_at
    card = lead_card(lead, ctx.settings.team, now)
    posted = await post_message(ctx, ctx.settings.team.channels.leads, **card.as_kwargs())

    async def record(session: AsyncSession) -> None:
        await session.exec(
            update(Lead)
            .where(Lead.id == lead.id, Lead.message_ts.is_(None))
            .values(
                channel_id=posted["channel"],
                message_ts=posted["ts"],
                posted_at=lead.posted_at,
                due_at=lead.due_at,
                sla_next_at=lead.sla_next_at,
            )
        )
        await cards.end_redraw(session, lead.id or 0, drew=lead.card_version)
        await record_event(
            session, lead_id=lead.id or 0, kind=EventKind.POSTED, at=now, detail=posted
        )

    return Sent(posted, record)


async def deliver_card_update(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    """Redraw the card with the lead as it is now, unless it already shows that (cards.py)."""
    lead = await _start_redraw(ctx, message.lead_id or 0)
    if lead is NoRedraw.GONE:
        return Drop("lead no longer exists")
    if lead is NoRedraw.BUSY:
        return NotReady(REDRAW_BUSY_RETRY, "another attempt is redrawing this card")
    if lead is NoRedraw.UNPOSTED:
        return NotReady(timedelta(seconds=5), "card not posted yet")
    if isinstance(lead, NoRedraw):
        return Sent({"coalesced": True})
    drawn = await _redraw(ctx, lead)
    if isinstance(drawn, Drop):
        return drawn

    async def record(session: AsyncSession) -> None:
        await cards.end_redraw(session, lead.id or 0, drew=lead.card_version)

    return Sent(drawn, record)


async def _start_redraw(ctx: DeliveryContext, lead_id: int) -> Lead | NoRedraw:
    """Take the card's drawing lease, waiting a moment while another attempt holds it.

    Several updates of one lead often arrive in one batch; the others wait for the
    first's chat.update here (and then usually find the card current) instead of
    being put off until the next pass.
    """
    for _ in range(REDRAW_BUSY_STEPS):
        async with ctx.db.session() as session:
            lead = await cards.start_redraw(session, lead_id, now=ctx.clock.now())
        if lead is not NoRedraw.BUSY:
            return lead
        await asyncio.sleep(REDRAW_BUSY_STEP_SECONDS)
    return NoRedraw.BUSY


async def _redraw(ctx: DeliveryContext, lead: Lead) -> dict[str, Any] | Drop:
    """chat.update of the card; the drawing lease is freed here unless it succeeded."""
    card = lead_card(lead, ctx.settings.team, ctx.clock.now())
    try:
        await ctx.client.chat_update(
            channel=lead.channel_id, ts=lead.message_ts, **card.as_kwargs()
        )
    except Exception as exc:
        async with ctx.db.session() as session:
            await cards.end_redraw(session, lead.id or 0)
        if isinstance(exc, SlackApiError) and slack_error(exc) == "message_not_found":
            return Drop("the card was deleted in Slack")
        raise
    return {"channel": lead.channel_id, "ts": lead.message_ts}


async def _lead_and_event(
    ctx: DeliveryContext, message: OutboxMessage
) -> tuple[Lead | None, LeadEvent | None]:
    event_id = read_payload(EventRef, message.payload).event_id
    async with ctx.db.session() as session:
        return await lead_and_event(session, message.lead_id, event_id)


async def deliver_thread_reply(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    lead, event = await _lead_and_event(ctx, message)
    if lead is None or event is None:
        return Drop("lead or event no longer exists")
    if not lead.message_ts or not lead.channel_id:
        return NotReady(timedelta(seconds=5), "card not posted yet")
    reply = event_reply(lead, event, ctx.settings.team)
    return Sent(
        await post_message(ctx, lead.channel_id, thread_ts=lead.message_ts, **reply.as_kwargs())
    )


async def deliver_rejection_notice(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    lead, event = await _lead_and_event(ctx, message)
    if lead is None or event is None:
        return Drop("lead or event no longer exists")
    notice = rejection_notice(
        lead, event, ctx.settings.team, await card_permalink(ctx.client, lead)
    )
    channel = ctx.settings.team.channels.marketing
    return Sent(await post_message(ctx, channel, **notice.as_kwargs()))


async def deliver_erase_message(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    """Rewrite one message about an erased lead (a thread reply, a notice, a DM)."""
    where = read_payload(ErasedRef, message.payload)
    lead = await _load(ctx, message)
    if lead is None or lead.erased_at is None:
        return Drop("the lead is gone or not erased")
    text = erased_message(lead, "message")
    # Deleted in Slack meanwhile (a Drop): nothing of the person is left to rewrite there.
    return await update_message(ctx, where.channel, where.ts, **text.as_kwargs())
