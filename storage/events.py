"""The audit trail of a lead."""

from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.kinds import EventKind
from storage.models import Lead, LeadEvent


async def record_event(
    session: AsyncSession,
    *,
    lead_id: int,
    kind: EventKind,
    at: datetime,
    actor_id: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: dict[str, Any] | None = None,
) -> LeadEvent:
    event = LeadEvent(
        lead_id=lead_id,
        kind=kind,
        actor_id=actor_id,
        from_state=from_state,
        to_state=to_state,
        at=at,
        detail=detail or {},
    )
    session.add(event)
    await session.flush()
    return event


async def lead_and_event(
    session: AsyncSession, lead_id: int | None, event_id: int | None
) -> tuple[Lead | None, LeadEvent | None]:
    """A lead and one of its events, as an outbox delivery about that event reads them."""
    lead = await session.get(Lead, lead_id) if lead_id else None
    event = await session.get(LeadEvent, event_id) if event_id else None
    return lead, event


async def lead_events(session: AsyncSession, lead_id: int) -> list[LeadEvent]:
    rows = await session.exec(
        select(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by(LeadEvent.id)
    )
    return list(rows.all())
