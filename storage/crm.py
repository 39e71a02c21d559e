"""The CRM connector's storage rules: cursors, links, withdrawn leads, writes owed, reps.

Like the rest of storage/, every function works in the caller's transaction and
never commits; none of them knows a vendor (the provider is a name).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crm_models import CrmCursor, CrmLink, CrmRep
from storage.events import record_event
from storage.kinds import (
    CrmRecordRef,
    EventKind,
    EventRef,
    OutboxKind,
    crm_fetch_key,
    crm_note_key,
    crm_write_key,
)
from storage.models import Lead, LeadEvent, OutboxMessage, OutboxState
from storage.outbox import Work, enqueue_many

MQL_STREAM = "mql"
# The transitions whose CRM write renders the lead's state (see bot/crm/writes.py).
# The transitions that change what the CRM record should say (its owner, its status).
WRITE_EVENTS = (
    EventKind.CLAIMED,
    EventKind.ACCEPTED,
    EventKind.RELEASED,
    EventKind.REJECTED,
    EventKind.ASSIGNED,
    EventKind.REASSIGNED,
    EventKind.HANDED_OVER,
)
CRM_KINDS = (OutboxKind.CRM_FETCH, OutboxKind.CRM_WRITE, OutboxKind.CRM_NOTE)
LINKS = CrmLink.__table__  # type: ignore[attr-defined]


async def insert_for(session: AsyncSession) -> Any:
    """The dialect's INSERT, for ON CONFLICT clauses."""
    connection = await session.connection()
    return pg_insert if connection.dialect.name == "postgresql" else sqlite_insert


# --- the poll cursor ----------------------------------------------------------------------


async def take_poll_lease(
    session: AsyncSession,
    provider: str,
    *,
    now: datetime,
    lease_for: timedelta,
    stream: str = MQL_STREAM,
) -> CrmCursor | None:
    """The cursor, leased to this poll; None while another replica's poll holds it.

    A first poll creates the cursor at `now`: the connector starts with the records
    that become MQLs from now on (`handoff crm sync --since` backfills).
    """
    insert = await insert_for(session)
    await session.exec(
        insert(CrmCursor)
        .values(provider=provider, stream=stream, position=now, updated_at=now)
        .on_conflict_do_nothing()
    )
    result = await session.exec(
        update(CrmCursor)
        .where(
            col(CrmCursor.provider) == provider,
            col(CrmCursor.stream) == stream,
            or_(col(CrmCursor.lease_until).is_(None), col(CrmCursor.lease_until) < now),
        )
        .values(lease_until=now + lease_for)
    )
    if result.rowcount != 1:
        return None
    return await session.get(CrmCursor, (provider, stream), populate_existing=True)


async def advance_cursor(
    session: AsyncSession,
    provider: str,
    position: datetime,
    *,
    now: datetime,
    stream: str = MQL_STREAM,
) -> None:
    """Move the cursor forward to `position` (never back: a backfill may read older pages)."""
    await session.exec(
        update(CrmCursor)
        .where(
            col(CrmCursor.provider) == provider,
            col(CrmCursor.stream) == stream,
            or_(col(CrmCursor.position).is_(None), col(CrmCursor.position) < position),
        )
        .values(position=position, updated_at=now)
    )


async def end_poll(
    session: AsyncSession,
    provider: str,
    *,
    now: datetime,
    error: str | None,
    stream: str = MQL_STREAM,
) -> None:
    await session.exec(
        update(CrmCursor)
        .where(col(CrmCursor.provider) == provider, col(CrmCursor.stream) == stream)
        .values(lease_until=None, polled_at=now, last_error=error[:500] if error else None)
    )


async def cursor_of(
    session: AsyncSession, provider: str, stream: str = MQL_STREAM
) -> CrmCursor | None:
    return await session.get(CrmCursor, (provider, stream), populate_existing=True)


# --- work owed to the CRM ---------------------------------------------------------------


async def queue_fetches(
    session: AsyncSession, provider: str, pushed: list[tuple[str, str]], *, now: datetime
) -> int:
    """Owe a read of each pushed record: (the vendor's event or notification id, record id).

    Keyed by the event id, so a delivery the vendor repeats queues nothing new.
    """
    work = [
        Work(
            OutboxKind.CRM_FETCH,
            payload=CrmRecordRef(provider=provider, record_id=record_id),
            dedup_key=crm_fetch_key(provider, delivery_id),
        )
        for delivery_id, record_id in pushed
    ]
    return await enqueue_many(session, work, now=now)


async def link_of(session: AsyncSession, lead_id: int) -> CrmLink | None:
    return await session.get(CrmLink, lead_id)


def crm_linked(lead_id: Any) -> Any:
    """Whether the lead came from a CRM record (a column a transition's UPDATE returns)."""
    return exists().where(LINKS.c.lead_id == lead_id)


async def is_crm_linked(session: AsyncSession, lead_id: int) -> bool:
    connection = await session.connection()
    return bool((await connection.execute(select(crm_linked(lead_id)))).scalar())


async def queue_crm_write(
    session: AsyncSession,
    *,
    lead_id: int,
    event_id: int,
    now: datetime,
    linked: bool,
    note: bool = False,
) -> bool:
    """After a transition: owe the lead's CRM record a write (and a note), if it has one.

    Called by storage/transitions.py in the transition's transaction, which read
    `linked` (crm_linked) with its UPDATE; leads that did not come from a CRM owe
    nothing. Whether a write is still worth making is decided at delivery, from the
    lead as it is then.
    """
    if not linked:
        return False
    work = [
        Work(
            OutboxKind.CRM_WRITE,
            lead_id=lead_id,
            payload=EventRef(event_id=event_id),
            dedup_key=crm_write_key(event_id),
        )
    ]
    if note:
        work.append(
            Work(
                OutboxKind.CRM_NOTE,
                lead_id=lead_id,
                payload=EventRef(event_id=event_id),
                dedup_key=crm_note_key(event_id),
            )
        )
    await enqueue_many(session, work, now=now)
    return True


async def latest_write_event(session: AsyncSession, lead_id: int) -> int | None:
    """The lead's latest transition that owes a CRM write (ix_lead_events_lead)."""
    return (
        await session.exec(
            select(func.max(LeadEvent.id)).where(
                LeadEvent.lead_id == lead_id, col(LeadEvent.kind).in_(WRITE_EVENTS)
            )
        )
    ).one()


# --- reps and CRM owners ------------------------------------------------------------------


async def rep_of(session: AsyncSession, provider: str, slack_user_id: str) -> CrmRep | None:
    return await session.get(CrmRep, (provider, slack_user_id), populate_existing=True)


async def save_rep(
    session: AsyncSession,
    provider: str,
    slack_user_id: str,
    *,
    email: str | None,
    owner_id: str | None,
    problem: str | None,
    now: datetime,
) -> bool:
    """Remember how a rep matched; True if the rep has just become unmatched (say it once)."""
    before = await rep_of(session, provider, slack_user_id)
    was_unmatched = before is not None and before.owner_id is None
    values = {"email": email, "owner_id": owner_id, "problem": problem, "checked_at": now}
    insert = await insert_for(session)
    statement = insert(CrmRep).values(provider=provider, slack_user_id=slack_user_id, **values)
    await session.exec(
        statement.on_conflict_do_update(index_elements=["provider", "slack_user_id"], set_=values)
    )
    return owner_id is None and not was_unmatched


async def unmatched_reps(session: AsyncSession, provider: str) -> list[CrmRep]:
    rows = await session.exec(
        select(CrmRep)
        .where(CrmRep.provider == provider, col(CrmRep.owner_id).is_(None))
        .order_by(col(CrmRep.slack_user_id))
    )
    return list(rows.all())


# --- the activity sweep: deals and first touch --------------------------------------------


async def due_links(session: AsyncSession, *, now: datetime, limit: int) -> list[CrmLink]:
    """Links whose record is due a look at its deals and activity (ix_crm_links_next_check)."""
    rows = await session.exec(
        select(CrmLink)
        .where(col(CrmLink.next_check_at) <= now)
        .order_by(col(CrmLink.next_check_at))
        .limit(limit)
    )
    return list(rows.all())


async def take_check(
    session: AsyncSession, lead_id: int, *, expected: datetime, next_at: datetime | None
) -> bool:
    """Move a link's next check from `expected` to `next_at`; False if another replica did."""
    result = await session.exec(
        update(CrmLink)
        .where(col(CrmLink.lead_id) == lead_id, col(CrmLink.next_check_at) == expected)
        .values(next_check_at=next_at)
    )
    return result.rowcount == 1


async def finish_check(
    session: AsyncSession, lead_id: int, *, now: datetime, next_at: datetime | None
) -> None:
    await session.exec(
        update(CrmLink)
        .where(col(CrmLink.lead_id) == lead_id)
        .values(next_check_at=next_at, checked_at=now)
    )


async def record_first_touch(
    session: AsyncSession, lead_id: int, *, at: datetime, now: datetime
) -> bool:
    """Store the lead's first touch once: only a lead with none, and only after its card."""
    result = await session.exec(
        update(Lead)
        .where(
            col(Lead.id) == lead_id,
            col(Lead.first_touch_at).is_(None),
            col(Lead.posted_at).is_not(None),
            col(Lead.posted_at) <= at,
        )
        .values(first_touch_at=at)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    await record_event(
        session,
        lead_id=lead_id,
        kind=EventKind.FIRST_TOUCH,
        at=now,
        detail={"at": at.isoformat()},
    )
    return True


# --- health -------------------------------------------------------------------------------


async def pending_crm_work(session: AsyncSession) -> tuple[int, str | None]:
    """How many CRM rows wait in the outbox, and the latest error among them."""
    pending = (
        select(OutboxMessage)
        .where(
            col(OutboxMessage.state) == OutboxState.PENDING,
            col(OutboxMessage.kind).in_(CRM_KINDS),
        )
        .subquery()
    )
    count = (await session.exec(select(func.count()).select_from(pending))).one()
    error = (
        await session.exec(
            select(pending.c.last_error)
            .where(pending.c.last_error.is_not(None))
            .order_by(pending.c.id.desc())
            .limit(1)
        )
    ).first()
    return int(count), error
