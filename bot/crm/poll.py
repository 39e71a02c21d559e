"""Pull: MQLs from the CRM since the cursor, stored exactly as intake stores them.

Each page is read from the CRM with no database transaction open, then stored in
one transaction together with the cursor's new position, so the cursor never
runs ahead of the leads. A page read twice (a retry, the overlap below, another
replica, a backfill) meets intake's dedup on external_id and posts no second card.
A CRM that is down, slow or rate-limited ends this poll with an error in /healthz;
the next poll starts from the same cursor, and no other job waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from bot.crm.connector import Page
from bot.crm.errors import CrmError
from bot.crm.service import Crm
from bot.definition.grading import grading_for
from storage.crm import advance_cursor, end_poll, take_poll_lease
from storage.crm_leads import store_crm_leads
from storage.lead_input import LeadIn
from storage.leads import IngestOutcome, IngestStatus

logger = logging.getLogger(__name__)

# A poll that dies keeps the lease this long; the next replica's poll then takes over.
POLL_LEASE = timedelta(minutes=5)
# Each poll reads again from a little before the cursor: a CRM's search index and
# SystemModstamp can lag the moment they stamp, and the dedup makes rereading free.
OVERLAP = timedelta(minutes=2)


@dataclass
class PullSummary:
    created: int = 0
    duplicates: int = 0
    invalid: list[str] = field(default_factory=list)
    pages: int = 0
    error: str | None = None
    skipped: bool = False  # another replica was polling

    @property
    def read(self) -> int:
        return self.created + self.duplicates + len(self.invalid)


OnPage = Callable[[Page, list[IngestOutcome]], None]


async def poll(crm: Crm) -> PullSummary:
    """The scheduled poll: take the lease, pull from the cursor, release the lease."""
    now = crm.clock.now()
    async with crm.db.session() as session:
        cursor = await take_poll_lease(session, crm.provider, now=now, lease_for=POLL_LEASE)
    if cursor is None:
        return PullSummary(skipped=True)
    since = (cursor.position or now) - OVERLAP
    summary = PullSummary(error="the poll did not finish")
    try:
        summary = await pull(crm, since)
    finally:
        # Released however the poll ended, so the next one need not wait out the lease.
        async with crm.db.session() as session:
            await end_poll(session, crm.provider, now=crm.clock.now(), error=summary.error)
        crm.status.last_poll_at, crm.status.last_poll_error = crm.clock.now(), summary.error
    return summary


async def pull(crm: Crm, since: datetime, on_page: OnPage | None = None) -> PullSummary:
    """Store every MQL changed since `since`, page by page (also `handoff crm sync`)."""
    summary = PullSummary()
    try:
        async for page in crm.connector.pages(since):
            leads = [record.lead for record in page.records if record.lead is not None]
            for record in page.records:
                if record.problem:
                    _invalid(crm, summary, record.problem)
            changed = {r.id: r.changed_at for r in page.records if r.lead is not None}
            outcomes = await store_page(crm, leads, page.position, changed=changed)
            summary.pages += 1
            summary.created += sum(o.status is IngestStatus.CREATED for o in outcomes)
            summary.duplicates += sum(o.status is IngestStatus.DUPLICATE for o in outcomes)
            if summary.created:
                crm.wake()
            if on_page is not None:
                on_page(page, outcomes)
    except CrmError as exc:
        # Everything stored so far stays stored, with the cursor at its last page.
        summary.error = exc.describe()
        logger.warning("%s poll stopped: %s; the next poll resumes", crm.provider, summary.error)
    return summary


async def store_page(
    crm: Crm,
    leads: list[LeadIn],
    position: datetime | None,
    *,
    changed: dict[str, datetime] | None = None,
) -> list[IngestOutcome]:
    """One page's leads and the cursor's new position (if any), in one transaction.

    `changed` says when each record last became an MQL, for withdrawn leads to come back.
    """
    now = crm.clock.now()
    for attempt in range(2):
        try:
            async with crm.db.session() as session:
                outcomes = await store_crm_leads(
                    session,
                    crm.provider,
                    leads,
                    now=now,
                    dedup_window=crm.settings.team.intake.dedup_window,
                    first_check_at=now + crm.poll_every,
                    changed=changed,
                    grading=grading_for(crm.settings.team),
                )
                if position is not None:
                    await advance_cursor(session, crm.provider, position, now=now)
                return outcomes
        except IntegrityError:
            # Another replica stored one of these first; the second pass sees it.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _invalid(crm: Crm, summary: PullSummary, problem: str) -> None:
    # Not stored, as intake would answer 422; said once per poll that reads it.
    summary.invalid.append(problem)
    crm.status.invalid_records += 1
    crm.status.last_invalid = problem
    logger.warning("%s: %s (not stored)", crm.provider, problem)
