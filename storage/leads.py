"""Storing new leads: duplicate detection and the card that each new lead is owed."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.kinds import OutboxKind, card_key
from storage.lead_input import LeadIn
from storage.models import Lead, LeadState
from storage.outbox import Work, enqueue_many


class IngestStatus(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class IngestOutcome:
    id: int
    status: IngestStatus


async def _existing_keys(
    session: AsyncSession, leads: list[LeadIn], *, since: datetime
) -> tuple[dict[str, int], dict[tuple[str, str | None], int]]:
    """Stored leads these could repeat: by external_id, and by (email, source) since `since`."""
    external_ids = sorted({lead.external_id for lead in leads if lead.external_id})
    by_external: dict[str, int] = {}
    if external_ids:
        rows = await session.exec(
            select(Lead.external_id, Lead.id).where(Lead.external_id.in_(external_ids))
        )
        by_external = {external_id: lead_id for external_id, lead_id in rows.all() if external_id}
    emails = sorted({lead.email for lead in leads})
    rows = await session.exec(
        select(Lead.email, Lead.source, Lead.id)
        .where(Lead.email.in_(emails), Lead.created_at >= since)
        .order_by(Lead.id.desc())
    )
    # Descending, so the oldest match is written last and wins.
    by_email = {(email, source): lead_id for email, source, lead_id in rows.all()}
    return by_external, by_email


async def ingest_leads(
    session: AsyncSession, leads: list[LeadIn], *, now: datetime, dedup_window: timedelta
) -> list[IngestOutcome]:
    """Store new leads and queue their cards, in the caller's transaction (all or nothing).

    A lead is a duplicate when its external_id is already stored, or when a lead
    with the same email and source arrived within `dedup_window`, including
    earlier leads of the same batch.
    """
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        # Two intake requests with the same email could both miss each other's
        # row; serialize them per address. SQLite's BEGIN IMMEDIATE already does.
        for email in sorted({lead.email for lead in leads}):
            await session.exec(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))").bindparams(key=email)
            )
    by_external, by_email = await _existing_keys(session, leads, since=now - dedup_window)
    # Each lead resolves to a stored id, or to a new Lead of this batch (id after flush).
    pending_external: dict[str, Lead] = {}
    pending_email: dict[tuple[str, str | None], Lead] = {}
    resolved: list[tuple[int | Lead, bool]] = []
    for lead_in in leads:
        key = (lead_in.email, lead_in.source)
        external = lead_in.external_id or ""
        existing = (
            by_external.get(external)
            or pending_external.get(external)
            or by_email.get(key)
            or pending_email.get(key)
        )
        if existing is not None:
            resolved.append((existing, False))
            continue
        lead = Lead(**lead_in.to_columns(), state=LeadState.OPEN, created_at=now)
        session.add(lead)
        pending_email[key] = lead
        if lead_in.external_id:
            pending_external[lead_in.external_id] = lead
        resolved.append((lead, True))
    await session.flush()  # one multi-row INSERT … RETURNING id
    outcomes: list[IngestOutcome] = []
    cards: list[Work] = []
    for target, is_new in resolved:
        lead_id = target.id if isinstance(target, Lead) else target
        assert lead_id is not None
        if is_new:
            cards.append(Work(OutboxKind.POST_CARD, lead_id=lead_id, dedup_key=card_key(lead_id)))
        outcomes.append(
            IngestOutcome(lead_id, IngestStatus.CREATED if is_new else IngestStatus.DUPLICATE)
        )
    await enqueue_many(session, cards, now=now)
    return outcomes


async def count_leads(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(Lead))).one()
