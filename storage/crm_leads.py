"""Leads from CRM records: stored as intake stores them, withdrawn, and requalified.

A record that stops being an MQL before its card goes out withdraws its lead; one
that becomes an MQL again later brings it back as a new arrival (intake's dedup on
external_id would otherwise keep it out for good). Like the rest of storage/, every
function works in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crm import insert_for
from storage.crm_models import CrmLink
from storage.definition import Grading
from storage.events import record_event
from storage.kinds import EventKind, OutboxKind, card_again_key
from storage.lead_input import LeadIn
from storage.leads import IngestOutcome, IngestStatus, ingest_leads
from storage.models import Lead, LeadEvent, LeadState
from storage.outbox import enqueue


async def store_crm_leads(
    session: AsyncSession,
    provider: str,
    leads: list[LeadIn],
    *,
    now: datetime,
    dedup_window: timedelta,
    first_check_at: datetime,
    changed: dict[str, datetime] | None = None,
    grading: Grading | None = None,
) -> list[IngestOutcome]:
    """Store MQLs read from the CRM exactly as intake does, and link the new ones.

    `leads` carry the record id as external_id. The link makes the lead's later
    transitions owe CRM writes, and schedules its first look at deals and activity.
    `changed` (record id -> when the CRM says it became an MQL or changed) lets a
    withdrawn lead whose record qualified again since come back (see `requalify`).
    """
    outcomes = await ingest_leads(
        session, leads, now=now, dedup_window=dedup_window, grading=grading
    )
    again = [
        (outcome.id, changed[lead.external_id])
        for lead, outcome in zip(leads, outcomes, strict=True)
        if outcome.status is IngestStatus.DUPLICATE
        and lead.external_id
        and changed
        and lead.external_id in changed
    ]
    for lead_id, since in again:
        await requalify(session, lead_id, changed_at=since, now=now, next_check_at=first_check_at)
    links = [
        {
            "lead_id": outcome.id,
            "provider": provider,
            "record_id": lead.external_id,
            "created_at": now,
            "next_check_at": first_check_at,
        }
        for lead, outcome in zip(leads, outcomes, strict=True)
        if outcome.status is IngestStatus.CREATED and lead.external_id
    ]
    if links:
        insert = await insert_for(session)
        await session.exec(insert(CrmLink).values(links).on_conflict_do_nothing())
    return outcomes


async def lead_by_record(session: AsyncSession, record_id: str) -> Lead | None:
    """The lead stored for a CRM record (by external_id, which intake keeps unique)."""
    return (await session.exec(select(Lead).where(Lead.external_id == record_id))).first()


async def withdraw_lead(session: AsyncSession, lead_id: int, *, why: str, now: datetime) -> bool:
    """The CRM took the record back before its card went out: withdraw the lead.

    One conditional UPDATE, like the transitions: only an open lead without a card
    is withdrawn, so a card posted meanwhile wins. The event says why.
    """
    result = await session.exec(
        update(Lead)
        .where(
            col(Lead.id) == lead_id,
            col(Lead.state) == LeadState.OPEN,
            col(Lead.message_ts).is_(None),
        )
        .values(state=LeadState.WITHDRAWN, sla_next_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    await record_event(
        session,
        lead_id=lead_id,
        kind=EventKind.WITHDRAWN,
        at=now,
        from_state=LeadState.OPEN,
        to_state=LeadState.WITHDRAWN,
        detail={"why": why},
    )
    await session.exec(
        update(CrmLink).where(col(CrmLink.lead_id) == lead_id).values(next_check_at=None)
    )
    return True


async def requalify(
    session: AsyncSession,
    lead_id: int,
    *,
    changed_at: datetime,
    now: datetime,
    next_check_at: datetime,
) -> bool:
    """Bring back a withdrawn lead whose record became an MQL again after the withdrawal.

    It arrives anew (`created_at` now, so it counts in this period, as it never counted
    before) and is owed a card under a key of its own. A record the CRM's search still
    shows from before the withdrawal (its index lags) does not qualify: its change is
    older than the withdrawal.
    """
    withdrawn_at = (
        await session.exec(
            select(func.max(LeadEvent.at)).where(
                LeadEvent.lead_id == lead_id, LeadEvent.kind == EventKind.WITHDRAWN
            )
        )
    ).one()
    if withdrawn_at is None or changed_at <= withdrawn_at:
        return False
    result = await session.exec(
        update(Lead)
        .where(col(Lead.id) == lead_id, col(Lead.state) == LeadState.WITHDRAWN)
        .values(state=LeadState.OPEN, created_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    event = await record_event(
        session,
        lead_id=lead_id,
        kind=EventKind.REQUALIFIED,
        at=now,
        from_state=LeadState.WITHDRAWN,
        to_state=LeadState.OPEN,
    )
    await enqueue(
        session,
        kind=OutboxKind.POST_CARD,
        lead_id=lead_id,
        dedup_key=card_again_key(lead_id, event.id or 0),
        now=now,
    )
    await session.exec(
        update(CrmLink).where(col(CrmLink.lead_id) == lead_id).values(next_check_at=next_check_at)
    )
    return True
