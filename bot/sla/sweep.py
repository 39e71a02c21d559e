"""The SLA sweep: one indexed query for what is due, then each lead's step once.

APScheduler only says "look now" (every `sla.sweep_every`, and at start-up,
which is the catch-up after downtime). For each lead whose `sla_next_at` has
come, the sweep works out from the lead's plan (bot/sla/policy.py) which steps fell
due since then and, in one transaction per lead:

1. moves `sla_next_at` from the value it read to the next step still ahead
   (NULL after the breach) with a conditional UPDATE; when the UPDATE matches
   nothing another replica already took these steps and this one stops;
2. records what it did as a LeadEvent and queues the Slack work in the outbox
   under a unique key per lead and step (`nudge:{lead}:{offset}`,
   `breach:{lead}`; a clock started again adds its round), so that no replay
   can queue it twice.

When several steps fell due together (the bot was down, or quiet hours held two
nudges for the same opening) only the most urgent one is acted on: past the
deadline just the breach; otherwise just the nudge with the least time left.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.sla.policy import SlaPolicy, SlaStatus, Step, StepKind, clock_start, sla_policy
from bot.timekeeping.durations import format_duration
from storage.events import record_event
from storage.kinds import (
    EventKind,
    EventRef,
    NudgeRef,
    OutboxKind,
    ThreadNoteRef,
    breach_key,
    nudge_key,
    routing_reassign_key,
    sla_card_key,
    sla_note_key,
)
from storage.models import OPEN_STATES, Lead, LeadState
from storage.outbox import enqueue
from storage.sla import due_leads, take_step
from storage.transitions import release_on_breach

if TYPE_CHECKING:
    from bot.runtime.services import Services
    from bot.settings import SlaConfig, TeamConfig

logger = logging.getLogger(__name__)

BATCH = 500


async def sla_sweep(services: Services) -> None:
    """Take every SLA step that is due now; safe to run late, twice, or on several replicas."""
    policy = sla_policy(services.settings.team)
    now = services.clock.now()
    taken = 0
    while True:
        async with services.db.session() as session:
            due = await due_leads(session, now=now, limit=BATCH)
        taken_now = 0
        for lead_id, expected in due:
            try:
                async with services.db.session() as session:
                    taken_now += await take_due_steps(
                        session,
                        lead_id=lead_id,
                        expected=expected,
                        now=now,
                        policy=policy,
                        sla=services.settings.team.sla,
                        team=services.settings.team,
                    )
            except Exception:
                # Rolled back, so the lead keeps its sla_next_at and the next sweep
                # retries it; one bad lead must not stop the clock for the others.
                logger.exception("SLA step of lead %s failed; retrying next sweep", lead_id)
        taken += taken_now
        # A full batch means there may be more: each lead taken has moved past `now`
        # (or another replica moved it), so the next query returns new ones.
        if len(due) < BATCH or taken_now == 0:
            break
    if taken:
        logger.info("SLA sweep took due steps for %d leads", taken)
        services.outbox.wake()


async def take_due_steps(
    session: AsyncSession,
    *,
    lead_id: int,
    expected: datetime,
    now: datetime,
    policy: SlaPolicy,
    sla: SlaConfig,
    team: TeamConfig | None = None,
) -> bool:
    """One lead's due steps, in the caller's transaction; False if there was nothing to take."""
    lead = await session.get(Lead, lead_id, populate_existing=True)
    if lead is None or lead.state not in OPEN_STATES or lead.sla_next_at != expected:
        return False
    if lead.routing_tier and team is not None:
        # An assigned lead's tier has its own window and nudges (routing, sla.tiers).
        policy = sla_policy(team, lead.routing_tier)
    started = clock_start(lead)
    if started is None or lead.due_at is None:
        return await take_step(session, lead_id=lead_id, expected=expected, next_at=None)
    # Steps before `expected` were taken by earlier sweeps.
    pending = [s for s in policy.steps(started, lead.due_at) if s.at >= expected]
    due = [s for s in pending if s.at <= now]
    ahead = [s for s in pending if s.at > now]
    if not await take_step(
        session, lead_id=lead_id, expected=expected, next_at=ahead[0].at if ahead else None
    ):
        return False
    # The UPDATE locked the row: read who is on the hook as it is now, not as it was.
    lead = await session.get(Lead, lead_id, populate_existing=True)
    assert lead is not None
    kinds = {s.kind for s in due}
    if StepKind.BREACH in kinds:
        await _breach(session, lead, now=now, sla=sla)
        return True
    nudges = [s for s in due if s.kind is StepKind.NUDGE]
    if nudges:
        await _nudge(session, lead, nudges[-1], skipped=nudges[:-1], now=now)
    if StepKind.DUE_SOON in kinds:
        await _refresh_card(session, lead, SlaStatus.DUE_SOON, now=now)
    return True


async def _nudge(
    session: AsyncSession, lead: Lead, step: Step, *, skipped: list[Step], now: datetime
) -> None:
    assert lead.id is not None and step.offset is not None
    seconds = int(step.offset.total_seconds())
    event = await record_event(
        session,
        lead_id=lead.id,
        kind=EventKind.NUDGED,
        at=now,
        detail={
            "offset": format_duration(step.offset),
            "offset_seconds": seconds,
            "owner_id": lead.owner_id,
            "skipped": [format_duration(s.offset) for s in skipped if s.offset],
        },
    )
    await enqueue(
        session,
        kind=OutboxKind.SLA_NUDGE,
        lead_id=lead.id,
        payload=NudgeRef(event_id=event.id or 0, offset_seconds=seconds),
        dedup_key=nudge_key(lead.id, seconds, lead.sla_round),
        now=now,
    )


async def _breach(session: AsyncSession, lead: Lead, *, now: datetime, sla: SlaConfig) -> None:
    assert lead.id is not None
    owner_id = lead.owner_id if lead.state == LeadState.CLAIMED else None
    # An assigned lead moves on to another rep instead (bot/routing/breach.py).
    routed = bool(owner_id) and lead.routing == "assigned"
    event = await record_event(
        session,
        lead_id=lead.id,
        kind=EventKind.BREACHED,
        at=now,
        detail={
            "due_at": lead.due_at.isoformat() if lead.due_at else None,
            "owner_id": owner_id,
            "released": bool(sla.reassign_on_breach and owner_id and not routed),
        },
    )
    await _refresh_card(session, lead, SlaStatus.OVERDUE, now=now)
    if routed:
        await enqueue(
            session,
            kind=OutboxKind.ROUTING_REASSIGN,
            lead_id=lead.id,
            payload=EventRef(event_id=event.id or 0),
            dedup_key=routing_reassign_key(lead.id, lead.reassignments),
            now=now,
        )
    elif sla.reassign_on_breach and owner_id:
        # The row is ours until commit, so the conditional release cannot miss.
        released = await release_on_breach(session, lead, now=now)
        assert released is not None
        await enqueue(
            session,
            kind=OutboxKind.SLA_THREAD_NOTE,
            lead_id=lead.id,
            payload=ThreadNoteRef(event_id=released.id or 0, note="released"),
            dedup_key=sla_note_key(lead.id, "released", lead.sla_round),
            now=now,
        )
    if sla.escalate_to:
        await enqueue(
            session,
            kind=OutboxKind.SLA_ESCALATION,
            lead_id=lead.id,
            payload=EventRef(event_id=event.id or 0),
            dedup_key=breach_key(lead.id, lead.sla_round),
            now=now,
        )


async def _refresh_card(
    session: AsyncSession, lead: Lead, status: SlaStatus, *, now: datetime
) -> None:
    """Re-render the card so that it shows "Due soon" / "Overdue" (it is rendered at send time)."""
    await enqueue(
        session,
        kind=OutboxKind.UPDATE_CARD,
        lead_id=lead.id,
        dedup_key=sla_card_key(lead.id or 0, status, lead.sla_round),
        now=now,
    )
