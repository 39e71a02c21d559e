"""What the SLA clock stores: the next step of each open lead, and its once-only work.

`Lead.sla_next_at` is the moment the sweep next has work for a lead (NULL when
there is none). Taking that work is one conditional UPDATE from the value the
sweep read to the next one; the replica whose UPDATE matched does the work, in
the same transaction, and queues its Slack messages under unique outbox keys.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from storage.kinds import (
    DmRef,
    OutboxKind,
    dm_after_event_key,
    dm_late_key,
    dm_superseded_key,
)
from storage.models import OPEN_STATES, Lead, LeadState, OutboxMessage
from storage.outbox import enqueue


@dataclass(frozen=True)
class ClockRestart:
    """A lead's SLA clock started again at `started_at`, due at `due_at`, first step at
    `next_at`: worked out by the caller from the lead's policy (bot/sla/policy.py)."""

    started_at: datetime
    due_at: datetime
    next_at: datetime


def restarted_values(clock: ClockRestart) -> dict[str, Any]:
    """The lead's columns for a clock started again, for the caller's one UPDATE of the lead.

    The round counts up in the same statement, so the new clock's once-only keys
    (storage/kinds.py) differ from every earlier clock's however the UPDATEs interleave.
    """
    return {
        "sla_started_at": clock.started_at,
        "due_at": clock.due_at,
        "sla_next_at": clock.next_at,
        "sla_round": Lead.sla_round + 1,
    }


def due_query(now: datetime, limit: int) -> SelectOfScalar[Any]:
    """The sweep's question: which open leads have an SLA step due? (ix_leads_sla_next)"""
    return (
        select(Lead.id, Lead.sla_next_at)
        .where(col(Lead.sla_next_at) <= now, col(Lead.state).in_(OPEN_STATES))
        .order_by(col(Lead.sla_next_at))
        .limit(limit)
    )


async def due_leads(
    session: AsyncSession, *, now: datetime, limit: int
) -> list[tuple[int, datetime]]:
    return [(row[0], row[1]) for row in (await session.exec(due_query(now, limit))).all()]


async def take_step(
    session: AsyncSession, *, lead_id: int, expected: datetime, next_at: datetime | None
) -> bool:
    """Move the lead's clock from `expected` to `next_at`; False if someone else already did."""
    result = await session.exec(
        update(Lead)
        .where(
            col(Lead.id) == lead_id,
            col(Lead.sla_next_at) == expected,
            col(Lead.state).in_(OPEN_STATES),
        )
        .values(sla_next_at=next_at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def refresh_nudge_dm(
    session: AsyncSession,
    *,
    lead_id: int,
    channel: str,
    ts: str,
    now: datetime,
    key: str,
    superseded: bool = False,
) -> None:
    """Queue an update of a nudge DM so it shows the lead as it is, without stale buttons."""
    await enqueue(
        session,
        kind=OutboxKind.SLA_DM_REFRESH,
        lead_id=lead_id,
        payload=DmRef(channel=channel, ts=ts, superseded=superseded),
        dedup_key=key,
        now=now,
    )


async def refresh_after_transition(
    session: AsyncSession, lead: Lead, *, event_id: int, now: datetime
) -> None:
    """Called by every transition: a claimer's nudge DM no longer offers its buttons."""
    if lead.id is not None and lead.sla_dm_channel and lead.sla_dm_ts:
        await refresh_nudge_dm(
            session,
            lead_id=lead.id,
            channel=lead.sla_dm_channel,
            ts=lead.sla_dm_ts,
            now=now,
            key=dm_after_event_key(event_id),
        )


async def record_nudge_dm(
    session: AsyncSession, *, lead_id: int, channel: str, ts: str, recipient: str, now: datetime
) -> None:
    """Remember the DM just sent; retire the one it replaces and catch a lead that moved on."""
    lead = await session.get(Lead, lead_id, populate_existing=True)
    if lead is None:
        return
    # An older reminder to the same person points to this one. One to somebody
    # else was refreshed when their claim ended (a transition), and stays as it is.
    if lead.sla_dm_channel == channel and lead.sla_dm_ts and lead.sla_dm_ts != ts:
        await refresh_nudge_dm(
            session,
            lead_id=lead_id,
            channel=lead.sla_dm_channel,
            ts=lead.sla_dm_ts,
            now=now,
            key=dm_superseded_key(lead.sla_dm_ts),
            superseded=True,
        )
    lead.sla_dm_channel, lead.sla_dm_ts = channel, ts
    session.add(lead)
    if lead.state != LeadState.CLAIMED or lead.owner_id != recipient:
        # Closed or released while the DM was on its way: its buttons are stale already.
        await refresh_nudge_dm(
            session, lead_id=lead_id, channel=channel, ts=ts, now=now, key=dm_late_key(ts)
        )


def _card_queued() -> Any:
    """The lead has a card in the outbox (posted or not): intake and `handoff import`
    queue one; `handoff import --no-cards` stores history without one."""
    return (
        select(OutboxMessage.id)
        .where(OutboxMessage.kind == OutboxKind.POST_CARD, OutboxMessage.lead_id == Lead.id)
        .exists()
    )


async def open_leads(session: AsyncSession, *, limit: int) -> list[Lead]:
    """Open and claimed leads waiting for sales (the `handoff sla` listing): posted ones,
    soonest deadline first, then those whose card is queued (no deadline until posted)."""
    rows = await session.exec(
        select(Lead)
        .where(
            col(Lead.state).in_(OPEN_STATES),
            or_(col(Lead.message_ts).is_not(None), _card_queued()),
        )
        # Unposted leads have no deadline; NULLs sort differently on SQLite and PostgreSQL.
        .order_by(col(Lead.due_at).is_(None), col(Lead.due_at), col(Lead.id))
        .limit(limit)
    )
    return list(rows.all())


async def history_lead_count(session: AsyncSession) -> int:
    """Open leads with no card at all: imported as history (`handoff import --no-cards`)."""
    statement = select(func.count()).where(
        col(Lead.state).in_(OPEN_STATES), col(Lead.message_ts).is_(None), ~_card_queued()
    )
    return int((await session.exec(statement)).one())
