"""How the SLA clock's outbox messages reach Slack.

Each delivery reads the lead as it is at send time: a lead decided after its
nudge was queued gets no nudge, and whoever is on the hook *now* gets it (the
claimer by DM, or the on-duty reps in the card's thread if nobody claimed it).
"""

from __future__ import annotations

from bot.runtime.deliveries import (
    CARD_NOT_POSTED,
    DeliveryContext,
    Drop,
    Outcome,
    Sent,
    post_lead_dm,
    post_message,
    update_message,
)
from bot.slack.permalinks import card_permalink
from messages.sla import escalation, nudge_dm, nudge_dm_done, thread_note
from storage.events import lead_and_event
from storage.kinds import DmRef, EventRef, ThreadNoteRef, read_payload
from storage.models import OPEN_STATES, Lead, LeadEvent, LeadState, OutboxMessage


async def _load(
    ctx: DeliveryContext, message: OutboxMessage, *, event_id: int | None = None
) -> tuple[Lead | None, LeadEvent | None]:
    async with ctx.db.session() as session:
        return await lead_and_event(session, message.lead_id, event_id)


async def deliver_nudge(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    lead, _ = await _load(ctx, message)
    if lead is None:
        return Drop("lead no longer exists")
    if lead.state not in OPEN_STATES:
        return Drop("the lead was decided before the nudge went out")
    now = ctx.clock.now()
    if lead.due_at is None or now >= lead.due_at:
        return Drop("the deadline passed before the nudge went out; the breach covers it")
    if not lead.channel_id or not lead.message_ts:
        return CARD_NOT_POSTED
    permalink = await card_permalink(ctx.client, lead)
    unreachable = None
    if lead.state == LeadState.CLAIMED and lead.owner_id:
        text = nudge_dm(lead, now, permalink)
        sent = await post_lead_dm(ctx, lead.id or 0, lead.owner_id, **text.as_kwargs())
        if not isinstance(sent, Drop):
            return sent
        unreachable = lead.owner_id
    note = thread_note(
        lead,
        ctx.settings.team,
        now,
        note="unreachable" if unreachable else "nudge",
        owner_id=unreachable,
    )
    return Sent(
        await post_message(ctx, lead.channel_id, thread_ts=lead.message_ts, **note.as_kwargs())
    )


async def deliver_thread_note(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    payload = read_payload(ThreadNoteRef, message.payload)
    lead, event = await _load(ctx, message, event_id=payload.event_id)
    if lead is None or event is None:
        return Drop("lead or event no longer exists")
    if not lead.channel_id or not lead.message_ts:
        return CARD_NOT_POSTED
    note = thread_note(
        lead,
        ctx.settings.team,
        ctx.clock.now(),
        note=payload.note,
        owner_id=event.detail.get("owner_id"),
    )
    return Sent(
        await post_message(ctx, lead.channel_id, thread_ts=lead.message_ts, **note.as_kwargs())
    )


async def deliver_escalation(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    event_id = read_payload(EventRef, message.payload).event_id
    lead, breach = await _load(ctx, message, event_id=event_id)
    if lead is None or breach is None:
        return Drop("lead or event no longer exists")
    if lead.state not in OPEN_STATES:
        return Drop("the lead was decided before the escalation went out")
    target = ctx.settings.team.sla.escalate_to
    if target is None:
        return Drop("sla.escalate_to is no longer set")
    text = escalation(lead, breach, await card_permalink(ctx.client, lead))
    # A user id posts to the person's DM with the bot; a channel id or #name to the channel.
    return Sent(await post_message(ctx, target, **text.as_kwargs()))


async def deliver_dm_refresh(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    payload = read_payload(DmRef, message.payload)
    lead, _ = await _load(ctx, message)
    if lead is None:
        return Drop("lead no longer exists")
    channel, ts = payload.channel, payload.ts
    text = nudge_dm_done(
        lead,
        ctx.settings.team,
        await card_permalink(ctx.client, lead),
        superseded=payload.superseded,
    )
    return await update_message(ctx, channel, ts, **text.as_kwargs())
