"""Erasure as a whole: the lead's data, then every Slack message about it, in one unit.

storage/erasure.py holds the rule (what is erased, once); this adds the Slack
side in the same transaction: the card is redrawn (a card of an erased lead
says so) and every other message the bot posted about the lead is rewritten
through the outbox, each under its own unique key, so a crash or a 429 neither
skips one nor rewrites one twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.erasure import erase_lead, posted_about
from storage.kinds import ErasedRef, OutboxKind, erase_key
from storage.models import LeadEvent
from storage.outbox import Work, enqueue_many

logger = logging.getLogger(__name__)


async def forget(
    session: AsyncSession, lead_id: int, *, now: datetime, by: str, why: str
) -> LeadEvent | None:
    """Erase a lead's personal data and queue the rewrite of what Slack shows of it."""
    event = await erase_lead(session, lead_id, now=now, by=by, why=why)
    if event is None:
        return None
    work = [Work(OutboxKind.UPDATE_CARD, lead_id=lead_id)]
    for message in await posted_about(session, lead_id):
        work.append(
            Work(
                OutboxKind.ERASE_MESSAGE,
                lead_id=lead_id,
                payload=ErasedRef(channel=message["channel"], ts=message["ts"]),
                dedup_key=erase_key(message["channel"], message["ts"]),
            )
        )
    await enqueue_many(session, work, now=now)
    # Ids only: the log must not keep what was just erased.
    logger.info("lead %s: personal data erased (%s, %s)", lead_id, by, why)
    return event
