"""Every figure Handoff reports, defined once.

`/leadfeedback stats`, `reasons`, `sources`, the CSV export and the weekly
digest all read their numbers from the functions here, and each function is
one or a few SQL aggregates over indexed columns (`ix_leads_metrics` covers
the cohort counts, partial indexes on each duration serve the percentiles,
`ix_lead_outcomes_cohort` the CRM figures); nothing loops over leads in Python.

Definitions (the README's table is written from these):

- Cohort: a period's figures are about the MQLs that *arrived* in it, i.e.
  leads whose `created_at` (when intake stored them) falls in [start, end) in
  the team's time zone (see bot/timekeeping/periods.py). Later events (a claim next week,
  a win next quarter) count towards the period the lead arrived in, so a
  period's funnel fills in over time and a source is judged by its own leads.
- MQLs: the leads of the cohort (each card posted, or queued to be).
- Claimed: leads a rep took (`claimed_at` set; releasing a lead undoes it).
  A lead rejected straight from the card without a claim is not claimed.
- Accepted: leads sales accepted as SQL. Rejected: leads returned to
  marketing. Open: leads still waiting for a decision (open or claimed).
- Acceptance rate = accepted / (accepted + rejected): over decided leads only,
  so a recent period is not dragged down by leads nobody has looked at yet.
  No decided leads: no rate (a dash), never 0%.
- Time to claim = claimed_at - posted_at; time to disposition = closed_at -
  posted_at (accept or reject); response time = first of claim or
  disposition - posted_at (the sources table). Median and 90th percentile are
  continuous percentiles, interpolated as PostgreSQL's percentile_cont does,
  on both stores (storage/aggregates.py). No durations: a dash.
- SLA: a lead with a deadline (`due_at`) met it if it was decided at or before
  the deadline, breached it if it was decided later or is still undecided
  after the deadline, and is pending otherwise; a lead whose card is not
  posted has no deadline and does not count. Attainment = met / (met +
  breached); pending leads do not count yet. No met or breached: a dash.
- Outcomes (from the CRM): opportunities = leads with an `opportunity_created`
  or `won` outcome; wins = leads with a `won` outcome (of any state: a lead
  marketing nurtured after a rejection can still buy); lost = leads with a
  `lost` outcome. Win rate = accepted leads that were won / accepted leads.
  Won amount and pipeline (opportunity amounts) are summed per currency and
  never converted. Lead-to-customer time = won `at` - the lead's created_at.
- Open past deadline: undecided leads whose deadline has passed, whenever they
  arrived (the digest lists them because someone should act on them now).
- Withdrawn leads (the CRM took the record back before its card was posted) are
  not MQLs: no period counts them.
- Time to first touch = first_touch_at - posted_at, where first_touch_at is the
  first sales activity the CRM recorded after the card was posted (a call, meeting
  or email logged; a claim is not a contact). Median and p90 like the others, over
  the leads that have one (see first_touch below; bot/crm/ stores it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, null, or_
from sqlalchemy.sql import ColumnElement
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.aggregates import WALK_FROM, percentiles, seconds_between, unindexed
from storage.crm_models import FIRST_TOUCH_SECONDS, HAS_FIRST_TOUCH
from storage.feedback_models import (
    CLAIM_SECONDS,
    DECISION_SECONDS,
    HAS_CLAIM_TIME,
    HAS_DECISION_TIME,
    HAS_RESPONSE_TIME,
    RESPONSE_SECONDS,
    LeadOutcome,
    OutcomeKind,
)
from storage.models import OPEN_STATES, Lead, LeadState

MEDIAN, P90 = 0.5, 0.9
FRACTIONS = (MEDIAN, P90)
COMMENTS_PER_REASON = 3
SOURCES_WITH_DETAIL = 15  # the largest sources, which get a median response time too

# --- the definitions, as SQL expressions -------------------------------------------------
# CLAIM_SECONDS, DECISION_SECONDS (time to disposition) and RESPONSE_SECONDS are
# defined in storage/feedback_models.py next to the indexes built on them.

TO_CUSTOMER_SECONDS = seconds_between(LeadOutcome.lead_created_at, LeadOutcome.at)
IS_ACCEPTED = Lead.state == LeadState.ACCEPTED
IS_REJECTED = Lead.state == LeadState.REJECTED
IS_OPEN = Lead.state.in_(OPEN_STATES)
IS_OPPORTUNITY = LeadOutcome.kind.in_((OutcomeKind.OPPORTUNITY, OutcomeKind.WON))
IS_WON = LeadOutcome.kind == OutcomeKind.WON
IS_LOST = LeadOutcome.kind == OutcomeKind.LOST


class Sla:
    MET = "met"
    BREACHED = "breached"
    PENDING = "pending"


# Comparisons with a NULL deadline are NULL, so leads without one are neither.
SLA_MET = Lead.closed_at <= Lead.due_at


def sla_breached(now: datetime) -> ColumnElement[bool]:
    return or_(Lead.closed_at > Lead.due_at, and_(Lead.closed_at.is_(None), Lead.due_at < now))


def sla_outcome(now: datetime) -> ColumnElement[str]:
    """met / breached / pending as defined above; NULL for a lead without a deadline."""
    return case(
        (Lead.due_at.is_(None), null()),
        (SLA_MET, Sla.MET),
        (sla_breached(now), Sla.BREACHED),
        else_=Sla.PENDING,
    )


def in_cohort(
    start: datetime, end: datetime, source: str | None = None, *, walking: bool = False
) -> list[Any]:
    """The leads that arrived in [start, end), optionally from one source (any letter case).

    `walking`: the query walks a duration index, so created_at must not steer
    SQLite's planner to the created_at index (see storage.aggregates.unindexed).
    """
    # Withdrawn leads never reached sales (ix_leads_metrics holds state, so this is free).
    return [*_arrived(start, end, source, walking=walking), Lead.state != LeadState.WITHDRAWN]


def _arrived(
    start: datetime, end: datetime, source: str | None = None, *, walking: bool = False
) -> list[Any]:
    created = unindexed(Lead.created_at) if walking else Lead.created_at
    where: list[Any] = [created >= start, created < end]
    if source is not None:
        where.append(func.lower(Lead.source) == source.lower())
    return where


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide (shown as a dash, never 0%)."""
    return part / whole if whole else None


async def _duration_percentiles(
    session: AsyncSession,
    value: ColumnElement[Any],
    has_value: ColumnElement[bool],
    start: datetime,
    end: datetime,
    source: str | None,
    count: int,
) -> dict[float, float | None]:
    """Median and p90 of a lead duration, walking its partial index for large periods."""
    where = duration_cohort(has_value, start, end, source, count=count)
    return await percentiles(session, value, where, FRACTIONS, count=count)


def duration_cohort(
    has_value: ColumnElement[bool],
    start: datetime,
    end: datetime,
    source: str | None = None,
    *,
    count: int,
) -> list[Any]:
    """The cohort's leads that have a duration, phrased so its partial index is usable.

    Every duration starts at posted_at, which a withdrawn lead never has, so the
    state need not be read (the duration indexes do not hold it).
    """
    return [has_value, *_arrived(start, end, source, walking=count >= WALK_FROM)]


# --- the figures -------------------------------------------------------------------------


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
                _count_if(IS_ACCEPTED),
                _count_if(IS_REJECTED),
                _count_if(SLA_MET),
                _count_if(sla_breached(now)),
                _count_if(HAS_CLAIM_TIME),
                _count_if(HAS_DECISION_TIME),
            ).where(*in_cohort(start, end, source))
        )
    ).one()
    mqls, claimed, accepted, rejected, met, breached, claim_n, decision_n = map(int, counts)
    if mqls == 0:
        return Funnel()
    figures: dict[str, Any] = {}
    if detail:
        claim = await _duration_percentiles(
            session, CLAIM_SECONDS, HAS_CLAIM_TIME, start, end, source, claim_n
        )
        decision = await _duration_percentiles(
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


def _outcomes_in(start: datetime, end: datetime, source: str | None = None) -> list[Any]:
    """The outcomes of the leads that arrived in [start, end) (from ix_lead_outcomes_cohort)."""
    where: list[Any] = [LeadOutcome.lead_created_at >= start, LeadOutcome.lead_created_at < end]
    if source is not None:
        where.append(func.lower(LeadOutcome.lead_source) == source.lower())
    return where


async def _outcomes(
    session: AsyncSession, start: datetime, end: datetime, source: str | None
) -> dict[str, Any]:
    where = _outcomes_in(start, end, source)
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
        "pipeline": _by_currency(r for r in rows if r[0] == OutcomeKind.OPPORTUNITY),
        "won": _by_currency(r for r in rows if r[0] == OutcomeKind.WON),
        "to_customer_median": to_customer[MEDIAN],
    }


def _by_currency(rows: Any) -> dict[str, int]:
    return {currency: int(total or 0) for _, currency, _, total in rows if currency is not None}


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
                _count_if(IS_ACCEPTED),
                _count_if(IS_REJECTED),
                _count_if(HAS_RESPONSE_TIME),
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
    created = unindexed(Lead.created_at) if count >= WALK_FROM else Lead.created_at
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
    where = _outcomes_in(start, end)
    source = LeadOutcome.lead_source
    rows = (
        await session.exec(
            select(
                source,
                func.count(func.distinct(case((IS_OPPORTUNITY, LeadOutcome.lead_id)))),
                _count_if(IS_WON),
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


# --- time to first touch (the CRM's first sales activity after the card) -------------------


@dataclass(frozen=True)
class FirstTouch:
    touched: int = 0  # leads of the period with a first touch
    median: float | None = None  # seconds
    p90: float | None = None


async def first_touch(
    session: AsyncSession, start: datetime, end: datetime, *, source: str | None = None
) -> FirstTouch:
    """Median and p90 of time to first touch over the period's touched leads."""
    count = (
        await session.exec(
            select(func.count())
            .select_from(Lead)
            .where(HAS_FIRST_TOUCH, *_arrived(start, end, source))
        )
    ).one()
    if not count:
        return FirstTouch()
    found = await _duration_percentiles(
        session, FIRST_TOUCH_SECONDS, HAS_FIRST_TOUCH, start, end, source, int(count)
    )
    return FirstTouch(int(count), found[MEDIAN], found[P90])


# --- the export ----------------------------------------------------------------------------


def export_query(start: datetime, end: datetime, *, now: datetime) -> tuple[list[str], Select[Any]]:
    """The CSV's headers and the one query behind them; timings use the definitions above."""
    per_lead = (
        select(
            LeadOutcome.lead_id.label("lead_id"),
            func.max(case((IS_OPPORTUNITY, LeadOutcome.at))).label("opportunity_at"),
            func.max(case((IS_WON, LeadOutcome.at))).label("won_at"),
            func.max(case((IS_WON, LeadOutcome.amount_cents))).label("won_cents"),
            func.max(case((IS_WON, LeadOutcome.currency))).label("won_currency"),
            func.max(case((IS_LOST, LeadOutcome.at))).label("lost_at"),
            func.max(case((IS_LOST, LeadOutcome.reason))).label("lost_reason"),
        )
        .where(*_outcomes_in(start, end))
        .group_by(LeadOutcome.lead_id)
        .subquery("outcome")
    )
    columns: list[tuple[str, Any]] = [
        ("id", Lead.id),
        ("external_id", Lead.external_id),
        ("email", Lead.email),
        ("first_name", Lead.first_name),
        ("last_name", Lead.last_name),
        ("company", Lead.company),
        ("source", Lead.source),
        ("state", Lead.state),
        ("owner", Lead.owner_id),
        ("created_at", Lead.created_at),
        ("posted_at", Lead.posted_at),
        ("claimed_at", Lead.claimed_at),
        ("closed_at", Lead.closed_at),
        ("due_at", Lead.due_at),
        ("sla", sla_outcome(now)),
        ("seconds_to_claim", CLAIM_SECONDS),
        ("seconds_to_disposition", DECISION_SECONDS),
        ("first_touch_at", Lead.first_touch_at),
        ("seconds_to_first_touch", FIRST_TOUCH_SECONDS),
        ("rejection_reason", Lead.rejection_reason),
        ("rejection_comment", Lead.rejection_comment),
        ("opportunity_at", per_lead.c.opportunity_at),
        ("won_at", per_lead.c.won_at),
        ("won_amount_cents", per_lead.c.won_cents),
        ("won_currency", per_lead.c.won_currency),
        ("lost_at", per_lead.c.lost_at),
        ("lost_reason", per_lead.c.lost_reason),
    ]
    statement = (
        select(*(expression for _, expression in columns))
        .select_from(
            Lead.__table__.outerjoin(per_lead, per_lead.c.lead_id == Lead.id)  # type: ignore[attr-defined]
        )
        .where(*in_cohort(start, end))
        .order_by(Lead.created_at, Lead.id)
    )
    return [header for header, _ in columns], statement


async def export_rows(
    session: AsyncSession, start: datetime, end: datetime, *, now: datetime
) -> AsyncIterator[Sequence[Any]]:
    """The header, then each lead of the period, streamed (a quarter can be large)."""
    headers, statement = export_query(start, end, now=now)
    yield headers
    connection = await session.connection()
    result = await connection.stream(statement)
    async for row in result:
        yield tuple(row)
