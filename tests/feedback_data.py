"""A small fixed dataset whose figures are worked out by hand (see tests/test_metrics.py).

The dataset (team time zone Europe/Berlin, UTC+1 in March 2025 until the 30th):
week 2025-W10 runs from Mon 3 March 00:00 local (2 March 23:00 UTC) to
Mon 10 March 00:00 local (9 March 23:00 UTC). "now" is Wed 12 March 12:00 UTC.

  lead  created (UTC)     source   story                                      SLA
  L1    Mon 03 09:00      webinar  claimed +1h, accepted +3h                  met
  L2    Mon 03 10:00      webinar  claimed +2h, rejected +30h no_budget       breached
  L3    Tue 04 08:00      ads      rejected +4h without a claim, not_icp      met
  L4    Wed 05 12:00      ads      claimed +30m, still claimed                breached (open)
  L5    Thu 06 12:00      (none)   never claimed                              breached (open)
  L9    Fri 07 09:00      ads      card not posted yet                        no deadline
  L10   Fri 07 10:00      ads      claimed +1h, rejected +2h not_icp          met
  L6    Sun 09 22:30      webinar  = 23:30 Sunday local: still W10;           met
                                   claimed +4h, accepted +10h
  L7    Sun 09 23:30      webinar  = 00:30 Monday local: W11, open, overdue
  L8    Sun 02 22:30      webinar  = 23:30 Sunday local: W09, accepted

Outcomes: L1 opportunity EUR 10,000 then won EUR 12,000.50 (8 days after it
arrived); L2 (rejected, nurtured) won USD 700 (9 days); L6 opportunity
EUR 5,000, then lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.timekeeping.periods import iso_week
from storage.database import Database
from storage.feedback_models import LeadOutcome
from storage.models import Lead, LeadEvent

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2025, 3, 12, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
W10 = iso_week(2025, 10, now=NOW, zone=BERLIN)


def utc(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


def lead(
    number: int,
    created: datetime,
    source: str | None,
    *,
    posted: bool = True,
    claim_after: timedelta | None = None,
    close_after: timedelta | None = None,
    state: str = "open",
    reason: str | None = None,
    comment: str | None = None,
) -> Lead:
    posted_at = created if posted else None
    return Lead(
        id=number,
        email=f"l{number}@example.com",
        first_name=f"L{number}",
        source=source,
        state=state,
        owner_id="U0REP1" if claim_after or close_after else None,
        created_at=created,
        posted_at=posted_at,
        due_at=created + 24 * H if posted else None,
        claimed_at=created + claim_after if claim_after else None,
        closed_at=created + close_after if close_after else None,
        channel_id="C0LEADS" if posted else None,
        message_ts=f"{created.timestamp():.6f}" if posted else None,
        rejection_reason=reason,
        rejection_comment=comment,
    )


LEADS = [
    lead(1, utc(3, 9), "webinar", claim_after=H, close_after=3 * H, state="accepted"),
    lead(
        2,
        utc(3, 10),
        "webinar",
        claim_after=2 * H,
        close_after=30 * H,
        state="rejected",
        reason="no_budget",
        comment="Too small",
    ),
    lead(
        3,
        utc(4, 8),
        "ads",
        close_after=4 * H,
        state="rejected",
        reason="not_icp",
        comment="Student",
    ),
    lead(4, utc(5, 12), "ads", claim_after=H / 2, state="claimed"),
    lead(5, utc(6, 12), None),
    lead(9, utc(7, 9), "ads", posted=False),
    lead(
        10,
        utc(7, 10),
        "ads",
        claim_after=H,
        close_after=2 * H,
        state="rejected",
        reason="not_icp",
        comment="Wrong industry",
    ),
    lead(6, utc(9, 22, 30), "webinar", claim_after=4 * H, close_after=10 * H, state="accepted"),
    lead(7, utc(9, 23, 30), "webinar"),
    lead(8, utc(2, 22, 30), "webinar", claim_after=H, close_after=2 * H, state="accepted"),
]


def outcome(lead_id: int, kind: str, at: datetime, **values: Any) -> LeadOutcome:
    lead = next(item for item in LEADS if item.id == lead_id)
    return LeadOutcome(
        lead_id=lead_id,
        lead_created_at=lead.created_at,
        lead_source=lead.source,
        kind=kind,
        at=at,
        received_at=at,
        **values,
    )


OUTCOMES = [
    outcome(1, "opportunity_created", utc(5, 9), amount_cents=1_000_000, currency="EUR"),
    outcome(1, "won", utc(11, 9), amount_cents=1_200_050, currency="EUR"),
    outcome(2, "won", utc(12, 10), amount_cents=70_000, currency="USD"),
    outcome(6, "opportunity_created", utc(11, 9), amount_cents=500_000, currency="EUR"),
    outcome(6, "lost", utc(12, 10), reason="Chose a competitor"),
]


# L2's audit trail, as the handoff loop records it.
EVENTS = [
    LeadEvent(lead_id=2, kind="posted", at=utc(3, 10)),
    LeadEvent(
        lead_id=2,
        kind="claimed",
        actor_id="U0REP1",
        from_state="open",
        to_state="claimed",
        at=utc(3, 12),
    ),
    LeadEvent(
        lead_id=2,
        kind="rejected",
        actor_id="U0REP1",
        from_state="claimed",
        to_state="rejected",
        at=utc(4, 16),
        detail={"reason": "no_budget", "comment": "Too small"},
    ),
]


async def with_db(database_url: str, work: Callable[[Database], Awaitable[Any]]) -> Any:
    db = Database(database_url)
    try:
        return await work(db)
    finally:
        await db.dispose()


async def seed(db: Database) -> None:
    async with db.session() as session:
        for item in LEADS:
            session.add(Lead.model_validate(item.model_dump()))
        await session.flush()
        for item in OUTCOMES:
            session.add(LeadOutcome.model_validate(item.model_dump()))
        for event in EVENTS:
            session.add(LeadEvent.model_validate(event.model_dump()))
        if (await session.connection()).dialect.name == "postgresql":
            # The leads carry their own ids; later inserts must not reuse them.
            await session.exec(text("SELECT setval('leads_id_seq', (SELECT max(id) FROM leads))"))


@pytest.fixture
def seeded(database_url: str) -> str:
    asyncio.run(with_db(database_url, seed))
    return database_url
