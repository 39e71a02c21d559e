"""Outcomes and first touch in: what the CRM learned about the leads it sent us.

A sweep like the SLA clock's: each CRM-linked lead has `next_check_at` under a partial
index; the sweep takes the due ones (a conditional UPDATE per lead, so replicas never
double up), reads their activity and deals in one batch, and stores what is new with
the same rules as POST /api/leads/{ref}/outcome. It looks often while a first touch
is still expected, then hourly, then daily, and stops once the lead is won or lost
and touched, or a year old.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.crm.connector import Activity, DealOutcome
from bot.crm.errors import CrmError
from bot.crm.service import Crm
from storage.crm import due_links, finish_check, record_first_touch, take_check
from storage.crm_models import CrmLink
from storage.feedback_models import OutcomeKind
from storage.models import Lead, LeadState
from storage.outcomes import (
    OutcomeIn,
    OutcomeRefused,
    OutcomeStatus,
    lead_outcomes,
    record_outcome,
)

logger = logging.getLogger(__name__)

BATCH = 100  # one HubSpot batch read; one SOQL IN list
# A check that fails (CRM down, 429) is tried again after this.
RETRY_AFTER = timedelta(minutes=5)
TOUCH_WINDOW = timedelta(days=2)  # a first touch is expected within days, not weeks
HOURLY_UNTIL = timedelta(days=30)
FOLLOW_FOR = timedelta(days=365)


def next_check(crm: Crm, lead: Lead, *, now: datetime, decided_in_crm: bool) -> datetime | None:
    """When the lead is next worth a look (None: never again)."""
    age = now - lead.created_at
    touched = lead.first_touch_at is not None or lead.posted_at is None
    if lead.state == LeadState.WITHDRAWN or age > FOLLOW_FOR or (decided_in_crm and touched):
        return None
    if not touched and age < TOUCH_WINDOW:
        return now + max(crm.connector.touch_every, crm.poll_every)
    return now + (timedelta(hours=1) if age < HOURLY_UNTIL else timedelta(days=1))


async def sweep(crm: Crm) -> int:
    """Look at every lead that is due; returns how many were looked at."""
    now = crm.clock.now()
    async with crm.db.session() as session:
        due = await due_links(session, now=now, limit=BATCH)
        taken: list[tuple[CrmLink, Lead]] = []
        for link in due:
            if link.provider != crm.provider or link.next_check_at is None:
                continue
            # Taken for RETRY_AFTER: a check that dies is picked up again then.
            if await take_check(
                session, link.lead_id, expected=link.next_check_at, next_at=now + RETRY_AFTER
            ):
                lead = await session.get(Lead, link.lead_id)
                if lead is not None:
                    taken.append((link, lead))
    if not taken:
        return 0
    try:
        found = await crm.connector.activity(
            [(link.record_id, lead.posted_at) for link, lead in taken]
        )
    except CrmError as exc:
        logger.warning(
            "%s activity sweep failed: %s; retrying in %s", crm.provider, exc, RETRY_AFTER
        )
        return 0
    replies = 0
    for link, lead in taken:
        replies += await _store(crm, lead, found.get(link.record_id), now=now)
    if replies:
        crm.wake()
    return len(taken)


async def _store(crm: Crm, lead: Lead, activity: Activity | None, *, now: datetime) -> int:
    """Store one lead's news in one transaction; returns how many outcomes were new."""
    lead_id = lead.id or 0
    async with crm.db.session() as session:
        fresh = await session.get(Lead, lead_id, populate_existing=True)
        if fresh is None:
            return 0
        if activity is None:  # the CRM no longer has the record
            await finish_check(session, lead_id, now=now, next_at=None)
            return 0
        if activity.first_touch_at is not None:
            await record_first_touch(session, lead_id, at=activity.first_touch_at, now=now)
        new = 0
        for outcome in activity.outcomes:
            new += await _record(session, fresh, outcome, now=now)
        kinds = {o.kind for o in await lead_outcomes(session, lead_id)}
        await session.refresh(fresh)
        decided = bool(kinds & {OutcomeKind.WON, OutcomeKind.LOST})
        await finish_check(
            session,
            lead_id,
            now=now,
            next_at=next_check(crm, fresh, now=now, decided_in_crm=decided),
        )
    return new


async def _record(session: AsyncSession, lead: Lead, outcome: DealOutcome, *, now: datetime) -> int:
    # A CRM date before the lead arrived (a deal opened before the MQL) or after now
    # (a close date set ahead) is stored as the nearest moment intake would accept.
    at = min(max(outcome.at, lead.created_at), now)
    try:
        data = OutcomeIn(
            type=OutcomeKind(outcome.kind),
            amount=outcome.amount,
            currency=outcome.currency if outcome.amount is not None else None,
            reason=outcome.reason,
            at=at,
        )
        recorded = await record_outcome(session, lead, data, now=now)
    except (ValidationError, OutcomeRefused) as exc:
        # E.g. won after a lost was recorded: the CRM must reopen it; we do not guess.
        logger.info("lead %s: outcome %s from the CRM not stored: %s", lead.id, outcome.kind, exc)
        return 0
    return int(recorded.status is OutcomeStatus.CREATED)
