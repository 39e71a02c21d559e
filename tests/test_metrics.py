"""Every figure against numbers worked out by hand, on SQLite and PostgreSQL.

The dataset and its story are in tests/feedback_data.py.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot.feedback import metrics, reports
from bot.feedback.metrics.first_touch import touched_count
from bot.timekeeping.periods import days_of, digest_week, iso_week, parse_period
from storage import aggregates
from storage.aggregates import percentiles, ranked_statement
from storage.database import Database
from storage.feedback_models import CLAIM_SECONDS, HAS_CLAIM_TIME
from storage.models import Lead
from tests.feedback_data import BERLIN, NOW, W10, seeded, utc, with_db

__all__ = ["seeded"]


def run(database_url: str, query: Callable[[Any], Awaitable[Any]]) -> Any:
    async def work(db: Database) -> Any:
        async with db.session() as session:
            return await query(session)

    return asyncio.run(with_db(database_url, work))


def test_the_week_funnel_by_hand(seeded: str) -> None:
    funnel = run(seeded, lambda s: metrics.funnel(s, W10.start, W10.end, now=NOW))
    assert (funnel.mqls, funnel.claimed, funnel.accepted, funnel.rejected, funnel.open) == (
        8,
        5,
        2,
        3,
        3,
    )
    assert funnel.acceptance_rate == pytest.approx(2 / 5)
    assert (funnel.sla_met, funnel.sla_breached) == (4, 3)
    assert funnel.sla_attainment == pytest.approx(4 / 7)
    # claim seconds 1800, 3600, 3600, 7200, 14400
    assert funnel.claim_median == pytest.approx(3600, abs=0.01)
    assert funnel.claim_p90 == pytest.approx(7200 + 0.6 * 7200, abs=0.01)
    # decision seconds 7200, 10800, 14400, 36000, 108000
    assert funnel.disposition_median == pytest.approx(14400, abs=0.01)
    assert funnel.disposition_p90 == pytest.approx(36000 + 0.6 * 72000, abs=0.01)
    assert (funnel.opportunities, funnel.wins, funnel.wins_accepted, funnel.lost) == (3, 2, 1, 1)
    assert funnel.win_rate == pytest.approx(1 / 2)
    assert funnel.won == {"EUR": 1_200_050, "USD": 70_000}
    assert funnel.pipeline == {"EUR": 1_500_000}
    assert funnel.to_customer_median == pytest.approx((8 + 9) / 2 * 86400, abs=0.01)


def test_time_zone_edges_of_the_week(seeded: str) -> None:
    previous = run(
        seeded, lambda s: metrics.funnel(s, W10.previous_start, W10.previous_end, now=NOW)
    )
    # L8 arrived 23:30 on Sunday 2 March local: the week before, alone.
    assert (previous.mqls, previous.accepted, previous.acceptance_rate) == (1, 1, 1.0)
    w11 = iso_week(2025, 11, now=NOW, zone=BERLIN)
    following = run(seeded, lambda s: metrics.funnel(s, w11.start, w11.end, now=NOW))
    assert following.mqls == 1  # L7, 00:30 on Monday local
    days = run(seeded, lambda s: metrics.per_day(s, days_of(W10, BERLIN)))
    assert [(d.day.isoformat(), d.accepted, d.rejected, d.open) for d in days] == [
        ("2025-03-03", 1, 1, 0),
        ("2025-03-04", 0, 1, 0),
        ("2025-03-05", 0, 0, 1),
        ("2025-03-06", 0, 0, 1),
        ("2025-03-07", 0, 1, 1),
        ("2025-03-08", 0, 0, 0),
        ("2025-03-09", 1, 0, 0),  # L6, 23:30 on Sunday local
    ]


def test_a_source_filter_is_case_insensitive(seeded: str) -> None:
    funnel = run(seeded, lambda s: metrics.funnel(s, W10.start, W10.end, now=NOW, source="WEBINAR"))
    assert (funnel.mqls, funnel.accepted, funnel.rejected) == (3, 2, 1)
    # claim seconds 3600, 7200, 14400
    assert funnel.claim_median == pytest.approx(7200, abs=0.01)
    assert funnel.claim_p90 == pytest.approx(7200 + 0.8 * 7200, abs=0.01)
    assert (funnel.opportunities, funnel.wins) == (3, 2)


def test_empty_periods_have_no_rates_instead_of_zero(seeded: str) -> None:
    january = parse_period("2025-01", now=NOW, zone=BERLIN)
    funnel = run(seeded, lambda s: metrics.funnel(s, january.start, january.end, now=NOW))
    assert funnel.empty and funnel.mqls == 0
    assert funnel.acceptance_rate is None and funnel.sla_attainment is None
    assert funnel.win_rate is None and funnel.claim_median is None
    assert run(seeded, lambda s: metrics.rejection_reasons(s, january.start, january.end)) == []
    assert run(seeded, lambda s: metrics.sources(s, january.start, january.end)).rows == []
    # A week where leads arrived but none was decided: still no rate.
    only_open = run(seeded, lambda s: metrics.funnel(s, utc(6, 0), utc(7, 0), now=NOW))  # just L5
    assert (only_open.mqls, only_open.decided, only_open.acceptance_rate) == (1, 0, None)


def test_reasons_ranked_with_latest_comments(seeded: str) -> None:
    rows = run(seeded, lambda s: metrics.rejection_reasons(s, W10.start, W10.end))
    assert [(r.reason, r.count) for r in rows] == [("not_icp", 2), ("no_budget", 1)]
    assert [r.share for r in rows] == pytest.approx([2 / 3, 1 / 3])
    assert [c.text for c in rows[0].comments] == ["Wrong industry", "Student"]
    assert [(c.lead_id, c.owner_id) for c in rows[1].comments] == [(2, "U0REP1")]
    one_each = run(seeded, lambda s: metrics.rejection_reasons(s, W10.start, W10.end, comments=1))
    assert [len(r.comments) for r in one_each] == [1, 1]


def test_sources_table(seeded: str) -> None:
    table = run(seeded, lambda s: metrics.sources(s, W10.start, W10.end))
    by_name = {row.source: row for row in table.rows}
    assert [row.source for row in table.rows] == ["ads", "webinar", None]
    ads, webinar, none = by_name["ads"], by_name["webinar"], by_name[None]
    assert (ads.mqls, ads.accepted, ads.rejected, ads.acceptance_rate) == (4, 0, 2, 0.0)
    assert (ads.top_reason, ads.top_reason_count) == ("not_icp", 2)
    assert ads.response_median == pytest.approx(3600, abs=0.01)  # 1800, 3600, 14400
    assert webinar.acceptance_rate == pytest.approx(2 / 3)
    assert webinar.response_median == pytest.approx(7200, abs=0.01)  # 3600, 7200, 14400
    assert (webinar.opportunities, webinar.wins) == (3, 2)
    assert webinar.won == {"EUR": 1_200_050, "USD": 70_000}
    assert (none.mqls, none.acceptance_rate, none.response_median) == (1, None, None)
    assert metrics.main_currency(table.rows) == "EUR"
    assert [r.source for r in metrics.ranked_by_acceptance(table.rows)] == ["webinar", "ads"]
    assert [r.source for r in metrics.ranked_by_won(table.rows, "EUR")] == ["webinar"]


def test_breaches_and_leads_open_past_their_deadline(seeded: str) -> None:
    breaches = run(seeded, lambda s: metrics.sla_breaches(s, W10.start, W10.end, now=NOW, limit=2))
    assert breaches.total == 3 and [lead.id for lead in breaches.leads] == [2, 4]
    overdue = run(seeded, lambda s: metrics.open_past_deadline(s, now=NOW, limit=10))
    assert overdue.total == 3 and [lead.id for lead in overdue.leads] == [4, 5, 7]
    # An hour before L4's deadline, L4 and L5 were pending: only L2 had breached.
    earlier = run(seeded, lambda s: metrics.funnel(s, W10.start, W10.end, now=utc(6, 11)))
    assert (earlier.sla_met, earlier.sla_breached) == (4, 1)


def test_the_digest_report_and_the_stats_report(seeded: str) -> None:
    report = asyncio.run(
        with_db(seeded, lambda db: reports.digest_report(db, W10, now=NOW, zone=BERLIN))
    )
    assert report.current.mqls == 8 and report.previous.mqls == 1
    assert report.currency == "EUR" and [r.source for r in report.by_won] == ["webinar"]
    assert [r.reason for r in report.reasons] == ["not_icp", "no_budget"]
    assert [len(r.comments) for r in report.reasons] == [1, 1]
    assert sum(d.total for d in report.days) == 8
    assert digest_week(utc(10, 8), BERLIN).key == "2025-W10"  # 09:00 Monday local
    stats = asyncio.run(
        with_db(
            seeded,
            lambda db: reports.stats_report(
                db, parse_period("2025-03", now=NOW, zone=BERLIN), now=NOW
            ),
        )
    )
    # March to date (12 days) against 1-12 February: L8 is in March (2 March local).
    assert stats.current.mqls == 10 and stats.previous.mqls == 0


def test_the_export_uses_the_same_definitions(seeded: str) -> None:
    content, count = asyncio.run(
        with_db(seeded, lambda db: reports.export_csv(db, W10, now=NOW, zone=BERLIN))
    )
    assert count == 8
    lines = content.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    rows = {
        line.split(",")[0]: dict(zip(header, line.split(","), strict=True)) for line in lines[1:]
    }
    assert rows["2"]["sla"] == "breached" and rows["2"]["seconds_to_claim"] == "7200"
    assert rows["2"]["won_amount_cents"] == "70000" and rows["2"]["rejection_reason"] == "no_budget"
    assert rows["6"]["created_at"] == "2025-03-09 23:30:00"  # local wall time
    assert rows["6"]["lost_reason"] == "Chose a competitor"
    assert rows["9"]["sla"] == "" and rows["9"]["seconds_to_claim"] == ""


def test_the_index_walk_agrees_with_the_sort(seeded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large periods walk the duration indexes; the answer must not change."""
    # Patched where `walks` reads them: every period of any size walks.
    monkeypatch.setattr(aggregates, "WALK_FROM", 0)
    monkeypatch.setattr(aggregates, "WALK_SHARE", 10**9)
    funnel = run(seeded, lambda s: metrics.funnel(s, W10.start, W10.end, now=NOW))
    assert funnel.claim_median == pytest.approx(3600, abs=0.01)
    assert funnel.disposition_p90 == pytest.approx(79200, abs=0.01)
    table = run(seeded, lambda s: metrics.sources(s, W10.start, W10.end))
    assert table.rows[0].response_median == pytest.approx(3600, abs=0.01)


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9, 0.99, 1.0])
def test_percentiles_match_continuous_interpolation(database_url: str, fraction: float) -> None:
    rng = random.Random(fraction)
    start = utc(1, 0, month=1)
    claims = [rng.randint(1, 500_000) for _ in range(101)]
    claims[50] = claims[51]  # ties are fine

    async def seed_and_ask(db: Database) -> tuple[float | None, float | None]:
        async with db.session() as session:
            for number, seconds in enumerate(claims, start=1):
                created = start + timedelta(minutes=number)
                session.add(
                    Lead(
                        id=number,
                        email=f"p{number}@example.com",
                        state="claimed",
                        created_at=created,
                        posted_at=created,
                        claimed_at=created + timedelta(seconds=seconds),
                    )
                )
        async with db.session() as session:
            where = [Lead.created_at >= start]
            ours = await percentiles(session, CLAIM_SECONDS, where, [fraction], count=len(claims))
            reference = None
            if (await session.connection()).dialect.name == "postgresql":
                reference = (
                    await session.exec(
                        text(
                            "SELECT percentile_cont(:f) WITHIN GROUP "
                            "(ORDER BY EXTRACT(EPOCH FROM (claimed_at - posted_at))) FROM leads"
                        ).bindparams(f=fraction)
                    )  # type: ignore[call-overload]
                ).scalar_one()
        return ours[fraction], None if reference is None else float(reference)

    ours, reference = asyncio.run(with_db(database_url, seed_and_ask))
    ordered = sorted(claims)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    above = ordered[min(low + 1, len(ordered) - 1)]
    expected = ordered[low] + (position - low) * (above - ordered[low])
    assert ours == pytest.approx(expected, abs=0.01)
    if reference is not None:
        assert ours == pytest.approx(reference, abs=0.01)


def sqlite_plan(sqlite_url: str, statement: Any) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN steps for `statement`, its parameters inlined."""

    async def plan(db: Database) -> list[str]:
        async with db.session() as session:
            connection = await session.connection()
            compiled = statement.compile(
                dialect=connection.dialect, compile_kwargs={"literal_binds": True}
            )
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
            return [str(row[-1]) for row in rows]

    return asyncio.run(with_db(sqlite_url, plan))


def test_sqlite_walks_the_duration_index_instead_of_sorting(sqlite_url: str) -> None:
    """The indexes in migration 0003 must match the expressions the queries use."""
    where = metrics.duration_cohort(
        HAS_CLAIM_TIME, W10.start, W10.end, "ads", count=aggregates.WALK_FROM
    )
    steps = sqlite_plan(sqlite_url, ranked_statement(CLAIM_SECONDS, where, offset=10))
    assert any("ix_leads_claim_time" in step for step in steps), steps
    assert not any("TEMP B-TREE" in step for step in steps), steps


def test_sqlite_counts_touched_leads_from_their_own_index(sqlite_url: str) -> None:
    """The period's touched leads are counted without reading a lead's row (migration 0012)."""
    steps = sqlite_plan(sqlite_url, touched_count(W10.start, W10.end, "ads"))
    assert any("COVERING INDEX ix_leads_first_touch_cohort" in step for step in steps), steps
