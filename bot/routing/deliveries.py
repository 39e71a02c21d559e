"""How routing's outbox rows reach Slack: the assignee's DM, a breach's move, its notices."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.routing.breach import reassign_after_breach
from bot.runtime.deliveries import (
    CARD_NOT_POSTED,
    DeliveryContext,
    Drop,
    Outcome,
    Sent,
    post_dm,
    post_lead_dm,
)
from bot.slack.permalinks import card_permalink
from messages.routing import assignment_dm, breach_notice
from storage.kinds import AssignmentRef, BreachNoticeRef, read_payload
from storage.models import Lead, LeadState, OutboxMessage
from storage.routing_models import Assignment

if TYPE_CHECKING:
    from bot.runtime.services import Services


async def _load(
    ctx: DeliveryContext, message: OutboxMessage, assignment_id: int
) -> tuple[Lead | None, Assignment | None]:
    async with ctx.db.session() as session:
        lead = await session.get(Lead, message.lead_id) if message.lead_id else None
        return lead, await session.get(Assignment, assignment_id)


async def deliver_dm(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    """The new assignee's DM, with Accept (SQL), Reject and Hand over."""
    ref = read_payload(AssignmentRef, message.payload)
    lead, record = await _load(ctx, message, ref.assignment_id)
    if lead is None or record is None or record.assignee_id is None:
        return Drop("lead or assignment no longer exists")
    if lead.state != LeadState.CLAIMED or lead.owner_id != record.assignee_id:
        return Drop("the lead moved on before the DM went out")
    if not lead.channel_id or not lead.message_ts:
        return CARD_NOT_POSTED
    assignee = record.assignee_id
    text = assignment_dm(lead, record, await card_permalink(ctx.client, lead))
    # As a nudge DM: when the lead is decided or moves on, its buttons go.
    return await post_lead_dm(ctx, lead.id or 0, assignee, **text.as_kwargs())


async def deliver_breach_notice(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    ref = read_payload(BreachNoticeRef, message.payload)
    lead, record = await _load(ctx, message, ref.assignment_id)
    if lead is None or record is None:
        return Drop("lead or assignment no longer exists")
    text = breach_notice(lead, record, await card_permalink(ctx.client, lead))
    posted = await post_dm(ctx, ref.to, **text.as_kwargs())
    return posted if isinstance(posted, Drop) else Sent({**posted, "to": ref.to})


def reassign_delivery(
    services: Services,
) -> Callable[[DeliveryContext, OutboxMessage], Awaitable[Outcome]]:
    async def deliver_reassign(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
        if message.lead_id is None:
            return Drop("no lead")
        record = await reassign_after_breach(services, message.lead_id)
        if record is None:
            return Drop("the lead was decided or moved on before it could be reassigned")
        return Sent({"assignment_id": record.id, "to": record.assignee_id})

    return deliver_reassign
