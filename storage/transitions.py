"""The lead's state machine. Each transition is one conditional UPDATE: the row count decides.

    open --claim--> claimed --accept--> accepted
      |               |  \\--release--> open
      |               \\----reject----> rejected
      \\------------------reject------> rejected

A click that lost a race, a double click, Slack replaying a request or a click
on a stale card all reach the same UPDATE and find its condition false; they
raise TransitionRefused with the lead as it is now, and nothing is written.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, insert, or_, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crm import crm_linked, queue_crm_write
from storage.events import record_event
from storage.kinds import EventKind, EventRef, OutboxKind, rejection_notice_key, reply_key
from storage.models import Lead, LeadEvent, LeadState
from storage.outbox import Work, enqueue, enqueue_many
from storage.refusals import Refusal
from storage.sla import refresh_after_transition


class Action(StrEnum):
    CLAIM = "claim"
    ACCEPT = "accept"
    RELEASE = "release"
    REJECT = "reject"


class TransitionRefused(Refusal):
    """The lead is not in a state where this person can do this; `lead` is how it is now.

    `card_pending` says the refusal is only about the card's posting: the lead was not
    recorded as posted when the guard was asked (bot/leads/clicks.py waits and tries again).
    """

    def __init__(
        self, action: Action, actor_id: str, lead: Lead | None, *, card_pending: bool = False
    ) -> None:
        self.action = action
        self.actor_id = actor_id
        self.lead = lead
        self.card_pending = card_pending
        state = lead.state if lead else "missing"
        super().__init__(f"{action} refused for {actor_id}: lead is {state}")


@dataclass(frozen=True)
class Transition:
    lead: Lead
    event: LeadEvent


def _guard(action: Action, actor_id: str) -> ColumnElement[bool]:
    owned = and_(Lead.state == LeadState.CLAIMED, Lead.owner_id == actor_id)
    if action is Action.CLAIM:
        return Lead.state == LeadState.OPEN
    if action is Action.REJECT:
        # Anyone may reject an unclaimed lead; a claimed lead belongs to its claimer.
        return or_(Lead.state == LeadState.OPEN, owned)
    return owned


# What a release undoes, whether the claimer lets go or the SLA takes the lead back.
RELEASED_VALUES: dict[str, Any] = {"owner_id": None, "claimed_at": None}


async def _take(
    session: AsyncSession,
    *,
    lead_id: int,
    action: Action,
    actor_id: str,
    to_state: LeadState,
    values: dict[str, Any],
) -> bool:
    """The one conditional UPDATE of every transition; True if this caller won it."""
    result = await session.exec(
        update(Lead)
        .where(Lead.id == lead_id, Lead.message_ts.is_not(None), _guard(action, actor_id))
        .values(state=to_state, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# The state a transition leaves is implied by its guard, except a rejection's (open or claimed).
FROM_STATE: dict[Action, LeadState] = {
    Action.CLAIM: LeadState.OPEN,
    Action.ACCEPT: LeadState.CLAIMED,
    Action.RELEASE: LeadState.CLAIMED,
}
LEADS = Lead.__table__  # type: ignore[attr-defined]
EVENTS = LeadEvent.__table__  # type: ignore[attr-defined]
LEAD_COLUMNS = tuple(LEADS.c)
LINKED = "crm_linked"
EVENT_COLUMNS = tuple(EVENTS.c)


async def _apply(
    session: AsyncSession,
    *,
    action: Action,
    lead_id: int,
    actor_id: str,
    now: datetime,
    to_state: LeadState,
    values: dict[str, Any],
    kind: EventKind,
    detail: dict[str, Any] | None = None,
) -> Transition:
    """The transition in the fewest statements that keep its guarantees.

    Right after a click's ack, this competes with the next click's ack for the event
    loop: the conditional UPDATE returns the lead (no load before, no refresh after),
    the event is one INSERT, the card update and the thread reply one more. A
    rejection first reads the state it leaves, which its guard leaves open.
    """
    from_state = FROM_STATE.get(action) or await _state_of(session, lead_id)
    taken = await _take_returning(session, lead_id, action, actor_id, to_state, values)
    if taken is None:
        raise await _refusal(session, action, actor_id, lead_id)
    lead, linked = taken
    event = LeadEvent(
        lead_id=lead_id,
        kind=kind,
        actor_id=actor_id,
        from_state=from_state,
        to_state=to_state,
        at=now,
        detail=detail or {},
    )
    connection = await session.connection()
    inserted = await connection.execute(
        insert(EVENTS).values(event.model_dump(exclude={"id"})).returning(EVENTS.c.id)
    )
    event.id = inserted.scalar_one()
    await _queue_card_and_reply(session, lead_id, event.id, now)
    await refresh_after_transition(session, lead, event_id=event.id, now=now)
    # A lead from a CRM owes its record the new owner and status (a rejection a note
    # too); a lead from anywhere else owes nothing. The CRM capability delivers it.
    await queue_crm_write(
        session,
        lead_id=lead_id,
        event_id=event.id,
        now=now,
        linked=linked,
        note=action is Action.REJECT,
    )
    return Transition(lead=lead, event=event)


async def _queue_card_and_reply(
    session: AsyncSession, lead_id: int, event_id: int, now: datetime
) -> None:
    # The card is redrawn from the lead when the update is sent (bot/leads/deliveries.py),
    # and the transition's UPDATE bumped its card_version, so a late update never draws
    # an older state.
    work = [
        Work(OutboxKind.UPDATE_CARD, lead_id=lead_id),
        Work(
            OutboxKind.THREAD_REPLY,
            lead_id=lead_id,
            payload=EventRef(event_id=event_id),
            dedup_key=reply_key(event_id),
        ),
    ]
    await enqueue_many(session, work, now=now, card_versions_bumped=True)


async def _state_of(session: AsyncSession, lead_id: int) -> str | None:
    return (await session.exec(select(Lead.state).where(Lead.id == lead_id))).first()


async def _take_returning(
    session: AsyncSession,
    lead_id: int,
    action: Action,
    actor_id: str,
    to_state: LeadState,
    values: dict[str, Any],
) -> tuple[Lead, bool] | None:
    """The conditional UPDATE of _take, bumping the card's version, returning the lead
    and whether it came from a CRM record.

    Core on the session's connection, not the ORM's bulk UPDATE: on the click's path
    the ORM's statement handling was a third of the work after the ack.
    """
    connection = await session.connection()
    result = await connection.execute(
        update(LEADS)
        .where(LEADS.c.id == lead_id, LEADS.c.message_ts.is_not(None), _guard(action, actor_id))
        .values(state=to_state, card_version=LEADS.c.card_version + 1, **values)
        .returning(*LEAD_COLUMNS, crm_linked(LEADS.c.id).label(LINKED))
    )
    row = result.first()
    if row is None:
        return None
    columns = dict(row._mapping)
    linked = bool(columns.pop(LINKED))
    return Lead.model_validate(columns), linked


async def claim_lead(
    session: AsyncSession, *, lead_id: int, user_id: str, now: datetime
) -> Transition:
    return await _apply(
        session,
        action=Action.CLAIM,
        lead_id=lead_id,
        actor_id=user_id,
        now=now,
        to_state=LeadState.CLAIMED,
        values={"owner_id": user_id, "claimed_at": now},
        kind=EventKind.CLAIMED,
    )


async def accept_lead(
    session: AsyncSession, *, lead_id: int, user_id: str, now: datetime
) -> Transition:
    return await _apply(
        session,
        action=Action.ACCEPT,
        lead_id=lead_id,
        actor_id=user_id,
        now=now,
        to_state=LeadState.ACCEPTED,
        # A decided lead has met (or missed) its SLA: the clock stops.
        values={"closed_at": now, "sla_next_at": None},
        kind=EventKind.ACCEPTED,
    )


async def release_lead(
    session: AsyncSession, *, lead_id: int, user_id: str, now: datetime
) -> Transition:
    return await _apply(
        session,
        action=Action.RELEASE,
        lead_id=lead_id,
        actor_id=user_id,
        now=now,
        to_state=LeadState.OPEN,
        values=RELEASED_VALUES,
        kind=EventKind.RELEASED,
    )


async def reject_lead(
    session: AsyncSession,
    *,
    lead_id: int,
    user_id: str,
    reason_id: str,
    comment: str | None,
    now: datetime,
) -> Transition:
    transition = await _apply(
        session,
        action=Action.REJECT,
        lead_id=lead_id,
        actor_id=user_id,
        now=now,
        to_state=LeadState.REJECTED,
        values={
            "owner_id": user_id,
            "closed_at": now,
            "rejection_reason": reason_id,
            "rejection_comment": comment,
            "sla_next_at": None,
        },
        kind=EventKind.REJECTED,
        detail={"reason": reason_id, "comment": comment},
    )
    await enqueue(
        session,
        kind=OutboxKind.REJECTION_NOTICE,
        lead_id=lead_id,
        payload=EventRef(event_id=transition.event.id or 0),
        dedup_key=rejection_notice_key(transition.event.id or 0),
        now=now,
    )
    return transition


async def check_rejectable(session: AsyncSession, *, lead_id: int, user_id: str) -> Lead:
    """Raise TransitionRefused now rather than after someone fills in the reject form.

    Asks the same condition the rejection's UPDATE will, so the two cannot disagree.
    """
    lead = await session.get(Lead, lead_id)
    if lead is None or not await _allowed(session, Action.REJECT, user_id, lead_id):
        raise await _refusal(session, Action.REJECT, user_id, lead_id)
    return lead


async def release_on_breach(
    session: AsyncSession, lead: Lead, *, now: datetime
) -> LeadEvent | None:
    """Take back a claim nobody worked before the deadline (`sla.reassign_on_breach`).

    The same conditional UPDATE as the claimer's own release; the card update and
    the thread note are queued by the SLA sweep together with the breach.
    """
    owner_id = lead.owner_id
    if lead.id is None or owner_id is None:
        return None
    released = await _take(
        session,
        lead_id=lead.id,
        action=Action.RELEASE,
        actor_id=owner_id,
        to_state=LeadState.OPEN,
        values=RELEASED_VALUES,
    )
    if not released:
        return None
    event = await record_event(
        session,
        lead_id=lead.id,
        kind=EventKind.SLA_RELEASED,
        at=now,
        from_state=LeadState.CLAIMED,
        to_state=LeadState.OPEN,
        detail={"owner_id": owner_id},
    )
    await refresh_after_transition(session, lead, event_id=event.id or 0, now=now)
    return event


async def _allowed(session: AsyncSession, action: Action, actor_id: str, lead_id: int) -> bool:
    """The guard of the transition's UPDATE, asked without writing."""
    allowed = await session.exec(
        select(Lead.id).where(
            Lead.id == lead_id, Lead.message_ts.is_not(None), _guard(action, actor_id)
        )
    )
    return allowed.first() is not None


async def _refusal(
    session: AsyncSession, action: Action, actor_id: str, lead_id: int
) -> TransitionRefused:
    """Why the guard said no, read after it said so.

    On PostgreSQL a statement sees the rows committed when it began: a click racing
    the transaction that records the card's ts finds the lead unposted, and a read a
    moment later finds it posted and open. So the lead is read first and the guard asked
    again after; if it now says yes, only the posting was in the way.
    """
    lead = await session.get(Lead, lead_id, populate_existing=True)
    if lead is None:
        return TransitionRefused(action, actor_id, None)
    pending = lead.message_ts is None or await _allowed(session, action, actor_id, lead_id)
    # Detached as loaded, so the answer can still read it after the rollback.
    session.expunge(lead)
    return TransitionRefused(action, actor_id, lead, card_pending=pending)
