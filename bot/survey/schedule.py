"""When the month's survey opens: the Nth business day of the month at a local time.

A business day is Monday to Friday and not a public holiday of
`sla.holidays.country` (and subdivision) or one of `sla.holidays.extra`.
Pure functions of their arguments; which days are holidays is the business
calendar's answer (`bot.timekeeping.business_calendar.holiday_checker`), shared with the SLA.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.timekeeping.business_calendar import IsHoliday

logger = logging.getLogger(__name__)

WEEKEND = (5, 6)  # Saturday, Sunday


def month_key(moment: datetime, zone: ZoneInfo) -> str:
    """YYYY-MM of `moment` in the team's time zone."""
    return moment.astimezone(zone).strftime("%Y-%m")


def month_days(year: int, month: int) -> Iterator[date]:
    for day in range(1, calendar.monthrange(year, month)[1] + 1):
        yield date(year, month, day)


def business_day(year: int, month: int, n: int, is_holiday: IsHoliday) -> date:
    """The n-th (1-based) business day of the month; the last one if there are fewer."""
    days = [d for d in month_days(year, month) if d.weekday() not in WEEKEND and not is_holiday(d)]
    if not days:  # a month of holidays: open on its first day rather than never
        return date(year, month, 1)
    return days[min(n, len(days)) - 1]


def opening_time(
    year: int, month: int, *, n: int, at: time, zone: ZoneInfo, is_holiday: IsHoliday
) -> datetime:
    """When the survey of that month opens, as aware UTC."""
    day = business_day(year, month, n, is_holiday)
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def next_opening(
    after: datetime, *, n: int, at: time, zone: ZoneInfo, is_holiday: IsHoliday
) -> datetime:
    """The first scheduled opening later than `after`: this month's, or else next month's."""
    local = after.astimezone(zone)
    this_month = opening_time(local.year, local.month, n=n, at=at, zone=zone, is_holiday=is_holiday)
    if this_month > after:
        return this_month
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return opening_time(year, month, n=n, at=at, zone=zone, is_holiday=is_holiday)
