"""One row per source: volume, acceptance, top reason, response time, outcomes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.feedback.metrics.definitions import (
    IS_ACCEPTED,
    IS_OPPORTUNITY,
    IS_REJECTED,
    IS_WON,
    MEDIAN,
    SOURCES_WITH_DETAIL,
    count_if,
    in_cohort,
    outcomes_in,
    ratio,
)
from storage.aggregates import percentiles, stored_leads, unindexed, walks
from storage.feedback_models import (
    HAS_RESPONSE_TIME,
    RESPONSE_SECONDS,
    LeadOutcome,
)
from storage.models import Lead


@dataclass(frozen=True)
class SourceRow:
    source: str | None  # None: leads that arrived without a source
    mqls: int
    accepted: int
    rejected: int
    top_reason: str | None = None
    top_reason_count: int = 0
    response_median: float | None = None  # seconds
    opportunities: int = 0
    wins: int = 0
    won: dict[str, int] = field(default_factory=dict)

    @property
    def open(self) -> int:
        return self.mqls - self.accepted - self.rejected

    @property
    def acceptance_rate(self) -> float | None:
        return ratio(self.accepted, self.accepted + self.rejected)


@dataclass(frozen=True)
class SourcesTable:
    rows: list[SourceRow]  # most MQLs first; the first `detailed` have every figure
    total: int  # how many sources the period has


async def sources(
    session: AsyncSession, start: datetime, end: datetime, *, detail: int = SOURCES_WITH_DETAIL
) -> SourcesTable:
    """One row per source, most MQLs first (ties by name).

    Counts, top reasons and outcomes come for every source; the median
    response time (one index walk each) for the `detail` largest, which is as
    many as a message shows.
    """
    cohort = in_cohort(start, end)
    counts = (
        await session.exec(
            select(
                Lead.source,
                func.count(),
                count_if(IS_ACCEPTED),
                count_if(IS_REJECTED),
                count_if(HAS_RESPONSE_TIME),
            )
            .where(*cohort)
            .group_by(Lead.source)
        )
    ).all()
    ordered = sorted(counts, key=lambda r: (-r[1], r[0] is None, r[0] or ""))
    top = await _top_reasons(session, cohort)
    outcomes = await _outcomes_by_source(session, start, end)
    rows = []
    for index, (source, mqls, accepted, rejected, responded) in enumerate(ordered):
        reason, reason_count = top.get(source, (None, 0))
        opportunities, wins, won = outcomes.get(source, (0, 0, {}))
        median = None
        if index < detail:
            median = await _source_median_response(session, source, start, end, int(responded))
        rows.append(
            SourceRow(
                source=source,
                mqls=int(mqls),
                accepted=int(accepted),
                rejected=int(rejected),
                top_reason=reason,
                top_reason_count=reason_count,
                response_median=median,
                opportunities=opportunities,
                wins=wins,
                won=won,
            )
        )
    return SourcesTable(rows, len(rows))


async def _source_median_response(
    session: AsyncSession, source: str | None, start: datetime, end: datetime, count: int
) -> float | None:
    # Exact source match (not the case-insensitive filter): the walk stays in
    # this source's part of ix_leads_source_response_time.
    stored = await stored_leads(session)
    created = unindexed(Lead.created_at) if walks(count, stored) else Lead.created_at
    where = [
        HAS_RESPONSE_TIME,
        Lead.source.is_(None) if source is None else Lead.source == source,
        created >= start,
        created < end,
    ]
    found = await percentiles(session, RESPONSE_SECONDS, where, (MEDIAN,), count=count)
    return found[MEDIAN]


async def _top_reasons(
    session: AsyncSession, cohort: list[Any]
) -> dict[str | None, tuple[str | None, int]]:
    """Each source's most frequent rejection reason (ties: the reason id first in order)."""
    grouped = (
        select(
            Lead.source.label("source"),
            Lead.rejection_reason.label("reason"),
            func.count().label("n"),
            func.row_number()
            .over(
                partition_by=Lead.source,
                order_by=(func.count().desc(), Lead.rejection_reason),
            )
            .label("rn"),
        )
        .where(*cohort, IS_REJECTED)
        .group_by(Lead.source, Lead.rejection_reason)
        .subquery()
    )
    rows = (
        await session.exec(
            select(grouped.c.source, grouped.c.reason, grouped.c.n).where(grouped.c.rn == 1)
        )
    ).all()
    return {source: (reason, int(n)) for source, reason, n in rows}


async def _outcomes_by_source(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[str | None, tuple[int, int, dict[str, int]]]:
    where = outcomes_in(start, end)
    source = LeadOutcome.lead_source
    rows = (
        await session.exec(
            select(
                source,
                func.count(func.distinct(case((IS_OPPORTUNITY, LeadOutcome.lead_id)))),
                count_if(IS_WON),
            )
            .where(*where)
            .group_by(source)
        )
    ).all()
    if not rows:
        return {}
    amounts = (
        await session.exec(
            select(source, LeadOutcome.currency, func.sum(LeadOutcome.amount_cents))
            .where(*where, IS_WON, LeadOutcome.currency.is_not(None))
            .group_by(source, LeadOutcome.currency)
        )
    ).all()
    won_by_source: dict[str | None, dict[str, int]] = defaultdict(dict)
    for name, currency, total in amounts:
        won_by_source[name][currency] = int(total or 0)
    return {
        name: (int(opportunities), int(wins), won_by_source.get(name, {}))
        for name, opportunities, wins in rows
    }


def main_currency(rows: Sequence[SourceRow]) -> str | None:
    """The currency most of the won amount is in (the one sources are ranked by)."""
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        for currency, cents in row.won.items():
            totals[currency] += cents
    return max(sorted(totals), key=lambda c: totals[c]) if totals else None


def ranked_by_acceptance(rows: Sequence[SourceRow]) -> list[SourceRow]:
    """Sources with decided leads, best acceptance rate first (ties: more MQLs first)."""
    decided = [r for r in rows if r.acceptance_rate is not None]
    return sorted(decided, key=lambda r: (-(r.acceptance_rate or 0), -r.mqls, r.source or ""))


def ranked_by_won(rows: Sequence[SourceRow], currency: str | None) -> list[SourceRow]:
    """Sources with wins in `currency`, largest won amount first."""
    if currency is None:
        return []
    won = [r for r in rows if r.won.get(currency)]
    return sorted(won, key=lambda r: (-r.won[currency], r.source or ""))
