"""Per-rep routing figures (`/leadfeedback reps`, the digest's fairness line).

Definitions (the README's table is written from these):

- Unlike the cohort figures, per-rep figures count what happened *in* the period
  [start, end): they judge people's work in that time, not the leads that arrived.
- Assigned: leads given to the rep by routing in the period (by the rules, as a
  sticky account, as a pool's fallback, or after another rep's breach); hand-overs
  to the rep are not counted here.
- Accepted / rejected: leads the rep decided in the period (`closed_at` in it),
  whether routed or claimed.
- Handed over: leads the rep (or a manager for them) handed to a colleague in the period.
- Breached: assigned leads that reached their deadline with the rep undecided, in the
  period (each such breach moves the lead on, and is recorded with the rep as the
  previous assignee).
- Time to decision = closed_at - the moment the lead became the rep's (assigned_at
  for routed leads, claimed_at for claimed ones); the median is the middle value
  (the mean of the two middle ones for an even count). No decisions: a dash.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.aggregates import seconds_between
from storage.models import Lead, LeadState
from storage.routing import AssignmentKind
from storage.routing_models import Assignment

GIVEN = (
    AssignmentKind.ASSIGNED,
    AssignmentKind.STICKY,
    AssignmentKind.FALLBACK,
    AssignmentKind.REASSIGNED,
)
BREACH_MOVES = (AssignmentKind.REASSIGNED, AssignmentKind.FALLBACK, AssignmentKind.UNROUTED)


@dataclass
class RepRow:
    user_id: str
    assigned: int = 0
    accepted: int = 0
    rejected: int = 0
    handed_over: int = 0
    breached: int = 0
    median_decision_seconds: float | None = None


async def _counted(session: AsyncSession, who: object, *where: object) -> dict[str, int]:
    rows = await session.exec(
        select(who, func.count()).where(*where).group_by(who)  # type: ignore[call-overload]
    )
    return {str(user): int(n) for user, n in rows.all() if user}


async def rep_figures(session: AsyncSession, start: datetime, end: datetime) -> list[RepRow]:
    """Every rep with something to count in [start, end), most assigned first."""
    at = (col(Assignment.at) >= start, col(Assignment.at) < end)
    assigned = await _counted(session, Assignment.assignee_id, *at, col(Assignment.kind).in_(GIVEN))
    handed = await _counted(
        session, Assignment.previous_id, *at, Assignment.kind == AssignmentKind.HANDED_OVER
    )
    breached = await _counted(
        session,
        Assignment.previous_id,
        *at,
        col(Assignment.kind).in_(BREACH_MOVES),
        col(Assignment.previous_id).is_not(None),
    )
    since = func.coalesce(Lead.assigned_at, Lead.claimed_at)
    decided = await session.exec(
        select(Lead.owner_id, Lead.state, seconds_between(since, Lead.closed_at)).where(
            col(Lead.closed_at) >= start,
            col(Lead.closed_at) < end,
            col(Lead.state).in_((LeadState.ACCEPTED, LeadState.REJECTED)),
            col(Lead.owner_id).is_not(None),
        )
    )
    rows: dict[str, RepRow] = defaultdict(lambda: RepRow(""))
    durations: dict[str, list[float]] = defaultdict(list)
    for owner, state, seconds in decided.all():
        row = rows[owner]
        if state == LeadState.ACCEPTED:
            row.accepted += 1
        else:
            row.rejected += 1
        if seconds is not None:
            durations[owner].append(float(seconds))
    for figures, name in ((assigned, "assigned"), (handed, "handed_over"), (breached, "breached")):
        for user, n in figures.items():
            setattr(rows[user], name, n)
    for user, row in rows.items():
        row.user_id = user
        row.median_decision_seconds = (
            statistics.median(durations[user]) if durations[user] else None
        )
    return sorted(rows.values(), key=lambda r: (-r.assigned, -r.accepted, r.user_id))
