"""Why sales rejected leads: reasons ranked, with the latest comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.feedback.metrics.definitions import (
    COMMENTS_PER_REASON,
    IS_REJECTED,
    in_cohort,
)
from storage.aggregates import unindexed
from storage.models import Lead


@dataclass(frozen=True)
class Comment:
    lead_id: int
    text: str
    owner_id: str | None
    at: datetime | None


@dataclass(frozen=True)
class ReasonRow:
    reason: str | None  # a rejection_reasons id from app.yaml (None: none recorded)
    count: int
    share: float  # of the period's rejected leads
    comments: list[Comment]  # the most recent first


async def rejection_reasons(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    source: str | None = None,
    comments: int = COMMENTS_PER_REASON,
) -> list[ReasonRow]:
    """Rejection reasons ranked by count (ties by id), each with its latest comments."""
    cohort = [*in_cohort(start, end, source), IS_REJECTED]
    # Grouped after the created_at range is read: SQLite would otherwise walk every
    # rejected lead ever in reason order (ix_leads_reason_closed) to skip a sort.
    reason = unindexed(Lead.rejection_reason)
    counts = (
        await session.exec(
            select(reason, func.count())
            .where(*cohort)
            .group_by(reason)
            .order_by(func.count().desc(), reason)
        )
    ).all()
    total = sum(count for _, count in counts)
    # The comment walks use ix_leads_reason_closed; created_at only filters.
    walk = [*in_cohort(start, end, source, walking=True), IS_REJECTED]
    rows = []
    for reason_id, count in counts:
        latest = await _latest_comments(session, walk, reason_id, comments) if comments else []
        rows.append(ReasonRow(reason_id, int(count), count / total, latest))
    return rows


async def _latest_comments(
    session: AsyncSession, cohort: list[Any], reason: str | None, limit: int
) -> list[Comment]:
    """A reason's latest comments: a walk of ix_leads_reason_closed from the newest decision."""
    same_reason = (
        Lead.rejection_reason.is_(None) if reason is None else Lead.rejection_reason == reason
    )
    rows = (
        await session.exec(
            select(Lead.id, Lead.rejection_comment, Lead.owner_id, Lead.closed_at)
            .where(
                *cohort,
                same_reason,
                Lead.rejection_comment.is_not(None),
                Lead.rejection_comment != "",
            )
            .order_by(Lead.closed_at.desc(), Lead.id.desc())
            .limit(limit)
        )
    ).all()
    return [Comment(int(lead_id), text, owner, at) for lead_id, text, owner, at in rows]
