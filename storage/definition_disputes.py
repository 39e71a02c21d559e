"""The lead guarantee's disputes: opened once per rejection, decided once, by one UPDATE each.

A marketer disputes a definition-miss rejection of a lead that met every
criterion; a named manager upholds it (the rejection stands) or overturns it (the
lead is open again). Whoever loses a race is refused, and nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, literal, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crm import insert_for
from storage.definition_models import DefinitionDispute, DisputeDecision, DisputeRequestPost
from storage.definition_review import DefinitionRefused
from storage.events import record_event
from storage.kinds import (
    DisputeManagerRef,
    DisputeMessageRef,
    EventKind,
    EventRef,
    OutboxKind,
    dispute_decided_key,
    dispute_request_key,
    dispute_thread_key,
    reply_key,
)
from storage.models import Lead, LeadEvent, LeadState
from storage.outbox import Work, enqueue, enqueue_many
from storage.sla import ClockRestart, restarted_values
from storage.types import UTCDateTime


async def latest_rejection(session: AsyncSession, lead_id: int) -> LeadEvent | None:
    rows = await session.exec(
        select(LeadEvent)
        .where(LeadEvent.lead_id == lead_id, LeadEvent.kind == EventKind.REJECTED)
        .order_by(col(LeadEvent.id).desc())
        .limit(1)
    )
    return rows.first()


async def check_disputable(session: AsyncSession, *, lead_id: int, event_id: int) -> Lead:
    """The lead, if this rejection is still its latest and the lead met every criterion."""
    lead = await session.get(Lead, lead_id)
    latest = await latest_rejection(session, lead_id)
    if lead is None or lead.state != LeadState.REJECTED or latest is None or latest.id != event_id:
        raise DefinitionRefused(DefinitionRefused.NO_LONGER_REJECTED)
    if lead.fit_version is None or lead.fit_missed:
        raise DefinitionRefused(DefinitionRefused.NOT_DISPUTABLE)
    existing = await session.exec(
        select(DefinitionDispute.id).where(DefinitionDispute.rejection_event_id == event_id)
    )
    if existing.first() is not None:
        raise DefinitionRefused(DefinitionRefused.ALREADY_DISPUTED)
    return lead


async def open_dispute(
    session: AsyncSession,
    *,
    lead_id: int,
    event_id: int,
    user_id: str,
    explanation: str,
    notice: tuple[str | None, str | None],
    managers: list[str],
    now: datetime,
) -> DefinitionDispute:
    """Store the dispute (once per rejection), its event, and the managers' requests."""
    lead = await check_disputable(session, lead_id=lead_id, event_id=event_id)
    insert = await insert_for(session)
    result = await session.exec(
        insert(DefinitionDispute)
        .values(
            lead_id=lead_id,
            rejection_event_id=event_id,
            lead_created_at=lead.created_at,
            opened_by=user_id,
            explanation=explanation,
            opened_at=now,
            notice_channel=notice[0],
            notice_ts=notice[1],
        )
        .on_conflict_do_nothing(index_elements=["rejection_event_id"])
    )
    if result.rowcount != 1:
        raise DefinitionRefused(DefinitionRefused.ALREADY_DISPUTED)
    dispute = (
        await session.exec(
            select(DefinitionDispute).where(DefinitionDispute.rejection_event_id == event_id)
        )
    ).one()
    event = await record_event(
        session,
        lead_id=lead_id,
        kind=EventKind.DISPUTE_OPENED,
        at=now,
        actor_id=user_id,
        detail={"dispute_id": dispute.id, "explanation": explanation},
    )
    work = [
        Work(
            OutboxKind.DISPUTE_REQUEST,
            lead_id=lead_id,
            payload=DisputeManagerRef(dispute_id=dispute.id or 0, user_id=manager),
            dedup_key=dispute_request_key(dispute.id or 0, manager),
        )
        for manager in sorted(set(managers))
    ]
    work.append(_thread_work(lead_id, event.id or 0))
    await enqueue_many(session, work, now=now)
    return dispute


def _thread_work(lead_id: int, event_id: int) -> Work:
    return Work(
        OutboxKind.DISPUTE_THREAD,
        lead_id=lead_id,
        payload=EventRef(event_id=event_id),
        dedup_key=dispute_thread_key(event_id),
    )


# What an overturn undoes: the rejection. The lead is open for anyone to claim again,
# or, when routing had assigned it (routing.mode assign), back with its assignee (who
# rejected it, so still its owner), in the same one statement. It is work handed back,
# so its SLA clock starts again (the rejection stopped it): a fresh window from now.
_ASSIGNED = Lead.routing == "assigned"


def reopened_values(now: datetime, clock: ClockRestart) -> dict[str, Any]:
    return {
        "state": case((_ASSIGNED, LeadState.CLAIMED), else_=LeadState.OPEN),
        "owner_id": case((_ASSIGNED, Lead.owner_id), else_=None),
        "claimed_at": case((_ASSIGNED, literal(now, UTCDateTime())), else_=None),
        "closed_at": None,
        "rejection_reason": None,
        "rejection_comment": None,
        **restarted_values(clock),
    }


async def decide_dispute(
    session: AsyncSession,
    *,
    dispute_id: int,
    user_id: str,
    now: datetime,
    overturn: ClockRestart | None,
) -> LeadEvent:
    """Uphold (`overturn` None) or overturn, once; an overturn reopens the lead in the same
    transaction with the SLA clock the caller worked out for it (bot/sla/policy.py)."""
    decision = DisputeDecision.UPHOLD if overturn is None else DisputeDecision.OVERTURN
    won = await session.exec(
        update(DefinitionDispute)
        .where(col(DefinitionDispute.id) == dispute_id, col(DefinitionDispute.decision).is_(None))
        .values(decision=decision, decided_by=user_id, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    dispute = await session.get(DefinitionDispute, dispute_id)
    if dispute is None:
        raise DefinitionRefused(DefinitionRefused.NO_LONGER_REJECTED)
    if won.rowcount != 1:
        await session.refresh(dispute)
        raise DefinitionRefused(DefinitionRefused.ALREADY_DECIDED, by=dispute.decided_by)
    lead_id = dispute.lead_id
    if overturn is not None:
        reopened = await session.exec(
            update(Lead)
            .where(col(Lead.id) == lead_id, col(Lead.state) == LeadState.REJECTED)
            .values(**reopened_values(now, overturn))
            .execution_options(synchronize_session=False)
        )
        if reopened.rowcount != 1:
            # The caller's unit of work rolls the decision back with this refusal.
            raise DefinitionRefused(DefinitionRefused.NO_LONGER_REJECTED)
    to_state = LeadState.REJECTED
    detail: dict[str, Any] = {"dispute_id": dispute_id}
    if overturn is not None:
        lead = await session.get(Lead, lead_id)
        if lead is not None:
            await session.refresh(lead)
            to_state = LeadState(lead.state)
        detail["due_at"] = overturn.due_at.astimezone(UTC).isoformat()
    event = await record_event(
        session,
        lead_id=lead_id,
        kind=EventKind.DISPUTE_UPHELD if overturn is None else EventKind.DISPUTE_OVERTURNED,
        at=now,
        actor_id=user_id,
        from_state=LeadState.REJECTED,
        to_state=to_state,
        detail=detail,
    )
    work = [_thread_work(lead_id, event.id or 0), *await _redraws(session, dispute)]
    if overturn is not None:
        # The card shows Claim and Reject again, and its thread says why.
        await enqueue(session, kind=OutboxKind.UPDATE_CARD, lead_id=lead_id, now=now)
        work.append(
            Work(
                OutboxKind.THREAD_REPLY,
                lead_id=lead_id,
                payload=EventRef(event_id=event.id or 0),
                dedup_key=reply_key(event.id or 0),
            )
        )
    await enqueue_many(session, work, now=now)
    return event


# --- the messages with a dispute's buttons --------------------------------------------------
#
# Once a dispute is decided, every manager's request and the marketing notice are
# redrawn to say who decided what and when, without buttons. A request posted while
# the decision was being made is caught by whichever of the two transactions commits
# second: the decision reads the requests recorded by then, and the recording of a
# request locks the dispute's row first, so it waits for a decision in flight and sees it.


def _redraw(dispute: DefinitionDispute, channel: str, ts: str, *, notice: bool = False) -> Work:
    return Work(
        OutboxKind.DISPUTE_DECIDED,
        lead_id=dispute.lead_id,
        payload=DisputeMessageRef(
            dispute_id=dispute.id or 0, channel=channel, ts=ts, notice=notice
        ),
        dedup_key=dispute_decided_key(dispute.id or 0, channel, ts),
    )


async def _redraws(session: AsyncSession, dispute: DefinitionDispute) -> list[Work]:
    """A just-decided dispute's requests as recorded so far, and its notice if known."""
    posts = await session.exec(
        select(DisputeRequestPost).where(DisputeRequestPost.dispute_id == dispute.id)
    )
    work = [_redraw(dispute, post.channel, post.ts) for post in posts.all()]
    if dispute.notice_channel and dispute.notice_ts:
        work.append(_redraw(dispute, dispute.notice_channel, dispute.notice_ts, notice=True))
    return work


async def record_request(
    session: AsyncSession, *, dispute_id: int, user_id: str, channel: str, ts: str, now: datetime
) -> None:
    """Remember where a manager's request was posted; redraw it at once if the dispute was
    decided while it was on its way."""
    dispute = (
        await session.exec(
            select(DefinitionDispute)
            .where(DefinitionDispute.id == dispute_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if dispute is None:
        return
    insert = await insert_for(session)
    await session.exec(
        insert(DisputeRequestPost)
        .values(dispute_id=dispute_id, user_id=user_id, channel=channel, ts=ts, posted_at=now)
        # Recorded again when the store failed after the first recording: the same post.
        .on_conflict_do_nothing(index_elements=["dispute_id", "user_id"])
    )
    if dispute.decision is not None:
        await enqueue_many(session, [_redraw(dispute, channel, ts)], now=now)
