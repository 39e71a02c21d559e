"""Time to first touch and withdrawn leads in the shared numbers, on both stores.

On top of tests/feedback_data.py's week: first touches for L1 (+30m), L2 (+3h) and
L4 (+1h), and one lead the CRM withdrew before its card (never an MQL).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import update

from bot.feedback import metrics, reports
from bot.settings import TeamConfig
from messages.digest import digest_details
from messages.feedback import stats_message, timeline
from storage.database import Database
from storage.models import Lead, LeadEvent
from tests.conftest import TEAM
from tests.feedback_data import BERLIN, NOW, W10, H, seeded, utc, with_db

__all__ = ["seeded"]

TOUCHES = {1: H / 2, 2: 3 * H, 4: H}


def run(database_url: str, work: Callable[[Any], Awaitable[Any]]) -> Any:
    async def go(db: Database) -> Any:
        async with db.session() as session:
            return await work(session)

    return asyncio.run(with_db(database_url, go))


@pytest.fixture
def touched(seeded: str) -> str:
    async def add(session: Any) -> None:
        for lead_id, after in TOUCHES.items():
            lead = await session.get(Lead, lead_id)
            await session.exec(
                update(Lead).where(Lead.id == lead_id).values(first_touch_at=lead.posted_at + after)
            )
        session.add(
            Lead(
                id=99,
                email="gone@example.com",
                source="webinar",
                state="withdrawn",
                created_at=utc(4, 9),
            )
        )

    run(seeded, add)
    return seeded


def test_time_to_first_touch_by_hand(touched: str) -> None:
    touch = run(touched, lambda s: metrics.first_touch(s, W10.start, W10.end))
    # 1800, 3600, 10800 seconds
    assert touch.touched == 3
    assert touch.median == pytest.approx(3600, abs=0.01)
    assert touch.p90 == pytest.approx(3600 + 0.8 * 7200, abs=0.01)
    ads = run(touched, lambda s: metrics.first_touch(s, W10.start, W10.end, source="ads"))
    assert (ads.touched, ads.median) == (1, pytest.approx(3600, abs=0.01))


def test_a_withdrawn_lead_is_not_an_mql(touched: str) -> None:
    funnel = run(touched, lambda s: metrics.funnel(s, W10.start, W10.end, now=NOW))
    assert (funnel.mqls, funnel.open) == (8, 3)  # as without the withdrawn lead
    table = run(touched, lambda s: metrics.sources(s, W10.start, W10.end))
    assert {row.source: row.mqls for row in table.rows}["webinar"] == 3


def test_stats_digest_and_export_show_time_to_first_touch(touched: str) -> None:
    db = Database(touched)

    async def gather() -> tuple[Any, Any, bytes]:
        try:
            stats = await reports.stats_report(db, W10, now=NOW)
            digest = await reports.digest_report(db, W10, now=NOW, zone=BERLIN)
            csv, _ = await reports.export_csv(db, W10, now=NOW, zone=BERLIN)
            return stats, digest, csv
        finally:
            await db.dispose()

    stats, digest, csv = asyncio.run(gather())
    text = repr(stats_message(stats).blocks)
    assert "Time to first touch" in text and "median 1h" in text
    assert text.index("Time to claim") < text.index("Time to first touch")
    team = TeamConfig.model_validate(TEAM)
    assert "time to first touch: median 1h" in repr(
        digest_details(digest, team, permalinks={}).blocks
    )
    header, *rows = csv.decode("utf-8-sig").splitlines()
    assert "first_touch_at" in header.split(",") and "seconds_to_first_touch" in header.split(",")
    assert any(row.split(",")[0] == "1" and ",1800," in row for row in rows)
    assert not any(row.split(",")[0] == "99" for row in rows)


def test_without_a_crm_or_a_touch_the_line_is_not_shown(seeded: str) -> None:
    db = Database(seeded)

    async def gather() -> Any:
        try:
            return await reports.stats_report(db, W10, now=NOW)
        finally:
            await db.dispose()

    stats = asyncio.run(gather())
    assert "first touch" not in repr(stats_message(stats).blocks)
    shown = repr(stats_message(stats, crm=True).blocks)
    assert "Time to first touch" in shown and "no sales activity recorded" in shown


def test_the_lead_timeline_tells_a_withdrawal_and_a_first_touch() -> None:

    lead = Lead(id=1, email="a@example.com", source="webinar", created_at=utc(3, 9))
    events = [
        LeadEvent(
            lead_id=1, kind="first_touch", at=utc(3, 12), detail={"at": utc(3, 10).isoformat()}
        ),
        LeadEvent(lead_id=1, kind="withdrawn", at=utc(3, 9, 30), detail={"why": "merged into 7"}),
    ]
    team = TeamConfig.model_validate(TEAM)
    texts = [(entry.at, entry.text) for entry in timeline(lead, events, [], team)]
    assert texts == [
        (utc(3, 9), "Arrived from webinar"),
        (utc(3, 9, 30), "Withdrawn by the CRM before its card was posted: merged into 7"),
        (utc(3, 10), "First sales activity in the CRM"),
    ]
