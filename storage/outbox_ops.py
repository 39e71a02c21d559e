"""The outbox as an operator sees it: what waits, what failed, retrying and dropping by hand.

`handoff outbox` and GET /metrics read and change rows through these functions; the
worker's own path (leasing, marking sent) is storage/outbox.py. Each change is one
conditional UPDATE whose row count says whether it happened.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, func, not_, or_, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.events import record_event
from storage.kinds import EventKind, OutboxKind
from storage.models import OutboxMessage, OutboxState
from storage.outbox import FAILING_AFTER_ATTEMPTS

# An operator's drop keeps its reason in last_error behind this prefix, so that
# `retry --all-failed` leaves alone what a person dropped on purpose.
DROPPED_BY_HAND = "dropped by hand: "


def _lease_free(now: datetime) -> Any:
    return or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now)


def _failing() -> Any:
    return and_(
        OutboxMessage.state == OutboxState.PENDING,
        OutboxMessage.attempts >= FAILING_AFTER_ATTEMPTS,
        OutboxMessage.last_error.is_not(None),
    )


def _failed() -> Any:
    """Failed: dropped (not by hand), or waiting after FAILING_AFTER_ATTEMPTS failed attempts."""
    dropped = and_(
        OutboxMessage.state == OutboxState.DROPPED,
        or_(
            OutboxMessage.last_error.is_(None),
            not_(OutboxMessage.last_error.startswith(DROPPED_BY_HAND, autoescape=True)),
        ),
    )
    return or_(dropped, _failing())


@dataclass(frozen=True)
class OutboxWaiting:
    by_kind: dict[str, int]
    oldest_created_at: datetime | None
    failing: int


async def outbox_waiting(session: AsyncSession) -> OutboxWaiting:
    """The outbox gauges of GET /metrics: every known kind (0 when none waits), in two queries."""
    rows = (
        await session.exec(
            select(OutboxMessage.kind, func.count(), func.min(OutboxMessage.created_at))
            .where(OutboxMessage.state == OutboxState.PENDING)
            .group_by(OutboxMessage.kind)
        )
    ).all()
    by_kind = dict.fromkeys(OutboxKind, 0) | {kind: count for kind, count, _ in rows}
    oldest = min((first for _, _, first in rows if first is not None), default=None)
    failing = (await session.exec(select(func.count()).where(_failing()))).one()
    return OutboxWaiting({str(k): v for k, v in by_kind.items()}, oldest, failing)


async def problem_rows(session: AsyncSession, *, limit: int) -> tuple[list[OutboxMessage], int]:
    """Waiting and failed rows, newest problem first, and how many there are in all.

    A dropped row's problem is as new as its drop (sent_at); a waiting row's as its queueing.
    """
    shown = or_(OutboxMessage.state == OutboxState.PENDING, _failed())
    total = (await session.exec(select(func.count()).where(shown))).one()
    rows = await session.exec(
        select(OutboxMessage)
        .where(shown)
        .order_by(
            func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at).desc(),
            OutboxMessage.id.desc(),
        )
        .limit(limit)
    )
    return list(rows.all()), total


def is_failing(message: OutboxMessage) -> bool:
    """The Python twin of _failing(), for labelling listed rows."""
    return (
        message.state == OutboxState.PENDING
        and message.attempts >= FAILING_AFTER_ATTEMPTS
        and message.last_error is not None
    )


class Refused(StrEnum):
    """Why an operator's retry or drop changed nothing."""

    UNKNOWN = "unknown"
    SENT = "sent"
    DROPPED = "dropped"
    IN_FLIGHT = "in_flight"


_DUE_AGAIN = {
    "state": OutboxState.PENDING,
    # Reset, but to 1 for a row attempted before: the next attempt is then a retry, which
    # first looks in the channel for a post an earlier attempt may have made
    # (bot/runtime/once.py) instead of posting it twice.
    "attempts": case((OutboxMessage.attempts > 0, 1), else_=0),
    "lease_until": None,
    "sent_at": None,
    "last_error": None,
}


async def retry_row(session: AsyncSession, message_id: int, *, now: datetime) -> Refused | None:
    """Make one waiting or dropped row due now, attempts reset; None when it was done.

    A row a worker holds a live lease on is refused: freeing it would let a second
    worker post it while the first is still posting.
    """
    result = await session.exec(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            or_(
                OutboxMessage.state == OutboxState.DROPPED,
                and_(OutboxMessage.state == OutboxState.PENDING, _lease_free(now)),
            ),
        )
        .values(not_before=now, **_DUE_AGAIN)
    )
    return None if result.rowcount == 1 else await _why_not(session, message_id)


async def retry_failed(session: AsyncSession, *, now: datetime) -> int:
    """Make every failed row (see _failed) due now, attempts reset, in one statement."""
    result = await session.exec(
        update(OutboxMessage)
        .where(_failed(), or_(OutboxMessage.state == OutboxState.DROPPED, _lease_free(now)))
        .values(not_before=now, **_DUE_AGAIN)
    )
    return result.rowcount


async def drop_row(
    session: AsyncSession, message_id: int, *, now: datetime, reason: str
) -> OutboxMessage | Refused:
    """Mark a waiting row dropped by hand, its reason in last_error; returns the row."""
    row = await session.get(OutboxMessage, message_id)
    if row is None:
        return Refused.UNKNOWN
    result = await session.exec(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.state == OutboxState.PENDING,
            _lease_free(now),
        )
        .values(
            state=OutboxState.DROPPED,
            sent_at=now,
            lease_until=None,
            last_error=(DROPPED_BY_HAND + reason)[:500],
        )
    )
    return row if result.rowcount == 1 else await _why_not(session, message_id)


async def _why_not(session: AsyncSession, message_id: int) -> Refused:
    row = (
        await session.exec(select(OutboxMessage.state).where(OutboxMessage.id == message_id))
    ).first()
    if row is None:
        return Refused.UNKNOWN
    if row == OutboxState.SENT:
        return Refused.SENT
    return Refused.DROPPED if row == OutboxState.DROPPED else Refused.IN_FLIGHT


async def drop_by_hand(
    session: AsyncSession, message_id: int, *, now: datetime, reason: str
) -> OutboxMessage | Refused:
    """An operator's drop: the row dropped with the reason and, when the row is about a
    lead, an OUTBOX_DROPPED event on the lead's audit trail, in the same transaction."""
    dropped = await drop_row(session, message_id, now=now, reason=reason)
    if isinstance(dropped, OutboxMessage) and dropped.lead_id is not None:
        detail = {"outbox_id": message_id, "kind": dropped.kind, "reason": reason}
        await record_event(
            session, lead_id=dropped.lead_id, kind=EventKind.OUTBOX_DROPPED, at=now, detail=detail
        )
    return dropped
