"""Every figure Handoff reports, defined once: the definitions, as SQL expressions.

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
  not MQLs: no period counts them, nor their outcomes. Nor are leads returned below
  the MQL definition without a card (`mql_definition.on_miss: return`, or Return in
  review), though the CRM keeps following them and one may still buy; the
  definition's figures count them (quality.py).
- Time to first touch = first_touch_at - posted_at, where first_touch_at is the
  first sales activity the CRM recorded after the card was posted (a call, meeting
  or email logged; a claim is not a contact). Median and p90 like the others, over
  the leads that have one (first_touch.py; bot/crm/ stores it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, null, or_
from sqlalchemy.sql import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.aggregates import (
    percentiles,
    seconds_between,
    stored_leads,
    unindexed,
    walks,
)
from storage.feedback_models import (
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
NOT_MQL_STATES = (LeadState.WITHDRAWN, LeadState.RETURNED)
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
    # Withdrawn leads, and leads returned below the MQL definition without a card, never
    # reached sales (ix_leads_metrics holds state, so this is free).
    return [*arrived(start, end, source, walking=walking), Lead.state.not_in(NOT_MQL_STATES)]


def arrived(
    start: datetime, end: datetime, source: str | None = None, *, walking: bool = False
) -> list[Any]:
    """The leads that arrived in [start, end), withdrawn ones included."""
    created = unindexed(Lead.created_at) if walking else Lead.created_at
    where: list[Any] = [created >= start, created < end]
    if source is not None:
        where.append(func.lower(Lead.source) == source.lower())
    return where


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide (shown as a dash, never 0%)."""
    return part / whole if whole else None


async def duration_percentiles(
    session: AsyncSession,
    value: ColumnElement[Any],
    has_value: ColumnElement[bool],
    start: datetime,
    end: datetime,
    source: str | None,
    count: int,
) -> dict[float, float | None]:
    """Median and p90 of a lead duration, walking its partial index for large periods."""
    stored = await stored_leads(session)
    where = duration_cohort(has_value, start, end, source, count=count, stored=stored)
    return await percentiles(session, value, where, FRACTIONS, count=count)


def duration_cohort(
    has_value: ColumnElement[bool],
    start: datetime,
    end: datetime,
    source: str | None = None,
    *,
    count: int,
    stored: int = 0,
) -> list[Any]:
    """The cohort's leads that have a duration, phrased so its partial index is usable
    when the percentiles walk it (storage/aggregates.py `walks`).

    Every duration starts at posted_at, which a withdrawn lead never has, so the
    state need not be read (the duration indexes do not hold it).
    """
    return [has_value, *arrived(start, end, source, walking=walks(count, stored))]


# The outcome's own lead, under a name of its own so that a query that joins the
# leads already does not correlate this look-up with its join.
_OUTCOME_LEAD = Lead.__table__.alias("outcome_lead")  # type: ignore[attr-defined]
OF_A_NON_MQL = exists().where(
    _OUTCOME_LEAD.c.id == LeadOutcome.lead_id, _OUTCOME_LEAD.c.state.in_(NOT_MQL_STATES)
)


def outcomes_in(start: datetime, end: datetime, source: str | None = None) -> list[Any]:
    """The outcomes of the MQLs that arrived in [start, end) (from ix_lead_outcomes_cohort).

    The outcome table does not hold its lead's state, which can change after the
    outcome is stored; one primary-key look-up per outcome of the period leaves out
    those of withdrawn and returned leads.
    """
    where: list[Any] = [
        LeadOutcome.lead_created_at >= start,
        LeadOutcome.lead_created_at < end,
        ~OF_A_NON_MQL,
    ]
    if source is not None:
        where.append(func.lower(LeadOutcome.lead_source) == source.lower())
    return where


def by_currency(rows: Any) -> dict[str, int]:
    return {currency: int(total or 0) for _, currency, _, total in rows if currency is not None}
