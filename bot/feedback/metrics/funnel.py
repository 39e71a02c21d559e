"""The funnel of a period: MQLs, claimed, accepted, rejected, open, timings, SLA, outcomes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.feedback.metrics.definitions import (
    IS_ACCEPTED,
    IS_OPPORTUNITY,
    IS_REJECTED,
    IS_WON,
    MEDIAN,
    P90,
    SLA_MET,
    TO_CUSTOMER_SECONDS,
    by_currency,
    count_if,
    duration_percentiles,
    in_cohort,
    outcomes_in,
    ratio,
    sla_breached,
)
from storage.aggregates import percentiles
from storage.feedback_models import (
    CLAIM_SECONDS,
    DECISION_SECONDS,
    HAS_CLAIM_TIME,
    HAS_DECISION_TIME,
    LeadOutcome,
    OutcomeKind,
)
from storage.models import Lead


@dataclass(frozen=True)
class Funnel:
    mqls: int = 0
    claimed: int = 0
    accepted: int = 0
    rejected: int = 0
    sla_met: int = 0
    sla_breached: int = 0
    claim_median: float | None = None  # seconds
    claim_p90: float | None = None
    disposition_median: float | None = None
    disposition_p90: float | None = None
    opportunities: int = 0
    wins: int = 0
    wins_accepted: int = 0  # wins among the accepted leads (the win rate's numerator)
    lost: int = 0
    pipeline: dict[str, int] = field(default_factory=dict)  # currency -> cents
    won: dict[str, int] = field(default_factory=dict)  # currency -> cents
    to_customer_median: float | None = None  # seconds

    @property
    def empty(self) -> bool:
        return self.mqls == 0

    @property
    def open(self) -> int:
        return self.mqls - self.accepted - self.rejected

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected

    @property
    def acceptance_rate(self) -> float | None:
        return ratio(self.accepted, self.decided)

    @property
    def sla_attainment(self) -> float | None:
        return ratio(self.sla_met, self.sla_met + self.sla_breached)

    @property
    def win_rate(self) -> float | None:
        return ratio(self.wins_accepted, self.accepted)

    @property
    def has_outcomes(self) -> bool:
        return bool(self.opportunities or self.wins or self.lost)


async def funnel(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    source: str | None = None,
    detail: bool = True,
) -> Funnel:
    """The period's funnel; `detail=False` gives only the counts (for a comparison period)."""
    counts = (
        await session.exec(
            select(
                func.count(),
                func.count(Lead.claimed_at),
                count_if(IS_ACCEPTED),
                count_if(IS_REJECTED),
                count_if(SLA_MET),
                count_if(sla_breached(now)),
                count_if(HAS_CLAIM_TIME),
                count_if(HAS_DECISION_TIME),
            ).where(*in_cohort(start, end, source))
        )
    ).one()
    mqls, claimed, accepted, rejected, met, breached, claim_n, decision_n = map(int, counts)
    if mqls == 0:
        return Funnel()
    figures: dict[str, Any] = {}
    if detail:
        claim = await duration_percentiles(
            session, CLAIM_SECONDS, HAS_CLAIM_TIME, start, end, source, claim_n
        )
        decision = await duration_percentiles(
            session, DECISION_SECONDS, HAS_DECISION_TIME, start, end, source, decision_n
        )
        figures = {
            "claim_median": claim[MEDIAN],
            "claim_p90": claim[P90],
            "disposition_median": decision[MEDIAN],
            "disposition_p90": decision[P90],
        }
    return Funnel(
        mqls,
        claimed,
        accepted,
        rejected,
        met,
        breached,
        **figures,
        **(await _outcomes(session, start, end, source) if detail else {}),
    )


async def _outcomes(
    session: AsyncSession, start: datetime, end: datetime, source: str | None
) -> dict[str, Any]:
    where = outcomes_in(start, end, source)
    rows = (
        await session.exec(
            select(
                LeadOutcome.kind,
                LeadOutcome.currency,
                func.count(),
                func.sum(LeadOutcome.amount_cents),
            )
            .where(*where)
            .group_by(LeadOutcome.kind, LeadOutcome.currency)
        )
    ).all()
    if not rows:
        return {}
    count = defaultdict(int)
    for kind, _, n, _ in rows:
        count[kind] += int(n)
    opportunities = (
        await session.exec(
            select(func.count(func.distinct(LeadOutcome.lead_id))).where(*where, IS_OPPORTUNITY)
        )
    ).one()
    # Only the wins need the lead itself: whether it is (still) accepted.
    wins_accepted = (
        await session.exec(
            select(func.count())
            .select_from(LeadOutcome.__table__.join(Lead, Lead.id == LeadOutcome.lead_id))  # type: ignore[attr-defined]
            .where(*where, IS_WON, IS_ACCEPTED)
        )
    ).one()
    to_customer = await percentiles(
        session, TO_CUSTOMER_SECONDS, [*where, IS_WON], (MEDIAN,), count=count[OutcomeKind.WON]
    )
    return {
        "opportunities": int(opportunities),
        "wins": count[OutcomeKind.WON],
        "wins_accepted": int(wins_accepted),
        "lost": count[OutcomeKind.LOST],
        "pipeline": by_currency(r for r in rows if r[0] == OutcomeKind.OPPORTUNITY),
        "won": by_currency(r for r in rows if r[0] == OutcomeKind.WON),
        "to_customer_median": to_customer[MEDIAN],
    }
