"""Lists of leads (breached, open past deadline) and MQLs per day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.feedback.metrics.definitions import (
    IS_ACCEPTED,
    IS_OPEN,
    IS_REJECTED,
    in_cohort,
    sla_breached,
)
from storage.models import Lead


@dataclass(frozen=True)
class LeadList:
    total: int
    leads: list[Lead]  # the first few, by deadline


async def sla_breaches(
    session: AsyncSession, start: datetime, end: datetime, *, now: datetime, limit: int
) -> LeadList:
    """The cohort's leads that breached their SLA, earliest deadline first."""
    where = [*in_cohort(start, end), sla_breached(now)]
    return await _lead_list(session, where, limit)


async def open_past_deadline(session: AsyncSession, *, now: datetime, limit: int) -> LeadList:
    """Undecided leads whose deadline has passed, whenever they arrived (most overdue first)."""
    return await _lead_list(session, [IS_OPEN, Lead.due_at < now], limit)


async def _lead_list(session: AsyncSession, where: list[Any], limit: int) -> LeadList:
    total = (await session.exec(select(func.count()).select_from(Lead).where(*where))).one()
    # Rank the ids from the index first, then read only those few rows in full.
    ids = list(
        (
            await session.exec(
                select(Lead.id).where(*where).order_by(Lead.due_at, Lead.id).limit(limit)
            )
        ).all()
    )
    found = {
        lead.id: lead for lead in (await session.exec(select(Lead).where(Lead.id.in_(ids)))).all()
    }
    return LeadList(int(total), [found[lead_id] for lead_id in ids])


@dataclass(frozen=True)
class DayCounts:
    day: date
    accepted: int = 0
    rejected: int = 0
    open: int = 0

    @property
    def total(self) -> int:
        return self.accepted + self.rejected + self.open


async def per_day(
    session: AsyncSession, days: Sequence[tuple[date, datetime, datetime]]
) -> list[DayCounts]:
    """MQLs per local day by where they stand now: accepted, rejected or still open."""
    if not days:
        return []
    index = case(*((Lead.created_at < end, i) for i, (_, _, end) in enumerate(days)))
    bucket = case((IS_ACCEPTED, "accepted"), (IS_REJECTED, "rejected"), else_="open")
    inner = (
        select(index.label("day"), bucket.label("bucket"))
        .where(*in_cohort(days[0][1], days[-1][2]))
        .subquery()
    )
    rows = (
        await session.exec(
            select(inner.c.day, inner.c.bucket, func.count()).group_by(inner.c.day, inner.c.bucket)
        )
    ).all()
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for day_index, kind, count in rows:
        counts[int(day_index)][kind] = int(count)
    return [DayCounts(day, **counts.get(i, {})) for i, (day, _, _) in enumerate(days)]
