"""How each kind of outbox message reaches Slack.

A delivery reads what it needs, makes one or two Slack calls, and returns an
Outcome; the worker records the outcome in one transaction together with any
change the delivery asks for (a posted card's ts, say). Messages are rendered
at send time from the database, so a delivery delayed by an outage still shows
the lead as it is now.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.runtime.once import current_row, earlier_post, post_metadata
from bot.runtime.pacing import ChannelPacer
from bot.settings import Settings
from bot.slack.errors import slack_error
from bot.timekeeping.clock import Clock
from storage.database import Database
from storage.models import OutboxMessage
from storage.sla import record_nudge_dm

Apply = Callable[[AsyncSession], Awaitable[None]]


@dataclass
class Sent:
    result: dict[str, Any] = field(default_factory=dict)
    apply: Apply | None = None


@dataclass
class NotReady:
    """Something this message depends on has not happened yet (e.g. the card is not posted)."""

    retry_in: timedelta
    why: str


@dataclass
class Drop:
    why: str


@dataclass
class Failed:
    """The attempt failed in a way the delivery understands (a CRM's 429, say).

    `retry_in` None means the worker's backoff; `permanent` means a person must fix
    something (a missing property, a permission): retried slowly, logged as an error.
    """

    why: str
    retry_in: timedelta | None = None
    permanent: bool = False


Outcome = Sent | NotReady | Drop | Failed


@dataclass
class DeliveryContext:
    settings: Settings
    db: Database
    client: AsyncWebClient
    clock: Clock
    pacer: ChannelPacer


def retry_after_seconds(exc: SlackApiError, default: float = 30.0) -> float:
    """Slack's Retry-After header on a 429, in seconds."""
    headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
    raw = headers.get("retry-after")
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    try:
        return max(1.0, float(raw)) if raw is not None else default
    except ValueError:
        return default


Delivery = Callable[[DeliveryContext, OutboxMessage], Awaitable[Outcome]]


async def post_message(ctx: DeliveryContext, channel: str, **kwargs: Any) -> dict[str, Any]:
    """chat.postMessage, paced to Slack's one message a second per channel, once per row.

    While an outbox row is being delivered (always, in practice) the post names the
    row in its metadata, and a retry of the row returns the earlier post instead of
    posting again (bot/runtime/once.py).
    """
    row = current_row()
    if row is not None:
        earlier = await earlier_post(ctx.client, channel, row, thread_ts=kwargs.get("thread_ts"))
        if earlier is not None:
            return earlier
        kwargs["metadata"] = post_metadata(row)
    async with ctx.pacer.slot(channel):
        try:
            response = await ctx.client.chat_postMessage(
                channel=channel, unfurl_links=False, unfurl_media=False, **kwargs
            )
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                await ctx.pacer.pause(channel, retry_after_seconds(exc))
            raise
    return {"channel": response["channel"], "ts": response["ts"]}


# Slack's answers for a person who cannot get a DM (deactivated, gone, a bot): no retry helps.
UNREACHABLE = frozenset(
    {"user_disabled", "user_not_found", "user_not_visible", "channel_not_found", "cannot_dm_bot"}
)
# A delivery about a lead whose card is not in Slack yet waits for the card.
CARD_NOT_POSTED = NotReady(timedelta(seconds=5), "card not posted yet")


async def post_dm(ctx: DeliveryContext, user_id: str, **kwargs: Any) -> dict[str, Any] | Drop:
    """A DM to a person (post_message); a Drop saying why when they cannot get one."""
    try:
        return await post_message(ctx, user_id, **kwargs)
    except SlackApiError as exc:
        if slack_error(exc) in UNREACHABLE:
            return Drop(f"{user_id} cannot get a DM ({slack_error(exc)})")
        raise


async def post_lead_dm(ctx: DeliveryContext, lead_id: int, user_id: str, **kwargs: Any) -> Outcome:
    """A DM with a lead's buttons, remembered so that its buttons go when the lead moves on.

    A Drop when the person cannot get a DM; the caller says what happens instead.
    """
    posted = await post_dm(ctx, user_id, **kwargs)
    if isinstance(posted, Drop):
        return posted

    async def remember(session: AsyncSession) -> None:
        await record_nudge_dm(
            session,
            lead_id=lead_id,
            channel=posted["channel"],
            ts=posted["ts"],
            recipient=user_id,
            now=ctx.clock.now(),
        )

    return Sent({**posted, "to": user_id}, remember)


# Slack's answers for a message no longer there to update (deleted, its channel gone).
MESSAGE_GONE = frozenset({"message_not_found", "channel_not_found", "cant_update_message"})


async def update_message(ctx: DeliveryContext, channel: str, ts: str, **kwargs: Any) -> Outcome:
    """chat.update of a message the bot posted; a Drop when Slack says it is gone."""
    try:
        await ctx.client.chat_update(channel=channel, ts=ts, **kwargs)
    except SlackApiError as exc:
        if slack_error(exc) in MESSAGE_GONE:
            return Drop(f"the message is gone from Slack ({slack_error(exc)})")
        raise
    return Sent({"channel": channel, "ts": ts})
