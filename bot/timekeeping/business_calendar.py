"""Business-time arithmetic: when is a deadline that counts only working hours?

Pure functions of their arguments (no clock, no settings, no I/O), so the rules
below are tested directly and the same answers hold on every replica.

The rules
---------
- A *business window* is one day's opening hours, `[start, end)` in the zone's
  wall-clock time, on a working weekday that is not a holiday. Holidays are whole
  local calendar days.
- Business time is real elapsed time inside windows. Time outside them does not
  count: a 24-hour SLA with 09:00-17:00 hours is three working days.
- Counting starts at `start` if it is inside a window, otherwise at the next
  window's opening (a lead posted Friday 18:00 starts counting Monday 09:00).
- A deadline that uses up a window exactly lands on that window's end (Friday
  17:00), not on the next opening.
- Wall-clock times are turned into instants in the zone for each day separately,
  so a window keeps its local hours across a daylight-saving change (09:00 is
  09:00 before and after). On the day of the change itself a window that spans
  the jump is an hour shorter (spring) or longer (autumn) in real time. A wall
  time that does not exist (02:30 on the spring day in Europe) is read with the
  offset in force before the jump (Python's fold=0), i.e. an hour later in
  the new offset; an ambiguous one (02:30 on the autumn day) means its first
  occurrence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays as public_holidays

from bot.timekeeping.weekdays import WEEKDAYS

if TYPE_CHECKING:
    from bot.settings import Holidays

IsHoliday = Callable[[date], bool]
# No schedule in app.yaml leaves a decade without a single working hour; a
# calendar that does (every day a holiday) is a configuration error, not a loop.
MAX_DAYS_SEARCHED = 3660


@dataclass(frozen=True)
class WorkingWeek:
    """Opening hours: the weekdays (0 = Monday) and the local start and end of each day."""

    days: frozenset[int]
    start: time
    end: time

    @classmethod
    def of(cls, days: list[str], start: time, end: time) -> WorkingWeek:
        return cls(frozenset(WEEKDAYS.index(day) for day in days), start, end)


def no_holidays(_: date) -> bool:
    return False


def holiday_checker(config: Holidays) -> IsHoliday:
    """A predicate for a country's public holidays (the `holidays` package) plus extra dates.

    The settings have already checked the country, subdivision and dates.
    """
    extra = frozenset(date.fromisoformat(day) for day in config.extra)
    public = (
        public_holidays.country_holidays(config.country, subdiv=config.subdivision)
        if config.country
        else None
    )

    def is_holiday(day: date) -> bool:
        # The package fills in each year on first use.
        return day in extra or (public is not None and day in public)

    return is_holiday


def business_windows(
    moment: datetime, hours: WorkingWeek, is_holiday: IsHoliday, zone: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    """The windows (opening, closing; aware UTC) that close after `moment`, in order."""
    day = moment.astimezone(zone).date()
    for _ in range(MAX_DAYS_SEARCHED):
        if day.weekday() in hours.days and not is_holiday(day):
            opening = datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)
            closing = datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC)
            if closing > moment and closing > opening:
                yield opening, closing
        day += timedelta(days=1)
    raise ValueError(f"no business hours in the {MAX_DAYS_SEARCHED} days after {moment}")


def next_business_start(
    moment: datetime, hours: WorkingWeek, is_holiday: IsHoliday, zone: ZoneInfo
) -> datetime:
    """`moment` itself if it is inside business hours, else the next opening."""
    opening, _ = next(business_windows(moment, hours, is_holiday, zone))
    return max(opening, moment)


def is_business_time(
    moment: datetime, hours: WorkingWeek, is_holiday: IsHoliday, zone: ZoneInfo
) -> bool:
    return next_business_start(moment, hours, is_holiday, zone) == moment


def add_business_time(
    start: datetime,
    duration: timedelta,
    hours: WorkingWeek,
    is_holiday: IsHoliday,
    zone: ZoneInfo,
) -> datetime:
    """The moment when `duration` of business time has passed since `start` (aware UTC).

    A zero duration gives the next business start.
    """
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    remaining = duration
    for opening, closing in business_windows(start, hours, is_holiday, zone):
        begin = max(opening, start)
        available = closing - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("business_windows never ends without raising")
