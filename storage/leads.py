"""Storing new leads: duplicate detection and the card that each new lead is owed."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.lead_input import LeadIn
from storage.models import Lead, LeadState
from storage.outbox import enqueue

POST_CARD = "post_card"


class IngestStatus(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class IngestOutcome:
    id: int
    status: IngestStatus


def card_key(lead_id: int) -> str:
    return f"card:{lead_id}"


async def find_duplicate(
    session: AsyncSession, lead: LeadIn, *, now: datetime, window: timedelta
) -> int | None:
    """The id of the lead this one repeats: same external_id, or same email and source lately."""
    if lead.external_id:
        found = (
            await session.exec(select(Lead.id).where(Lead.external_id == lead.external_id))
        ).first()
        if found is not None:
            return found
    source_matches = Lead.source.is_(None) if lead.source is None else Lead.source == lead.source
    return (
        await session.exec(
            select(Lead.id)
            .where(Lead.email == lead.email, source_matches, Lead.created_at >= now - window)
            .order_by(Lead.id)
            .limit(1)
        )
    ).first()


async def ingest_leads(
    session: AsyncSession, leads: list[LeadIn], *, now: datetime, dedup_window: timedelta
) -> list[IngestOutcome]:
    """Store new leads and queue their cards, in the caller's transaction (all or nothing)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        # Two intake requests with the same email could both miss each other's
        # row; serialize them per address. SQLite's BEGIN IMMEDIATE already does.
        for email in sorted({lead.email for lead in leads}):
            await session.exec(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))").bindparams(key=email)
            )
    outcomes: list[IngestOutcome] = []
    for lead_in in leads:
        existing = await find_duplicate(session, lead_in, now=now, window=dedup_window)
        if existing is not None:
            outcomes.append(IngestOutcome(existing, IngestStatus.DUPLICATE))
            continue
        lead = Lead(**lead_in.to_columns(), state=LeadState.OPEN, created_at=now)
        session.add(lead)
        await session.flush()
        assert lead.id is not None
        await enqueue(
            session, kind=POST_CARD, lead_id=lead.id, dedup_key=card_key(lead.id), now=now
        )
        outcomes.append(IngestOutcome(lead.id, IngestStatus.CREATED))
    return outcomes


async def get_lead(session: AsyncSession, lead_id: int) -> Lead | None:
    return await session.get(Lead, lead_id)


async def count_leads(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(Lead))).one()
