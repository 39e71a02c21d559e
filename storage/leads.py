"""Storing new leads: duplicate detection and the card that each new lead is owed."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import func, insert, text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.definition import Fate, Grading, after_grading, ensure_version, grade_new_row
from storage.definition import stored_fits as _stored_fits
from storage.kinds import OutboxKind, card_key
from storage.lead_input import LeadIn
from storage.models import Lead, LeadState
from storage.outbox import Work, enqueue_many

_T = TypeVar("_T")


class IngestStatus(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class IngestOutcome:
    id: int
    status: IngestStatus
    # The lead's fit to the MQL definition (storage/definition.py), if one was set.
    fit: dict[str, Any] | None = None


# (email, source) → stored leads as (arrival, id), oldest id first.
Arrivals = dict[tuple[str, str | None], list[tuple[datetime, int]]]


async def _existing_keys(
    session: AsyncSession, leads: list[LeadIn], *, since: datetime, until: datetime
) -> tuple[dict[str, int], Arrivals]:
    """Stored leads these could repeat: by external_id, and by (email, source) in a window."""
    external_ids = sorted({lead.external_id for lead in leads if lead.external_id})
    by_external: dict[str, int] = {}
    if external_ids:
        rows = await session.exec(
            select(Lead.external_id, Lead.id).where(Lead.external_id.in_(external_ids))
        )
        by_external = {external_id: lead_id for external_id, lead_id in rows.all() if external_id}
    emails = sorted({lead.email for lead in leads})
    # The window is applied here, not in SQL: with a created_at range in the query,
    # PostgreSQL's planner (on statistics that a bulk import has just made stale)
    # scanned the created_at index across a year of history instead of looking
    # the addresses up in the email index, ~70 ms per 500 leads instead of ~2.
    rows = await session.exec(
        select(Lead.email, Lead.source, Lead.created_at, Lead.id)
        .where(Lead.email.in_(emails))
        .order_by(Lead.id)
    )
    by_email: Arrivals = {}
    for email, source, created_at, lead_id in rows.all():
        if since <= created_at <= until:
            by_email.setdefault((email, source), []).append((created_at, lead_id))
    return by_external, by_email


def _within(arrivals: list[tuple[datetime, _T]], at: datetime, window: timedelta) -> _T | None:
    """The oldest entry that arrived within `window` of `at`, either side."""
    return next((item for arrived, item in arrivals if abs(arrived - at) <= window), None)


async def _prepare_postgres(session: AsyncSession, leads: list[LeadIn]) -> None:
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return  # SQLite's BEGIN IMMEDIATE already serializes writers
    # asyncpg prepares our statements, and after five runs PostgreSQL may keep a
    # generic plan made while the table was small: during an import that was a
    # sequential scan of a growing table for every 500-lead lookup (~150 ms each).
    # Planning each lookup for the table as it is now costs well under a millisecond.
    await session.exec(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    # Two intake requests with the same email could both miss each other's row;
    # serialize them per address. One statement for the whole batch (an import
    # sends thousands), taking the locks in the sorted order every caller uses,
    # so that two batches cannot deadlock.
    emails = sorted({lead.email for lead in leads})
    await session.exec(
        text(
            "SELECT pg_advisory_xact_lock(hashtext(email)) "
            "FROM unnest(CAST(:emails AS text[])) WITH ORDINALITY AS locks(email, n) "
            "ORDER BY n"
        ).bindparams(emails=emails)
    )


@dataclass
class _NewLead:
    """A lead of this batch to insert; its id once inserted."""

    row: dict[str, Any]
    id: int | None = None


LEADS = Lead.__table__  # Core: one compiled INSERT run over many rows (executemany)


async def _insert(session: AsyncSession, new: list[_NewLead]) -> None:
    """Insert the batch's new leads in a few multi-row statements and learn their ids."""
    if not new:
        return
    connection = await session.connection()
    rows = [lead.row for lead in new]
    if connection.dialect.name == "postgresql":
        statement = insert(LEADS).returning(LEADS.c.id, sort_by_parameter_order=True)
        ids = list((await session.exec(statement, params=rows)).scalars())
    else:
        # Asked for ids in row order, SQLAlchemy inserts one row per statement on
        # SQLite. Its batched INSERT … VALUES returns ids in no promised order, but
        # the transaction holds SQLite's write lock (BEGIN IMMEDIATE) and SQLite
        # gives each new row the next larger rowid in the order the rows are
        # inserted, so the sorted ids are the rows' ids in order.
        statement = insert(LEADS).returning(LEADS.c.id)
        ids = sorted((await session.exec(statement, params=rows)).scalars())
    for lead, lead_id in zip(new, ids, strict=True):
        lead.id = lead_id


def _resolve(
    leads: list[LeadIn],
    arrivals: list[datetime],
    by_external: dict[str, int],
    by_email: Arrivals,
    dedup_window: timedelta,
) -> list[tuple[int | _NewLead, bool]]:
    """Each lead: a stored id, or a new lead of this batch, and whether it is the new one."""
    pending_external: dict[str, _NewLead] = {}
    pending_email: dict[tuple[str, str | None], list[tuple[datetime, _NewLead]]] = {}
    resolved: list[tuple[int | _NewLead, bool]] = []
    for lead_in, arrival in zip(leads, arrivals, strict=True):
        key = (lead_in.email, lead_in.source)
        external = lead_in.external_id or ""
        existing = (
            by_external.get(external)
            or pending_external.get(external)
            or _within(by_email.get(key, []), arrival, dedup_window)
            or _within(pending_email.get(key, []), arrival, dedup_window)
        )
        if existing is not None:
            resolved.append((existing, False))
            continue
        lead = _NewLead({**lead_in.to_columns(), "state": LeadState.OPEN, "created_at": arrival})
        pending_email.setdefault(key, []).append((arrival, lead))
        if lead_in.external_id:
            pending_external[lead_in.external_id] = lead
        resolved.append((lead, True))
    return resolved


async def ingest_leads(
    session: AsyncSession,
    leads: list[LeadIn],
    *,
    now: datetime,
    dedup_window: timedelta,
    arrived_at: Sequence[datetime] | None = None,
    post_cards: bool = True,
    grading: Grading | None = None,
) -> list[IngestOutcome]:
    """Store new leads and queue their cards, in the caller's transaction (all or nothing).

    A lead is a duplicate when its external_id is already stored, or when a lead
    with the same email and source arrived within `dedup_window` of its own
    arrival, including earlier leads of the same batch. Arrival is `now` unless
    `arrived_at` gives each lead's own (an import of history).

    Without `post_cards` the leads are stored for the numbers only (imported
    history): no card is queued, so no SLA clock starts and posted_at,
    due_at and sla_next_at stay NULL.

    With a `grading` (the MQL definition) each new lead's fit is stored with it,
    and a lead that misses a criterion gets the card, a review, or no card, as
    `mql_definition.on_miss` says.
    """
    arrivals = list(arrived_at) if arrived_at is not None else [now] * len(leads)
    if len(arrivals) != len(leads):
        raise ValueError("arrived_at needs one arrival time per lead")
    await _prepare_postgres(session, leads)
    by_external, by_email = await _existing_keys(
        session,
        leads,
        since=min(arrivals, default=now) - dedup_window,
        until=max(arrivals, default=now) + dedup_window,
    )
    resolved = _resolve(leads, arrivals, by_external, by_email, dedup_window)
    await ensure_version(session, grading, now=now)
    fates = [
        grade_new_row(grading, lead_in, target.row, post_cards)
        if isinstance(target, _NewLead) and is_new
        else Fate.CARD
        for (target, is_new), lead_in in zip(resolved, leads, strict=True)
    ]
    await _insert(session, [target for target, is_new in resolved if is_new])
    outcomes: list[IngestOutcome] = []
    cards: list[Work] = []
    graded: list[tuple[int, Fate]] = []
    for (target, is_new), fate in zip(resolved, fates, strict=True):
        lead_id = target.id if isinstance(target, _NewLead) else target
        assert lead_id is not None
        if is_new and post_cards and fate is Fate.CARD:
            cards.append(Work(OutboxKind.POST_CARD, lead_id=lead_id, dedup_key=card_key(lead_id)))
        if is_new:
            graded.append((lead_id, fate))
        fit = target.row.get("fit") if isinstance(target, _NewLead) else None
        outcomes.append(
            IngestOutcome(lead_id, IngestStatus.CREATED if is_new else IngestStatus.DUPLICATE, fit)
        )
    cards += await after_grading(session, graded, now=now)
    await enqueue_many(session, cards, now=now)
    if grading is None:
        return outcomes
    # A duplicate answers with the fit its lead was stored with.
    fits = await _stored_fits(session, [o.id for o in outcomes if o.fit is None])
    return [o if o.fit else IngestOutcome(o.id, o.status, fits.get(o.id)) for o in outcomes]


async def count_leads(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(Lead))).one()
