"""The outbox: Slack work stored in the same transaction as the change that causes it."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.kinds import NoPayload, OutboxKind, Payload, check_payload
from storage.models import Lead, OutboxMessage, OutboxState

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
LEADS = Lead.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Work:
    """One piece of Slack work to queue."""

    kind: OutboxKind
    lead_id: int | None = None
    payload: Payload = field(default_factory=NoPayload)
    dedup_key: str | None = None
    not_before: datetime | None = None


async def enqueue_many(
    session: AsyncSession, work: list[Work], *, now: datetime, card_versions_bumped: bool = False
) -> int:
    """Queue work in one statement; rows whose dedup_key exists already are skipped.

    Returns how many rows were queued. A dedup_key is unique, so once-only work
    (one card per lead, one nudge per offset) stays once-only across processes.
    A card update bumps its lead's card_version (storage/cards.py), unless the
    caller's own UPDATE of the lead did (`card_versions_bumped`).
    """
    if not work:
        return 0
    rows = [
        {
            "kind": item.kind,
            "lead_id": item.lead_id,
            "payload": check_payload(item.kind, item.payload),
            "dedup_key": item.dedup_key,
            "state": OutboxState.PENDING,
            "attempts": 0,
            "created_at": now,
            "not_before": item.not_before or now,
            "result": {},
        }
        for item in work
    ]
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(OUTBOX)
    if any(item.dedup_key for item in work):
        statement = statement.on_conflict_do_nothing(index_elements=["dedup_key"])
    # The rows as parameters, not in the statement: SQLAlchemy compiles it once and
    # batches the rows itself (an import's 500 cards a chunk took 0.2 s to compile).
    # Core on the connection, not the ORM's bulk INSERT (a click's path pays for it).
    # A row skipped for its dedup_key returns no id.
    queued = await connection.execute(statement.returning(OUTBOX.c.id), rows)
    if not card_versions_bumped:
        await _bump_card_versions(session, work)
    return len(queued.all())


async def _bump_card_versions(session: AsyncSession, work: list[Work]) -> None:
    """A queued card update makes the lead's card out of date (storage/cards.py)."""
    leads = {w.lead_id for w in work if w.kind is OutboxKind.UPDATE_CARD and w.lead_id}
    if leads:
        connection = await session.connection()
        await connection.execute(
            update(LEADS)
            .where(LEADS.c.id.in_(sorted(leads)))
            .values(card_version=LEADS.c.card_version + 1)
        )


async def enqueue(
    session: AsyncSession,
    *,
    kind: OutboxKind,
    now: datetime,
    lead_id: int | None = None,
    payload: Payload | None = None,
    dedup_key: str | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue one piece of Slack work; returns whether it was queued (see enqueue_many)."""
    work = Work(kind, lead_id, payload or NoPayload(), dedup_key, not_before)
    return await enqueue_many(session, [work], now=now) == 1


async def due_messages(session: AsyncSession, *, now: datetime, limit: int) -> list[OutboxMessage]:
    rows = await session.exec(
        select(OutboxMessage)
        .where(*_due(now))
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
    )
    return list(rows.all())


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, lease_for: timedelta
) -> list[OutboxMessage]:
    """Lease up to `limit` due rows for this worker; no other worker gets them meanwhile.

    On PostgreSQL one statement picks and leases them, skipping rows another worker
    is leasing at that moment (FOR UPDATE SKIP LOCKED), so replicas never wait on
    each other nor take the same row. SQLite has one writer at a time: it reads the
    due rows and leases each with the conditional UPDATE of try_lease.
    """
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        due = await due_messages(session, now=now, limit=limit)
        leased = [
            m for m in due if await try_lease(session, m.id or 0, now=now, lease_for=lease_for)
        ]
        for message in leased:
            message.attempts += 1
        return leased
    picked = (
        select(OutboxMessage.id)
        .where(*_due(now))
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    result = await session.exec(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(picked.scalar_subquery()))  # type: ignore[union-attr]
        .values(lease_until=now + lease_for, attempts=OutboxMessage.attempts + 1)
        .returning(*table.c)
    )
    rows = [OutboxMessage.model_validate(dict(row._mapping)) for row in result.all()]
    return sorted(rows, key=lambda m: (m.not_before, m.id or 0))


def _due(now: datetime) -> tuple[Any, ...]:
    return (
        OutboxMessage.state == OutboxState.PENDING,
        OutboxMessage.not_before <= now,
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
    )


async def try_lease(
    session: AsyncSession, message_id: int, *, now: datetime, lease_for: timedelta
) -> bool:
    """Take a message for delivery; exactly one process wins it until the lease runs out."""
    result = await session.exec(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.state == OutboxState.PENDING,
            # Still due: another worker may have tried it meanwhile and put it off.
            OutboxMessage.not_before <= now,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )
        .values(lease_until=now + lease_for, attempts=OutboxMessage.attempts + 1)
        # The caller counts the attempt on the row it holds (claim_due).
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def mark_sent(
    session: AsyncSession, message_id: int, *, now: datetime, result: dict[str, Any] | None = None
) -> None:
    await session.exec(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            state=OutboxState.SENT,
            sent_at=now,
            lease_until=None,
            result=result or {},
            last_error=None,
        )
    )


async def mark_dropped(session: AsyncSession, message_id: int, *, now: datetime, why: str) -> None:
    await session.exec(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(state=OutboxState.DROPPED, sent_at=now, lease_until=None, last_error=why[:500])
    )


async def reschedule(
    session: AsyncSession,
    message_id: int,
    *,
    not_before: datetime,
    error: str,
    count_attempt: bool = True,
) -> None:
    values: dict[str, Any] = {
        "not_before": not_before,
        "lease_until": None,
        "last_error": error[:500],
    }
    if not count_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    await session.exec(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


async def in_flight(session: AsyncSession, *, now: datetime) -> int:
    """Rows due now or leased by some worker: work that is on its way.

    Due rows count even when another worker's claim has them locked (SKIP LOCKED
    hides them from this worker's claim, and the lease is not committed yet).
    """
    return (
        await session.exec(
            select(func.count()).where(
                OutboxMessage.state == OutboxState.PENDING,
                or_(OutboxMessage.lease_until > now, OutboxMessage.not_before <= now),
            )
        )
    ).one()


@dataclass(frozen=True)
class OutboxHealth:
    pending: int
    oldest_created_at: datetime | None
    # Waiting rows whose latest attempts failed (attempts counted, an error recorded).
    failing: int
    last_error: str | None
    kinds: list[str]


# A row that failed this often in a row counts as "deliveries keep failing".
FAILING_AFTER_ATTEMPTS = 3


async def outbox_health(session: AsyncSession) -> OutboxHealth:
    """What /healthz says of the outbox, in three small indexed queries."""
    pending = OutboxMessage.state == OutboxState.PENDING
    count, oldest = (
        await session.exec(select(func.count(), func.min(OutboxMessage.created_at)).where(pending))
    ).one()
    failing = (
        await session.exec(
            select(func.count()).where(
                pending,
                OutboxMessage.attempts >= FAILING_AFTER_ATTEMPTS,
                OutboxMessage.last_error.is_not(None),
            )
        )
    ).one()
    last_error = (
        await session.exec(
            select(OutboxMessage.last_error)
            .where(pending, OutboxMessage.last_error.is_not(None))
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
    ).first()
    kinds = (await session.exec(select(OutboxMessage.kind).where(pending).distinct())).all()
    return OutboxHealth(count, oldest, failing, last_error, sorted(kinds))
