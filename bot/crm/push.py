"""Push: what webhooks and Outbound Messages ask for, and the check before a card goes out.

The HTTP endpoints (handlers/http/crm_push.py) only verify the request and store one
CRM_FETCH outbox row per event, keyed by the vendor's event or notification id, so
a delivery the vendor repeats queues nothing new and the answer goes back at once.
The fetch happens here, off the request path: a record that is an MQL now becomes a
lead through intake's validation and dedup; one already stored and not yet posted is
checked, and withdrawn if the CRM took it back.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.crm.errors import CrmError, CrmNotFound
from bot.crm.poll import store_page
from bot.crm.service import Crm
from bot.crm.writes import failure
from bot.runtime.deliveries import DeliveryContext, Drop, Outcome, Sent
from storage.crm import link_of
from storage.crm_leads import lead_by_record, withdraw_lead
from storage.crm_models import CrmLink
from storage.kinds import CrmRecordRef, read_payload
from storage.models import Lead, LeadState, OutboxMessage

logger = logging.getLogger(__name__)

# A card queued this recently was read from the CRM moments ago; older ones (Slack was
# down, the channel backlogged) are read again before they are posted.
RECHECK_AFTER = timedelta(seconds=30)
# A CRM slower than this does not hold the card back: it is posted unchecked.
RECHECK_TIMEOUT_SECONDS = 3.0


async def withdraw_if_gone(crm: Crm, lead: Lead, link: CrmLink) -> str | None:
    """Withdraw an unposted lead whose record is no longer an MQL; returns why, if it did.

    A CRM that errs or does not answer in time leaves the lead alone: the card goes out.
    """
    try:
        standing = await asyncio.wait_for(
            crm.connector.standing(link.record_id), RECHECK_TIMEOUT_SECONDS
        )
    except (CrmError, TimeoutError) as exc:
        logger.info("lead %s: %s did not confirm it (%s); posting it", lead.id, crm.provider, exc)
        return None
    if standing.is_mql:
        return None
    why = standing.why or "no longer an MQL"
    async with crm.db.session() as session:
        withdrawn = await withdraw_lead(session, lead.id or 0, why=why, now=crm.clock.now())
    if withdrawn:
        logger.info("lead %s withdrawn before its card: %s", lead.id, why)
        return why
    return None


async def check_before_card(
    crm: Crm, ctx: DeliveryContext, message: OutboxMessage
) -> Outcome | None:
    """Runs before POST_CARD: None lets the card go out, a Drop withdraws it."""
    async with ctx.db.session() as session:
        lead = await session.get(Lead, message.lead_id) if message.lead_id else None
        link = await link_of(session, message.lead_id or 0) if lead is not None else None
    if lead is None or link is None or lead.message_ts:
        return None
    if lead.state == LeadState.WITHDRAWN:
        return Drop("the CRM withdrew the lead before its card was posted")
    if link.provider != crm.provider or ctx.clock.now() - lead.created_at < RECHECK_AFTER:
        return None
    why = await withdraw_if_gone(crm, lead, link)
    return Drop(f"withdrawn: {why}") if why else None


async def deliver_fetch(crm: Crm, ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    ref = read_payload(CrmRecordRef, message.payload)
    if ref.provider != crm.provider:
        return Drop(f"pushed by {ref.provider}; crm.provider is now {crm.provider}")
    async with ctx.db.session() as session:
        lead = await lead_by_record(session, ref.record_id)
        link = await link_of(session, lead.id or 0) if lead is not None else None
    if lead is not None and lead.state != LeadState.WITHDRAWN:
        if link is not None and lead.state == LeadState.OPEN and not lead.message_ts:
            why = await withdraw_if_gone(crm, lead, link)
            if why:
                return Sent({"lead_id": lead.id, "withdrawn": why})
        return Sent({"lead_id": lead.id, "known": True})
    # Unknown, or withdrawn (which a record that qualified again brings back).
    try:
        record = await crm.connector.fetch(ref.record_id)
    except CrmNotFound:
        return Sent({"record": ref.record_id, "gone": True})
    except CrmError as exc:
        return failure(exc, message.attempts)
    if record is None:
        return Sent({"record": ref.record_id, "mql": False})
    if record.lead is None:
        logger.warning("%s: %s (not stored)", crm.provider, record.problem)
        return Sent({"record": ref.record_id, "invalid": record.problem})
    # A pushed record does not move the poll cursor: the poller may still be behind it.
    outcomes = await store_page(
        crm, [record.lead], position=None, changed={record.id: record.changed_at}
    )
    crm.wake()
    return Sent({"lead_id": outcomes[0].id, "status": outcomes[0].status})
