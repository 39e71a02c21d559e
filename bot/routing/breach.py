"""A breached assigned lead moves on: to the next available member who has not had it, never
back to the same rep; after `routing.max_reassignments` to the pool's fallback, else to Claim.

The SLA sweep queues one ROUTING_REASSIGN per breach (keyed by the lead's count of
earlier reassignments); this runs it. The write is storage/routing.py's `move_lead`,
whose conditional UPDATE requires the owner and count the decision was made from.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.routing.assign import MAX_TRIES, Roster, decide, roster
from bot.routing.rules import match_rule
from bot.sla.policy import restart_clock
from storage.kinds import BreachNoticeRef, OutboxKind, routing_breach_notice_key
from storage.models import Lead, LeadState
from storage.outbox import enqueue
from storage.routing import (
    AssignmentKind,
    Decision,
    LeadMoved,
    RotationMoved,
    lead_assignments,
    move_lead,
)
from storage.routing_models import Assignment
from storage.sla import restarted_values

if TYPE_CHECKING:
    from bot.runtime.services import Services


async def reassign_after_breach(services: Services, lead_id: int) -> Assignment | None:
    """Move a breached lead on; None when it was decided or moved meanwhile."""
    team = services.settings.team
    now = services.clock.now()
    for _ in range(MAX_TRIES):
        async with services.db.session() as session:
            lead = await session.get(Lead, lead_id)
            history = await lead_assignments(session, lead_id)
        if lead is None or lead.state != LeadState.CLAIMED or lead.routing != "assigned":
            return None
        if lead.due_at is None or lead.due_at > now:
            return None  # handed over with time left, or already moved on
        plan = await _plan(services, lead, history)
        try:
            async with services.db.session() as session:
                decision = await _decision(session, services, lead, plan, now)
                record, _ = await move_lead(
                    session,
                    lead=lead,
                    decision=decision,
                    now=now,
                    values=_values(lead, decision, now, team),
                )
                await _tell(session, services, record, now)
            services.outbox.wake()
            return record
        except RotationMoved:
            continue
        except LeadMoved:
            return None
    raise RuntimeError(f"lead {lead_id}: the pool kept moving; the breach retries")


@dataclass(frozen=True)
class Plan:
    """Where a breached lead may go, read before the transaction (Slack's facts included)."""

    pool_id: str | None
    rule_index: int | None
    had: frozenset[str]
    roster: Roster | None


async def _plan(services: Services, lead: Lead, history: list[Assignment]) -> Plan:
    routing = services.settings.team.routing
    origin = next((a for a in reversed(history) if a.pool_id), None)
    match = match_rule(lead, routing)
    pool_id = origin.pool_id if origin else (match.rule.pool if match else None)
    pool = routing.pool(pool_id) if pool_id else None
    had = frozenset({a.assignee_id for a in history if a.assignee_id} | {lead.owner_id or ""})
    rule_index = origin.rule_index if origin else (match.index if match else None)
    moving_on = pool is not None and lead.reassignments < routing.max_reassignments
    members = await roster(services, pool, had) if pool is not None and moving_on else None
    return Plan(pool_id, rule_index, had, members)


async def _decision(
    session: AsyncSession, services: Services, lead: Lead, plan: Plan, now: datetime
) -> Decision:
    routing = services.settings.team.routing
    pool = routing.pool(plan.pool_id) if plan.pool_id else None
    pool_id, rule_index, had, tier = plan.pool_id, plan.rule_index, plan.had, lead.routing_tier
    if plan.roster is None:
        fallback = pool.fallback if pool and pool.fallback not in had else None
        decision = Decision(
            kind=AssignmentKind.FALLBACK if fallback else AssignmentKind.UNROUTED,
            assignee_id=fallback,
            pool_id=pool_id,
            rule_index=rule_index,
            tier=tier,
            note=f"missed {lead.reassignments + 1} deadlines; routing.max_reassignments "
            f"is {routing.max_reassignments}",
        )
    else:
        decision = await decide(
            session,
            services,
            plan.roster,
            now=now,
            rule_index=rule_index,
            tier=tier,
            exclude=had,
            kind=AssignmentKind.REASSIGNED,
        )
    return dataclasses.replace(decision, previous_id=lead.owner_id)


def _values(lead: Lead, decision: Decision, now: datetime, team: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"reassignments": lead.reassignments + 1}
    if decision.assignee_id is not None:
        # The new assignee gets the tier's whole window from now, on a clock of its own:
        # a new round, so its nudges and breach are not the first assignee's (which the
        # once-only keys would otherwise swallow: the nudge recorded, no DM sent).
        values.update(restarted_values(restart_clock(now, team, lead.routing_tier)))
    return values


async def _tell(session: Any, services: Services, record: Assignment, now: datetime) -> None:
    """The rep it left, and (when it leaves the rotation) the escalation contact: once each."""
    recipients = [record.previous_id] if record.previous_id else []
    escalate_to = services.settings.team.sla.escalate_to
    if record.kind != AssignmentKind.REASSIGNED and escalate_to:
        recipients.append(escalate_to)
    for to in dict.fromkeys(recipients):
        await enqueue(
            session,
            kind=OutboxKind.ROUTING_BREACH_NOTICE,
            lead_id=record.lead_id,
            payload=BreachNoticeRef(assignment_id=record.id or 0, to=to),
            dedup_key=routing_breach_notice_key(record.id or 0, to),
            now=now,
        )
