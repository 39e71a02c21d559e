"""How the definition's Slack posts go out: reviews of leads below it, and disputes."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.definition.review import suggestions
from bot.runtime.deliveries import (
    DeliveryContext,
    Drop,
    Outcome,
    Sent,
    post_dm,
    post_message,
    update_message,
)
from bot.slack.permalinks import card_permalink
from messages.definition import (
    dispute_request,
    dispute_thread,
    monthly_review_message,
    review_lead_message,
)
from messages.notices import rejection_notice
from messages.slack_message import SlackMessage
from storage.definition_disputes import record_request
from storage.definition_models import DefinitionDispute
from storage.events import lead_and_event
from storage.kinds import (
    DisputeManagerRef,
    DisputeMessageRef,
    EventRef,
    ReviewMonthRef,
    read_payload,
)
from storage.models import Lead, LeadEvent, OutboxMessage


async def deliver_review_lead(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    """`on_miss: review`: the lead, its misses, Send on and Return, to the marketing channel."""
    async with ctx.db.session() as session:
        lead = await session.get(Lead, message.lead_id) if message.lead_id else None
    if lead is None or lead.erased_at is not None:
        return Drop("lead no longer exists or was erased")
    channel = ctx.settings.team.channels.marketing
    return Sent(await post_message(ctx, channel, **review_lead_message(lead).as_kwargs()))


async def deliver_review_update(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    """The review post, once decided: who sent it on or returned it, and no buttons."""
    event_id = read_payload(EventRef, message.payload).event_id
    async with ctx.db.session() as session:
        lead, event = await lead_and_event(session, message.lead_id, event_id)
    if lead is None or event is None:
        return Drop("lead or event no longer exists")
    channel, ts = (event.detail or {}).get("channel"), (event.detail or {}).get("ts")
    if not channel or not ts:
        return Drop("the decision did not come from a review post")
    update = review_lead_message(lead, decided_by=event.actor_id)
    return await update_message(ctx, channel, ts, **update.as_kwargs())


async def _load_dispute(
    ctx: DeliveryContext, dispute_id: int
) -> tuple[DefinitionDispute, Lead, LeadEvent] | Drop:
    """A dispute with its lead and the rejection it is about, as they are now."""
    async with ctx.db.session() as session:
        dispute = await session.get(DefinitionDispute, dispute_id)
        lead = await session.get(Lead, dispute.lead_id) if dispute else None
        rejection = await session.get(LeadEvent, dispute.rejection_event_id) if dispute else None
    if dispute is None or lead is None or rejection is None:
        return Drop("dispute, lead or rejection no longer exists")
    return dispute, lead, rejection


async def _request(
    ctx: DeliveryContext, dispute: DefinitionDispute, lead: Lead, rejection: LeadEvent
) -> SlackMessage:
    """A manager's copy of a dispute: with Uphold and Overturn while open, the decision after."""
    return dispute_request(
        dispute,
        lead,
        rejected_by=rejection.actor_id,
        reason_label=ctx.settings.team.reason_label((rejection.detail or {}).get("reason")),
        permalink=await card_permalink(ctx.client, lead),
    )


async def deliver_dispute_request(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    """A dispute to one manager's DM, with Uphold and Overturn; where it went is recorded so
    that its buttons go once someone decides."""
    ref = read_payload(DisputeManagerRef, message.payload)
    loaded = await _load_dispute(ctx, ref.dispute_id)
    if isinstance(loaded, Drop):
        return loaded
    dispute, lead, rejection = loaded
    if dispute.decision is not None:
        return Drop("the dispute was decided before this manager was asked")
    request = await _request(ctx, dispute, lead, rejection)
    posted = await post_dm(ctx, ref.user_id, **request.as_kwargs())
    if isinstance(posted, Drop):
        return posted

    async def remember(session: AsyncSession) -> None:
        await record_request(
            session,
            dispute_id=ref.dispute_id,
            user_id=ref.user_id,
            channel=posted["channel"],
            ts=posted["ts"],
            now=ctx.clock.now(),
        )

    return Sent(posted, remember)


async def deliver_dispute_decided(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    """A decided dispute's request or notice, redrawn: who decided what and when, no buttons."""
    ref = read_payload(DisputeMessageRef, message.payload)
    loaded = await _load_dispute(ctx, ref.dispute_id)
    if isinstance(loaded, Drop):
        return loaded
    dispute, lead, rejection = loaded
    if lead.erased_at is not None:
        # Erasure rewrote the lead's messages; drawing this one again would undo it.
        return Drop("the lead's personal data was erased")
    if dispute.decision is None:
        return Drop("the dispute is not decided")
    if ref.notice:
        permalink = await card_permalink(ctx.client, lead)
        redrawn = rejection_notice(lead, rejection, ctx.settings.team, permalink, dispute)
    else:
        redrawn = await _request(ctx, dispute, lead, rejection)
    return await update_message(ctx, ref.channel, ref.ts, **redrawn.as_kwargs())


async def deliver_dispute_thread(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    """A dispute opened or decided, in the thread of the rejection notice it is about."""
    event_id = read_payload(EventRef, message.payload).event_id
    async with ctx.db.session() as session:
        lead, event = await lead_and_event(session, message.lead_id, event_id)
        dispute_id = (event.detail or {}).get("dispute_id") if event else None
        dispute = await session.get(DefinitionDispute, dispute_id) if dispute_id else None
    if lead is None or event is None or dispute is None:
        return Drop("lead, event or dispute no longer exists")
    if not dispute.notice_channel or not dispute.notice_ts:
        return Drop("the dispute does not know its notice")
    reply = dispute_thread(event, ctx.settings.team)
    return Sent(
        await post_message(
            ctx, dispute.notice_channel, thread_ts=dispute.notice_ts, **reply.as_kwargs()
        )
    )


async def deliver_monthly_review(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    """The month's review, computed when sent, to the marketing channel or a manager's DM."""
    ref = read_payload(ReviewMonthRef, message.payload)
    team = ctx.settings.team
    if not team.mql_definition.enabled:
        return Drop("app.yaml no longer sets a definition")
    result = await suggestions(ctx.db, team, ctx.clock.now())
    review = monthly_review_message(
        ref.month,
        result.period_label,
        result.current,
        result.graded,
        result.found,
        team.mql_definition.review,
    )
    return Sent(await post_message(ctx, ref.to, **review.as_kwargs()))
