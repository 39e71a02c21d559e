"""Business-time arithmetic: weekends, holidays, daylight-saving changes, window edges."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.settings import Holidays
from bot.timekeeping.business_calendar import (
    WorkingWeek,
    add_business_time,
    holiday_checker,
    is_business_time,
    next_business_start,
    no_holidays,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
OFFICE = WorkingWeek.of(["mon", "tue", "wed", "thu", "fri"], time(9), time(17))


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


def add(start: datetime, hours: float, **kwargs: object) -> datetime:
    return add_business_time(
        start,
        timedelta(hours=hours),
        kwargs.get("week", OFFICE),  # type: ignore[arg-type]
        kwargs.get("is_holiday", no_holidays),  # type: ignore[arg-type]
        kwargs.get("zone", BERLIN),  # type: ignore[arg-type]
    )


def test_friday_evening_plus_24_business_hours_is_wednesday_at_closing() -> None:
    # 2026-03-06 is a Friday. Counting starts Monday 09:00; 8h a day for three days.
    due = add(berlin(2026, 3, 6, 18, 0), 24)
    assert due == berlin(2026, 3, 11, 17, 0)
    assert due.astimezone(BERLIN).strftime("%a %H:%M") == "Wed 17:00"
    assert due != berlin(2026, 3, 6, 18, 0) + timedelta(hours=24), "not Saturday evening"


def test_counting_inside_a_window_and_across_the_weekend() -> None:
    assert add(berlin(2026, 3, 6, 15, 0), 1) == berlin(2026, 3, 6, 16, 0)
    # Two hours left on Friday, the rest on Monday.
    assert add(berlin(2026, 3, 6, 15, 0), 4) == berlin(2026, 3, 9, 11, 0)
    # A lead posted on Saturday starts counting on Monday morning.
    assert add(berlin(2026, 3, 7, 11, 0), 2) == berlin(2026, 3, 9, 11, 0)
    # Before opening on a working day: counting starts at 09:00 that day.
    assert add(berlin(2026, 3, 10, 6, 30), 1) == berlin(2026, 3, 10, 10, 0)


def test_a_deadline_that_fills_a_window_lands_on_its_closing_time() -> None:
    assert add(berlin(2026, 3, 6, 9, 0), 8) == berlin(2026, 3, 6, 17, 0)
    assert add(berlin(2026, 3, 6, 16, 0), 1) == berlin(2026, 3, 6, 17, 0)
    # One second more and it is Monday.
    assert add(berlin(2026, 3, 6, 16, 0), 1 + 1 / 3600) == berlin(2026, 3, 9, 9, 0, 1)


def test_public_holidays_and_extra_dates_have_no_business_hours() -> None:
    # 2026-05-01 (Friday) is Labour Day in Germany.
    germany = holiday_checker(Holidays(country="DE"))
    assert germany(date(2026, 5, 1)) and not germany(date(2026, 4, 30))
    start = berlin(2026, 4, 30, 16, 0)  # Thursday, one hour before closing
    assert add(start, 2) == berlin(2026, 5, 1, 10, 0), "without holidays: Friday"
    assert add(start, 2, is_holiday=germany) == berlin(2026, 5, 4, 10, 0), "Labour Day skipped"
    # A company day off on Monday moves it once more.
    with_extra = holiday_checker(Holidays(country="DE", extra=["2026-05-04"]))
    assert add(start, 2, is_holiday=with_extra) == berlin(2026, 5, 5, 10, 0)
    # Subdivisions: International Women's Day is a holiday in Berlin only.
    assert holiday_checker(Holidays(country="DE", subdivision="BE"))(date(2027, 3, 8))
    assert not germany(date(2027, 3, 8))


def test_us_holidays_in_new_york_time() -> None:
    us = holiday_checker(Holidays(country="US"))
    # Independence Day 2026 is a Saturday; it is observed on Friday 3 July.
    thursday = datetime(2026, 7, 2, 16, 0, tzinfo=NEW_YORK)
    due = add_business_time(thursday, timedelta(hours=2), OFFICE, us, NEW_YORK)
    assert due == datetime(2026, 7, 6, 10, 0, tzinfo=NEW_YORK)


def test_spring_forward_keeps_local_opening_hours() -> None:
    # Europe/Berlin jumps from 02:00 CET to 03:00 CEST on Sunday 2026-03-29.
    friday = berlin(2026, 3, 27, 16, 0)  # 15:00 UTC
    due = add(friday, 2)
    assert due == berlin(2026, 3, 30, 10, 0)
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC), "10:00 CEST is 08:00 UTC"
    # Counting real elapsed time would have been off by the hour.
    assert due - friday != timedelta(days=2, hours=19)


def test_fall_back_keeps_local_opening_hours() -> None:
    # Europe/Berlin falls back from 03:00 CEST to 02:00 CET on Sunday 2026-10-25.
    friday = berlin(2026, 10, 23, 16, 0)  # 14:00 UTC
    due = add(friday, 2)
    assert due == berlin(2026, 10, 26, 10, 0)
    assert due == datetime(2026, 10, 26, 9, 0, tzinfo=UTC), "10:00 CET is 09:00 UTC"


def test_a_window_spanning_the_clock_change_is_shorter_or_longer_in_real_time() -> None:
    nights = WorkingWeek.of(["sun", "mon"], time(1), time(5))
    # Sunday 29 March: 01:00 CET to 05:00 CEST is three real hours.
    spring = add(berlin(2026, 3, 29, 1, 0), 4, week=nights)
    assert spring == berlin(2026, 3, 30, 2, 0), "one hour left over for Monday"
    # Sunday 25 October: 01:00 CEST to 05:00 CET is five real hours.
    autumn = add(berlin(2026, 10, 25, 1, 0), 4, week=nights)
    assert autumn == datetime(2026, 10, 25, 3, 0, tzinfo=UTC)
    assert autumn.astimezone(BERLIN).strftime("%H:%M %Z") == "04:00 CET"


def test_next_business_start_and_quiet_hours() -> None:
    def start(moment: datetime) -> datetime:
        return next_business_start(moment, OFFICE, no_holidays, BERLIN)

    inside = berlin(2026, 3, 10, 12, 34)
    assert start(inside) == inside
    assert is_business_time(inside, OFFICE, no_holidays, BERLIN)
    assert start(berlin(2026, 3, 10, 7, 0)) == berlin(2026, 3, 10, 9, 0)
    # Closing time itself is outside: windows are [start, end).
    assert start(berlin(2026, 3, 10, 17, 0)) == berlin(2026, 3, 11, 9, 0)
    assert not is_business_time(berlin(2026, 3, 10, 17, 0), OFFICE, no_holidays, BERLIN)
    assert start(berlin(2026, 3, 13, 22, 0)) == berlin(2026, 3, 16, 9, 0), "Friday night"


def test_a_calendar_without_any_business_hours_is_an_error_not_a_hang() -> None:
    with pytest.raises(ValueError, match="no business hours"):
        add_business_time(
            berlin(2026, 3, 10, 12, 0), timedelta(hours=1), OFFICE, lambda _: True, BERLIN
        )
    with pytest.raises(ValueError, match="negative"):
        add(berlin(2026, 3, 10, 12, 0), -1)
