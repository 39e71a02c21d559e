"""A message typed in the bot's DM: the answer is the /leadfeedback help, once per message.

The App Home messages tab gives people a message box in their DM with the bot; the
bot reads nothing typed there, so it says what does work. Slack delivers an event
again when its ack was late (Events API retries), so the answer goes through the
outbox under a key made of the message's channel and ts: a second delivery of the
same message queues nothing.
"""

from __future__ import annotations

import logging

from bot.runtime.deliveries import DeliveryContext, Outcome, Sent, post_message
from bot.runtime.services import Services
from bot.runtime.subcommands import Subcommands
from messages.commands import dm_help
from storage.kinds import MessageRef, OutboxKind, dm_help_key, read_payload
from storage.models import OutboxMessage
from storage.outbox import enqueue

logger = logging.getLogger(__name__)


async def answer_dm(services: Services, *, channel: str, ts: str) -> bool:
    """Queue the answer to the message `ts`; False when it was queued before (a retry)."""
    async with services.db.session() as session:
        queued = await enqueue(
            session,
            kind=OutboxKind.DM_HELP,
            payload=MessageRef(channel=channel, ts=ts),
            dedup_key=dm_help_key(channel, ts),
            now=services.clock.now(),
        )
    if queued:
        services.outbox.wake()
    else:
        logger.info("DM %s/%s is answered already; nothing queued", channel, ts)
    return queued


async def deliver_dm_help(
    subcommands: Subcommands, ctx: DeliveryContext, message: OutboxMessage
) -> Outcome:
    ref = read_payload(MessageRef, message.payload)
    answer = dm_help(subcommands.all(), ctx.settings.team)
    return Sent(await post_message(ctx, ref.channel, **answer.as_kwargs()))
