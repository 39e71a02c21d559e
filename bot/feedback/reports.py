"""The figures behind each /leadfeedback answer and the weekly digest, one session each.

These functions only gather numbers from bot/feedback/metrics/; messages/feedback.py
turns them into Block Kit. The benchmark (bench/metrics.py) times exactly these.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.feedback import metrics
from bot.timekeeping.periods import Period, days_of
from storage.aggregates import consistent_snapshot
from storage.database import Database

DIGEST_LIST_LIMIT = 8
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class StatsReport:
    period: Period
    source: str | None
    current: metrics.Funnel
    previous: metrics.Funnel
    first_touch: metrics.FirstTouch = field(default_factory=metrics.FirstTouch)


async def stats_report(
    db: Database, period: Period, *, now: datetime, source: str | None = None
) -> StatsReport:
    async with db.session() as session:
        await consistent_snapshot(session)
        current = await metrics.funnel(session, period.start, period.end, now=now, source=source)
        previous = await metrics.funnel(
            session,
            period.previous_start,
            period.previous_end,
            now=now,
            source=source,
            detail=False,
        )
        touch = await metrics.first_touch(session, period.start, period.end, source=source)
    return StatsReport(period, source, current, previous, touch)


@dataclass(frozen=True)
class ReasonsReport:
    period: Period
    source: str | None
    reasons: list[metrics.ReasonRow]


async def reasons_report(
    db: Database, period: Period, *, source: str | None = None
) -> ReasonsReport:
    async with db.session() as session:
        await consistent_snapshot(session)
        rows = await metrics.rejection_reasons(session, period.start, period.end, source=source)
    return ReasonsReport(period, source, rows)


@dataclass(frozen=True)
class SourcesReport:
    period: Period
    sources: metrics.SourcesTable


async def sources_report(db: Database, period: Period) -> SourcesReport:
    async with db.session() as session:
        await consistent_snapshot(session)
        table = await metrics.sources(session, period.start, period.end)
    return SourcesReport(period, table)


@dataclass(frozen=True)
class DigestReport:
    week: Period
    now: datetime
    current: metrics.Funnel
    previous: metrics.Funnel
    breaches: metrics.LeadList
    reasons: list[metrics.ReasonRow]
    by_acceptance: list[metrics.SourceRow]
    by_won: list[metrics.SourceRow]
    currency: str | None  # the currency sources are ranked by won amount in
    overdue: metrics.LeadList
    days: list[metrics.DayCounts]
    first_touch: metrics.FirstTouch = field(default_factory=metrics.FirstTouch)


async def digest_report(
    db: Database, week: Period, *, now: datetime, zone: ZoneInfo
) -> DigestReport:
    async with db.session() as session:
        await consistent_snapshot(session)
        current = await metrics.funnel(session, week.start, week.end, now=now)
        previous = await metrics.funnel(
            session, week.previous_start, week.previous_end, now=now, detail=False
        )
        breaches = await metrics.sla_breaches(
            session, week.start, week.end, now=now, limit=DIGEST_LIST_LIMIT
        )
        reasons = await metrics.rejection_reasons(session, week.start, week.end, comments=1)
        source_rows = (await metrics.sources(session, week.start, week.end)).rows
        overdue = await metrics.open_past_deadline(session, now=now, limit=DIGEST_LIST_LIMIT)
        days = await metrics.per_day(session, days_of(week, zone))
        touch = await metrics.first_touch(session, week.start, week.end)
    currency = metrics.main_currency(source_rows)
    return DigestReport(
        week=week,
        now=now,
        current=current,
        previous=previous,
        breaches=breaches,
        reasons=reasons,
        by_acceptance=metrics.ranked_by_acceptance(source_rows),
        by_won=metrics.ranked_by_won(source_rows, currency),
        currency=currency,
        overdue=overdue,
        days=days,
        first_touch=touch,
    )


async def digest_days(db: Database, week: Period, *, zone: ZoneInfo) -> list[metrics.DayCounts]:
    async with db.session() as session:
        return await metrics.per_day(session, days_of(week, zone))


# The CSV names a lead's owner twice: the Slack id (stable, for joins) and, next to it,
# the display name a person reads.
OWNER_COLUMN, OWNER_NAME_COLUMN = "owner", "owner_name"
OwnerNames = Callable[[list[str]], Awaitable[dict[str, str]]]


async def export_csv(
    db: Database,
    period: Period,
    *,
    now: datetime,
    zone: ZoneInfo,
    owner_names: OwnerNames | None = None,
) -> tuple[bytes, int]:
    """The period's leads as CSV (UTF-8 with a BOM so spreadsheets read accents); and how many.

    The rows are read first and the session closed before `owner_names` asks Slack
    (no session is held across a Slack call); each owner is looked up once.
    """
    async with db.session() as session:
        await consistent_snapshot(session)
        rows = [
            row async for row in metrics.export_rows(session, period.start, period.end, now=now)
        ]
    header, leads = list(rows[0]), rows[1:]
    at = header.index(OWNER_COLUMN) + 1
    owners = sorted({row[at - 1] for row in leads if row[at - 1]})
    names = await owner_names(owners) if owner_names and owners else {}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*header[:at], OWNER_NAME_COLUMN, *header[at:]])
    for row in leads:
        owner = row[at - 1]
        named = [*row[:at], names.get(owner, owner) if owner else None, *row[at:]]
        writer.writerow([_csv_value(value, zone) for value in named])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), len(leads)


def _csv_value(value: object, zone: ZoneInfo) -> object:
    if isinstance(value, datetime):
        # Local wall time: what a marketer's spreadsheet should show.
        # ("YYYY-MM-DD HH:MM:SS": isoformat's first 19 characters, faster than strftime.)
        return value.astimezone(zone).isoformat(" ", "seconds")[:19]
    if isinstance(value, float):
        return f"{value:.0f}"
    if value is None:
        return ""
    if isinstance(value, list):
        # fit_misses: [[id, label]…] as the ids, "buyer_role; size".
        value = "; ".join(str(item[0] if isinstance(item, list) else item) for item in value)
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        # A lead named "=HYPERLINK(...)" must stay text in a spreadsheet.
        return "'" + value
    return value
