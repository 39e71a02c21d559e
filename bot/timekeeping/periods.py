"""Reporting periods in the team's time zone.

A period is a half-open interval [start, end) of aware UTC instants. Calendar
edges (months, quarters, ISO weeks) are local midnights in the team's zone, so
a lead stored at 23:30 local on a Sunday belongs to that Sunday's week, and a
lead at 00:30 local on the Monday to the next one, wherever the server runs
and whatever daylight saving does. A period that is still running ends now.

Every period carries the one it is compared with ("change against the
previous period of the same length"):
- `7d`, `30d`, `90d` (any `Nd`, 1-366): the Nx24 hours up to now, against the
  Nx24 hours before them.
- `YYYY-MM`, `YYYY-Qn`, `YYYY-Www`, `quarter` (the current quarter): the
  calendar period, against the calendar period before it. While a period is
  still running, the previous one is cut at the same point (the first 11 days
  of March against the first 11 days of February), so a half-finished month
  is never compared with a whole one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ROLLING = re.compile(r"^(\d{1,3})d$", re.IGNORECASE)
MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
QUARTER = re.compile(r"^(\d{4})-q([1-4])$", re.IGNORECASE)
WEEK = re.compile(r"^(\d{4})-w(\d{1,2})$", re.IGNORECASE)
MAX_ROLLING_DAYS = 366
FIRST_YEAR, LAST_YEAR = 2000, 2100
PERIOD_HELP = "7d, 30d, 90d, quarter, a month like 2025-03, 2025-Q1 or an ISO week like 2025-W09"


class PeriodError(ValueError):
    """Text that names no period we know; the message says what would work."""


@dataclass(frozen=True)
class Period:
    key: str  # what the person typed, normalised: "7d", "2025-03", "2025-W09"
    label: str  # "the last 7 days", "March 2025", "week 2025-W09"
    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime
    previous_label: str
    complete: bool  # False while the period is still running (it ends now)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which `day` begins in `zone`."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def iso_week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_period(text: str | None, *, now: datetime, zone: ZoneInfo, default: str = "7d") -> Period:
    """The period `text` names, as of `now`; raises PeriodError with what would work."""
    raw = (text or default).strip().lower()
    if raw == "quarter":
        today = local_date(now, zone)
        return _quarter(today.year, (today.month - 1) // 3 + 1, now, zone, key="quarter")
    if match := ROLLING.match(raw):
        return _rolling(int(match[1]), now)
    if match := MONTH.match(raw):
        return _month(int(match[1]), int(match[2]), now, zone)
    if match := QUARTER.match(raw):
        return _quarter(int(match[1]), int(match[2]), now, zone, key=raw.upper())
    if match := WEEK.match(raw):
        return iso_week(int(match[1]), int(match[2]), now=now, zone=zone)
    raise PeriodError(f"`{text}` is not a period; use {PERIOD_HELP}.")


def iso_week(year: int, week: int, *, now: datetime, zone: ZoneInfo) -> Period:
    _check_year(year)
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodError(f"{year} has no ISO week {week}.") from None
    key = f"{year}-W{week:02d}"
    previous = monday - timedelta(days=7)
    return _calendar(
        key=key,
        label=f"week {key} ({_day_label(monday)} to {_day_label(monday + timedelta(days=6))})",
        first=monday,
        after=monday + timedelta(days=7),
        previous_first=previous,
        previous_label=f"week {iso_week_key(previous)}",
        now=now,
        zone=zone,
    )


def parse_iso_week(text: str, *, now: datetime, zone: ZoneInfo) -> Period:
    match = WEEK.match(text.strip())
    if not match:
        raise PeriodError(f"`{text}` is not an ISO week; write it like 2025-W09.")
    return iso_week(int(match[1]), int(match[2]), now=now, zone=zone)


def digest_week(now: datetime, zone: ZoneInfo) -> Period:
    """The week a digest posted at `now` reports: the last full Monday-Sunday week."""
    monday = local_date(now, zone) - timedelta(days=local_date(now, zone).weekday() + 7)
    year, week, _ = monday.isocalendar()
    return iso_week(year, week, now=now, zone=zone)


def days_of(period: Period, zone: ZoneInfo) -> list[tuple[date, datetime, datetime]]:
    """Each local calendar day of the period with its UTC bounds (for per-day figures)."""
    first = local_date(period.start, zone)
    last = local_date(period.end - timedelta(microseconds=1), zone)
    days = []
    day = first
    while day <= last:
        days.append((day, local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)))
        day += timedelta(days=1)
    return days


def _rolling(days: int, now: datetime) -> Period:
    if not 1 <= days <= MAX_ROLLING_DAYS:
        raise PeriodError(f"Use between 1d and {MAX_ROLLING_DAYS}d.")
    length = timedelta(days=days)
    noun = "day" if days == 1 else f"{days} days"
    return Period(
        key=f"{days}d",
        label=f"the last {noun}" if days > 1 else "the last 24 hours",
        start=now - length,
        end=now,
        previous_start=now - 2 * length,
        previous_end=now - length,
        previous_label=f"the {noun} before" if days > 1 else "the 24 hours before",
        complete=False,
    )


def _month(year: int, month: int, now: datetime, zone: ZoneInfo) -> Period:
    _check_year(year)
    if not 1 <= month <= 12:
        raise PeriodError(f"There is no month {month}; write months like 2025-03.")
    first = date(year, month, 1)
    previous = _add_months(first, -1)
    return _calendar(
        key=f"{year}-{month:02d}",
        label=first.strftime("%B %Y"),
        first=first,
        after=_add_months(first, 1),
        previous_first=previous,
        previous_label=previous.strftime("%B %Y"),
        now=now,
        zone=zone,
    )


def _quarter(year: int, quarter: int, now: datetime, zone: ZoneInfo, *, key: str) -> Period:
    _check_year(year)
    first = date(year, 3 * quarter - 2, 1)
    previous = _add_months(first, -3)
    return _calendar(
        key=key,
        label=f"Q{quarter} {year}",
        first=first,
        after=_add_months(first, 3),
        previous_first=previous,
        previous_label=f"Q{(previous.month - 1) // 3 + 1} {previous.year}",
        now=now,
        zone=zone,
    )


def _calendar(
    *,
    key: str,
    label: str,
    first: date,
    after: date,
    previous_first: date,
    previous_label: str,
    now: datetime,
    zone: ZoneInfo,
) -> Period:
    start, natural_end = local_midnight(first, zone), local_midnight(after, zone)
    previous_start = local_midnight(previous_first, zone)
    if start > now:
        raise PeriodError(f"{label} has not started yet.")
    if natural_end <= now:
        return Period(key, label, start, natural_end, previous_start, start, previous_label, True)
    # Still running: compare with the previous period up to the same local wall time.
    elapsed = now.astimezone(zone).replace(tzinfo=None) - datetime.combine(first, time(0))
    cut = (datetime.combine(previous_first, time(0)) + elapsed).replace(tzinfo=zone)
    previous_end = min(cut.astimezone(UTC), start)
    return Period(
        key,
        f"{label} to date",
        start,
        now,
        previous_start,
        previous_end,
        f"{previous_label} to the same point",
        False,
    )


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(f"{year} is outside the years Handoff reports on.")


def _day_label(day: date) -> str:
    return f"{day.day} {day.strftime('%b')}"
