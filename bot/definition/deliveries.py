"""How the definition's Slack posts go out: the review of a lead below it, and its update."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.runtime.deliveries import DeliveryContext, Drop, Outcome, Sent, post_message
from bot.slack.errors import slack_error
from messages.definition import review_lead_message
from storage.events import lead_and_event
from storage.kinds import EventRef, read_payload
from storage.models import Lead, OutboxMessage


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
    try:
        await ctx.client.chat_update(channel=channel, ts=ts, **update.as_kwargs())
    except SlackApiError as exc:
        if slack_error(exc) == "message_not_found":
            return Drop("the review post was deleted in Slack")
        raise
    return Sent({"channel": channel, "ts": ts})
