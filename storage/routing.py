"""Routing's writes: one decision per transaction, gated by the pool's version and the lead's state.

A decision is made from the state read a moment earlier (bot/routing/assign.py).
Writing it takes two conditional UPDATEs in one transaction:

1. the pool's row, from the version the decider read to the next one: when it
   matches nothing another replica decided in between, and `RotationMoved` makes
   the caller decide again from the new state (so the rotation never skews);
2. the lead's row, from the state the decider saw (open and not yet routed, or
   owned by the expected rep): when it matches nothing the lead was routed or
   decided already, and `LeadMoved` rolls the whole decision back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crm import is_crm_linked, queue_crm_write
from storage.events import record_event
from storage.kinds import (
    AssignmentRef,
    EventKind,
    EventRef,
    HomeRef,
    OutboxKind,
    reply_key,
    routing_dm_key,
)
from storage.models import Lead, LeadEvent, LeadState
from storage.outbox import enqueue
from storage.refusals import Refusal
from storage.routing_models import Assignment, RoutingMember, RoutingPool
from storage.sla import refresh_after_transition


class AssignmentKind(StrEnum):
    ASSIGNED = "assigned"  # the pool's rotation chose the rep
    STICKY = "sticky"  # the owner of the account's other lead
    FALLBACK = "fallback"  # nobody in the pool was available: the pool's fallback user
    UNROUTED = "unrouted"  # nobody at all: the card offers Claim
    HANDED_OVER = "handed_over"
    REASSIGNED = "reassigned"  # the deadline passed: the next member who had not had it


class RotationMoved(Exception):
    """Another decision on the pool was written first; decide again from the new state."""


class LeadMoved(Refusal):
    """The lead was routed, handed on or decided by someone else meanwhile; nothing was written."""

    def __init__(self, lead: Lead | None) -> None:
        self.lead = lead
        super().__init__("lead moved")


async def _as_it_is(session: AsyncSession, lead_id: int) -> Lead | None:
    """The lead as it is now, detached, so a refusal can still read it after the rollback."""
    lead = await session.get(Lead, lead_id, populate_existing=True)
    if lead is not None:
        session.expunge(lead)
    return lead


class HandOverRefused(Refusal):
    """This person may not hand this lead over: it is not an assigned lead, or not theirs."""

    def __init__(self, why: str, lead: Lead) -> None:
        self.why = why  # "not_assigned" or "not_yours"
        self.lead = lead
        super().__init__(f"hand over refused: {why}")


@dataclass(frozen=True)
class PoolState:
    version: int
    last: str | None
    counts: dict[str, int]
    present: frozenset[str]


@dataclass(frozen=True)
class Decision:
    kind: AssignmentKind
    assignee_id: str | None
    pool_id: str | None = None
    rule_index: int | None = None
    tier: str | None = None
    candidates: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    # The rotation to write: None when the pool's rotation was not used (sticky, hand over).
    version: int | None = None
    counts: dict[str, int] = field(default_factory=dict)  # available members, calibrated
    absent: list[str] = field(default_factory=list)  # members not available now
    previous_id: str | None = None
    actor_id: str | None = None
    note: str | None = None


# --- reads -----------------------------------------------------------------------------------


async def lock_pool(session: AsyncSession, pool_id: str) -> PoolState:
    """The pool's state, with its row locked until the transaction ends.

    Deciders of one pool queue here (SQLite's BEGIN IMMEDIATE already queues every
    writer), so each decides from the state the previous one wrote: the rotation
    cannot skew, and no decider starves retrying.
    """
    row = {"pool_id": pool_id, "version": 0}
    await upsert(session, RoutingPool, row, ["pool_id"], replace=False)
    await session.exec(
        select(RoutingPool.pool_id).where(RoutingPool.pool_id == pool_id).with_for_update()
    )
    return await pool_state(session, pool_id)


async def pool_state(session: AsyncSession, pool_id: str) -> PoolState:
    pool = await session.get(RoutingPool, pool_id, populate_existing=True)
    rows = await session.exec(select(RoutingMember).where(RoutingMember.pool_id == pool_id))
    members = list(rows.all())
    return PoolState(
        version=pool.version if pool else 0,
        last=pool.last_user_id if pool else None,
        counts={m.user_id: m.count for m in members},
        present=frozenset(m.user_id for m in members if m.present),
    )


async def assigned_since(
    session: AsyncSession, user_ids: Iterable[str], since: datetime
) -> dict[str, int]:
    """Leads routed to each rep since `since` (caps): by the rules, sticky, fallback, breach."""
    given = (
        AssignmentKind.ASSIGNED,
        AssignmentKind.STICKY,
        AssignmentKind.FALLBACK,
        AssignmentKind.REASSIGNED,
    )
    rows = await session.exec(
        select(Assignment.assignee_id, func.count())
        .where(
            col(Assignment.assignee_id).in_(list(user_ids)),
            col(Assignment.at) >= since,
            col(Assignment.kind).in_(given),
        )
        .group_by(Assignment.assignee_id)
    )
    return {str(user): int(n) for user, n in rows.all()}


async def undecided_loads(session: AsyncSession, user_ids: Iterable[str]) -> dict[str, int]:
    """Each rep's undecided leads (load_balanced): claimed or assigned to them, still open."""
    rows = await session.exec(
        select(Lead.owner_id, func.count())
        .where(col(Lead.owner_id).in_(list(user_ids)), Lead.state == LeadState.CLAIMED)
        .group_by(Lead.owner_id)
    )
    return {str(user): int(n) for user, n in rows.all()}


async def lead_assignments(session: AsyncSession, lead_id: int) -> list[Assignment]:
    rows = await session.exec(
        select(Assignment).where(Assignment.lead_id == lead_id).order_by(col(Assignment.id))
    )
    return list(rows.all())


# --- writes ----------------------------------------------------------------------------------


async def upsert(
    session: AsyncSession, model: Any, row: dict[str, Any], keys: list[str], *, replace: bool = True
) -> None:
    """Insert `row`; where one with the same keys exists, overwrite it (or keep it)."""
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(model).values(**row)
    updates = {k: v for k, v in row.items() if k not in keys} if replace else {}
    if updates:
        statement = statement.on_conflict_do_update(index_elements=keys, set_=updates)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    await session.exec(statement)


async def take_rotation(session: AsyncSession, decision: Decision) -> None:
    """Move the pool from the version the decision read; RotationMoved if another came first."""
    assert decision.pool_id is not None and decision.version is not None
    moved = await session.exec(
        update(RoutingPool)
        .where(
            col(RoutingPool.pool_id) == decision.pool_id,
            col(RoutingPool.version) == decision.version,
        )
        .values(version=decision.version + 1, last_user_id=decision.assignee_id)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise RotationMoved(decision.pool_id)
    for user, count in decision.counts.items():
        given = count + (1 if user == decision.assignee_id else 0)
        row = {"pool_id": decision.pool_id, "user_id": user, "count": given, "present": True}
        await upsert(session, RoutingMember, row, ["pool_id", "user_id"])
    if decision.absent:
        await session.exec(
            update(RoutingMember)
            .where(
                col(RoutingMember.pool_id) == decision.pool_id,
                col(RoutingMember.user_id).in_(decision.absent),
            )
            .values(present=False)
            .execution_options(synchronize_session=False)
        )


async def _record(
    session: AsyncSession, lead_id: int, decision: Decision, now: datetime
) -> Assignment:
    record = Assignment(
        lead_id=lead_id,
        at=now,
        kind=decision.kind,
        assignee_id=decision.assignee_id,
        previous_id=decision.previous_id,
        actor_id=decision.actor_id,
        rule_index=decision.rule_index,
        pool_id=decision.pool_id,
        tier=decision.tier,
        candidates=list(decision.candidates),
        skipped=dict(decision.skipped),
        note=decision.note,
    )
    session.add(record)
    await session.flush()
    return record


def _detail(record: Assignment) -> dict[str, Any]:
    # Enough to say "why this rep" from the event alone (/leadfeedback lead's timeline).
    return {
        "assignment_id": record.id,
        "kind": record.kind,
        "skipped": dict(record.skipped),
        "assignee_id": record.assignee_id,
        "previous_id": record.previous_id,
        "pool": record.pool_id,
        "rule": record.rule_index,
        "tier": record.tier,
        "note": record.note,
    }


async def _home(session: AsyncSession, user_id: str | None, now: datetime) -> None:
    """The person's App Home tab shows their leads: publish it again (bot/routing/home.py)."""
    if user_id:
        await enqueue(session, kind=OutboxKind.APP_HOME, payload=HomeRef(user_id=user_id), now=now)


async def _owe_crm(session: AsyncSession, lead_id: int, event: LeadEvent, now: datetime) -> None:
    """A lead from a CRM record owes it the new owner, as a claim does (bot/crm/writes.py
    writes what the lead is when the row is delivered: back to Claim writes nothing)."""
    linked = await is_crm_linked(session, lead_id)
    await queue_crm_write(session, lead_id=lead_id, event_id=event.id or 0, now=now, linked=linked)


async def _dm(session: AsyncSession, lead_id: int, record: Assignment, now: datetime) -> None:
    await _home(session, record.assignee_id, now)
    if record.assignee_id:
        await enqueue(
            session,
            kind=OutboxKind.ROUTING_DM,
            lead_id=lead_id,
            payload=AssignmentRef(assignment_id=record.id or 0),
            dedup_key=routing_dm_key(record.id or 0),
            now=now,
        )


async def route_new_lead(
    session: AsyncSession, *, lead_id: int, decision: Decision, now: datetime
) -> Assignment:
    """Write the first decision about a lead whose card is not posted yet."""
    if decision.version is not None:
        await take_rotation(session, decision)
    values: dict[str, Any] = {"routing": "claim", "routing_tier": decision.tier}
    if decision.assignee_id is not None:
        values.update(
            state=LeadState.CLAIMED,
            owner_id=decision.assignee_id,
            assigned_at=now,
            routing="assigned",
        )
    taken = await session.exec(
        update(Lead)
        .where(
            col(Lead.id) == lead_id,
            Lead.state == LeadState.OPEN,
            col(Lead.routing).is_(None),
            col(Lead.message_ts).is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        raise LeadMoved(await _as_it_is(session, lead_id))
    record = await _record(session, lead_id, decision, now)
    kind = EventKind.ASSIGNED if decision.assignee_id else EventKind.UNROUTED
    event = await record_event(
        session,
        lead_id=lead_id,
        kind=kind,
        at=now,
        to_state=values.get("state", LeadState.OPEN),
        detail=_detail(record),
    )
    if decision.assignee_id:
        await _owe_crm(session, lead_id, event, now)
    # The DM follows the card (queue_first_dm), so that it can say "respond by".
    return record


async def queue_first_dm(session: AsyncSession, *, lead_id: int, now: datetime) -> None:
    """Once the card is posted: the assignee's DM, if the rules assigned the lead."""
    records = await lead_assignments(session, lead_id)
    if records and records[0].assignee_id:
        await _dm(session, lead_id, records[0], now)


async def move_lead(
    session: AsyncSession,
    *,
    lead: Lead,
    decision: Decision,
    now: datetime,
    values: dict[str, Any] | None = None,
) -> tuple[Assignment, LeadEvent]:
    """Hand a routed lead from its owner to another rep (or back to Claim); one UPDATE decides.

    `lead` is as the decider read it: its owner and reassignment count must still hold.
    """
    assert lead.id is not None
    if decision.version is not None:
        await take_rotation(session, decision)
    changes: dict[str, Any] = dict(values or {})
    if decision.assignee_id is None:
        changes.update(state=LeadState.OPEN, owner_id=None, routing="claim", assigned_at=None)
    else:
        changes.update(owner_id=decision.assignee_id, assigned_at=now, routing="assigned")
    moved = await session.exec(
        update(Lead)
        .where(
            and_(
                col(Lead.id) == lead.id,
                Lead.state == LeadState.CLAIMED,
                col(Lead.owner_id) == lead.owner_id,
                col(Lead.reassignments) == lead.reassignments,
            )
        )
        .values(**changes)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise LeadMoved(await _as_it_is(session, lead.id))
    record = await _record(session, lead.id, decision, now)
    kind = {
        AssignmentKind.HANDED_OVER: EventKind.HANDED_OVER,
        AssignmentKind.REASSIGNED: EventKind.REASSIGNED,
        AssignmentKind.FALLBACK: EventKind.REASSIGNED,
    }.get(decision.kind, EventKind.UNROUTED)
    event = await record_event(
        session,
        lead_id=lead.id,
        kind=kind,
        at=now,
        actor_id=decision.actor_id,
        from_state=LeadState.CLAIMED,
        to_state=changes.get("state", LeadState.CLAIMED),
        detail=_detail(record),
    )
    await enqueue(session, kind=OutboxKind.UPDATE_CARD, lead_id=lead.id, now=now)
    await enqueue(
        session,
        kind=OutboxKind.THREAD_REPLY,
        lead_id=lead.id,
        payload=EventRef(event_id=event.id or 0),
        dedup_key=reply_key(event.id or 0),
        now=now,
    )
    await _owe_crm(session, lead.id, event, now)
    # The old assignee's DM loses its buttons (the lead is no longer theirs).
    await refresh_after_transition(session, lead, event_id=event.id or 0, now=now)
    await _home(session, lead.owner_id, now)
    await _dm(session, lead.id, record, now)
    return record, event
