"""`on_miss: review`: a marketer sends a lead below the definition on to sales, or returns it.

Each decision is one conditional UPDATE on the lead's review_state, so two
marketers clicking at once (or a double click) decide once; the loser is told.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.crm import insert_for
from storage.definition_models import DefinitionReviewPost
from storage.events import record_event
from storage.kinds import (
    EventKind,
    EventRef,
    OutboxKind,
    ReviewMonthRef,
    card_key,
    definition_monthly_key,
    definition_review_update_key,
)
from storage.models import Lead, LeadEvent, LeadState
from storage.outbox import Work, enqueue, enqueue_many
from storage.refusals import Refusal


class ReviewState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    RETURNED = "returned"


class DefinitionRefused(Refusal):
    """A definition button or form that cannot do what was asked; `why` says which case."""

    ALREADY_REVIEWED = "already_reviewed"
    NOT_A_MANAGER = "not_a_manager"
    NOT_A_MARKETER = "not_a_marketer"
    NOT_DISPUTABLE = "not_disputable"
    ALREADY_DISPUTED = "already_disputed"
    ALREADY_DECIDED = "already_decided"
    NO_LONGER_REJECTED = "no_longer_rejected"

    def __init__(self, why: str, *, by: str | None = None) -> None:
        super().__init__(f"definition: {why}")
        self.why = why
        self.by = by  # who decided first, when that is the reason


async def _reviewed_by(session: AsyncSession, lead_id: int) -> str | None:
    lead = await session.get(Lead, lead_id)
    return lead.owner_id if lead else None


async def decide_review(
    session: AsyncSession,
    *,
    lead_id: int,
    user_id: str,
    send_on: bool,
    now: datetime,
    where: dict[str, str],
) -> LeadEvent:
    """Send on (the card is queued) or Return (below the definition, no card)."""
    values: dict[str, object] = {
        "review_state": ReviewState.SENT if send_on else ReviewState.RETURNED
    }
    if not send_on:
        values["state"] = LeadState.RETURNED
    result = await session.exec(
        update(Lead)
        .where(
            col(Lead.id) == lead_id,
            col(Lead.review_state) == ReviewState.PENDING,
            col(Lead.state) == LeadState.OPEN,
            col(Lead.message_ts).is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DefinitionRefused(DefinitionRefused.ALREADY_REVIEWED)
    event = await record_event(
        session,
        lead_id=lead_id,
        kind=EventKind.SENT_ON if send_on else EventKind.RETURNED,
        at=now,
        actor_id=user_id,
        from_state=LeadState.OPEN,
        to_state=LeadState.OPEN if send_on else LeadState.RETURNED,
        detail={"why": "below the definition", "by": "review", **where},
    )
    if send_on:
        await enqueue(
            session,
            kind=OutboxKind.POST_CARD,
            lead_id=lead_id,
            dedup_key=card_key(lead_id),
            now=now,
        )
    await enqueue(
        session,
        kind=OutboxKind.DEFINITION_REVIEW_UPDATE,
        lead_id=lead_id,
        payload=EventRef(event_id=event.id or 0),
        dedup_key=definition_review_update_key(event.id or 0),
        now=now,
    )
    return event


async def claim_monthly_review(
    session: AsyncSession, month: str, *, targets: list[str], now: datetime
) -> bool:
    """Record the month's review (its unique key) and queue one post per target, once."""
    insert = await insert_for(session)
    result = await session.exec(
        insert(DefinitionReviewPost)
        .values(month=month, created_at=now)
        .on_conflict_do_nothing(index_elements=["month"])
    )
    if result.rowcount != 1:
        return False
    review = (
        await session.exec(select(DefinitionReviewPost).where(DefinitionReviewPost.month == month))
    ).one()
    work = [
        Work(
            OutboxKind.DEFINITION_MONTHLY,
            payload=ReviewMonthRef(review_id=review.id or 0, month=month, to=target),
            dedup_key=definition_monthly_key(month, target),
        )
        for target in dict.fromkeys(targets)
    ]
    await enqueue_many(session, work, now=now)
    return True
