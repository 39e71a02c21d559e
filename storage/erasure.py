"""Erasing a lead's personal data while keeping what the numbers count.

Leads are people. Erasure removes what names or describes the person (names,
email, title, the free `fields`, the MQL reason text, the CRM link, rejection
comments here and in the audit trail) and keeps the rest: state, dates, source,
company, size, score, reason ids, outcomes. So every metric counts the lead
exactly as before; a person can no longer be found in it.

One conditional UPDATE (`erased_at IS NULL`) decides, so erasing twice, from two
replicas or from the API and the retention sweep at once, erases once and
records one event. The Slack messages about the lead are rewritten through the
outbox by the caller (bot/leads/erasure.py), in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.events import record_event
from storage.kinds import EventKind, OutboxKind
from storage.models import Lead, LeadEvent, OutboxMessage, OutboxState

# Not an address anyone can have (.invalid is reserved), and unique per lead, so an
# erased lead never matches intake's duplicate check or `/leadfeedback lead EMAIL`.
ERASED_EMAIL = "erased-{lead_id}@erased.invalid"
# Event details that quote people (a rejection's comment).
PERSONAL_DETAIL_KEYS = ("comment",)


async def erase_lead(
    session: AsyncSession, lead_id: int, *, now: datetime, by: str, why: str
) -> LeadEvent | None:
    """Erase one lead; the ERASED event, or None when it was erased already (or is unknown)."""
    result = await session.exec(
        update(Lead)
        .where(col(Lead.id) == lead_id, col(Lead.erased_at).is_(None))
        .values(
            email=ERASED_EMAIL.format(lead_id=lead_id),
            first_name=None,
            last_name=None,
            title=None,
            reason=None,
            crm_url=None,
            fields={},
            rejection_comment=None,
            erased_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    await _scrub_events(session, lead_id)
    # The event says who and why; nothing of what was erased.
    return await record_event(
        session,
        lead_id=lead_id,
        kind=EventKind.ERASED,
        at=now,
        actor_id=None,
        detail={"by": by, "why": why},
    )


async def _scrub_events(session: AsyncSession, lead_id: int) -> None:
    rows = await session.exec(select(LeadEvent).where(col(LeadEvent.lead_id) == lead_id))
    for event in rows.all():
        if any(event.detail.get(key) for key in PERSONAL_DETAIL_KEYS):
            event.detail = {
                key: (None if key in PERSONAL_DETAIL_KEYS else value)
                for key, value in event.detail.items()
            }
            session.add(event)


async def posted_about(session: AsyncSession, lead_id: int) -> list[dict[str, Any]]:
    """Every message the bot posted about a lead, but its card: {channel, ts, kind}."""
    rows = await session.exec(
        select(OutboxMessage.kind, OutboxMessage.result).where(
            col(OutboxMessage.lead_id) == lead_id,
            col(OutboxMessage.state) == OutboxState.SENT,
            col(OutboxMessage.kind) != OutboxKind.POST_CARD,
        )
    )
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, result in rows.all():
        channel, ts = (result or {}).get("channel"), (result or {}).get("ts")
        if channel and ts:
            found[(channel, ts)] = {"channel": channel, "ts": ts, "kind": kind}
    return list(found.values())


async def leads_to_erase(
    session: AsyncSession, *, arrived_before: datetime, limit: int
) -> list[int]:
    """Leads older than the retention period whose personal data is still there."""
    rows = await session.exec(
        select(Lead.id)
        .where(col(Lead.created_at) < arrived_before, col(Lead.erased_at).is_(None))
        .order_by(col(Lead.id))
        .limit(limit)
    )
    return [lead_id for lead_id in rows.all() if lead_id is not None]


async def leads_by_email(session: AsyncSession, email: str) -> list[int]:
    rows = await session.exec(select(Lead.id).where(col(Lead.email) == email.strip().lower()))
    return [lead_id for lead_id in rows.all() if lead_id is not None]
