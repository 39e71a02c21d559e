"""Reporting periods in the team's time zone, and the one each is compared with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.timekeeping.periods import (
    PeriodError,
    days_of,
    digest_week,
    iso_week,
    parse_iso_week,
    parse_period,
)

BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
NOW = datetime(2025, 3, 12, 12, 0, tzinfo=UTC)  # Wednesday, 13:00 in Berlin


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_rolling_days_end_now_against_the_same_length_before() -> None:
    period = parse_period("7d", now=NOW, zone=BERLIN)
    assert (period.start, period.end) == (NOW - timedelta(days=7), NOW)
    assert (period.previous_start, period.previous_end) == (
        NOW - timedelta(days=14),
        NOW - timedelta(days=7),
    )
    assert (period.label, period.previous_label, period.complete) == (
        "the last 7 days",
        "the 7 days before",
        False,
    )
    assert parse_period(None, now=NOW, zone=BERLIN, default="30d").key == "30d"
    assert parse_period("90D", now=NOW, zone=BERLIN).start == NOW - timedelta(days=90)


def test_a_month_to_date_is_compared_with_the_same_stretch_of_the_month_before() -> None:
    march = parse_period("2025-03", now=NOW, zone=BERLIN)
    assert (march.start, march.end) == (utc(2025, 2, 28, 23), NOW)
    assert march.label == "March 2025 to date" and not march.complete
    # 11 days 13 hours into March -> the same into February, local time.
    assert (march.previous_start, march.previous_end) == (
        utc(2025, 1, 31, 23),
        utc(2025, 2, 12, 12),
    )
    february = parse_period("2025-02", now=NOW, zone=BERLIN)
    assert (february.start, february.end, february.complete) == (
        utc(2025, 1, 31, 23),
        utc(2025, 2, 28, 23),
        True,
    )
    assert (february.previous_start, february.previous_end) == (
        utc(2024, 12, 31, 23),
        utc(2025, 1, 31, 23),
    )
    assert february.previous_label == "January 2025"


def test_quarters_across_a_daylight_saving_change() -> None:
    quarter = parse_period("quarter", now=NOW, zone=BERLIN)
    assert (quarter.start, quarter.label) == (utc(2024, 12, 31, 23), "Q1 2025 to date")
    # Q4 began at 00:00 CEST (UTC+2); 70 days 13 hours later it was CET again.
    assert (quarter.previous_start, quarter.previous_end) == (
        utc(2024, 9, 30, 22),
        utc(2024, 12, 10, 12),
    )
    q4 = parse_period("2024-q4", now=NOW, zone=BERLIN)
    assert (q4.start, q4.end, q4.key) == (utc(2024, 9, 30, 22), utc(2024, 12, 31, 23), "2024-Q4")


def test_iso_weeks_follow_local_midnights() -> None:
    week = parse_period("2025-W10", now=NOW, zone=BERLIN)
    assert (week.start, week.end) == (utc(2025, 3, 2, 23), utc(2025, 3, 9, 23))
    assert week.label == "week 2025-W10 (3 Mar to 9 Mar)"
    assert week.previous_label == "week 2025-W09"
    # In Los Angeles the clocks went forward on Sunday 9 March: a 167-hour week,
    # and 23:30 on that Sunday (06:30 UTC on Monday) still belongs to it.
    pacific = iso_week(2025, 10, now=NOW, zone=LOS_ANGELES)
    assert (pacific.start, pacific.end) == (utc(2025, 3, 3, 8), utc(2025, 3, 10, 7))
    sunday_night = datetime(2025, 3, 9, 23, 30, tzinfo=LOS_ANGELES)
    assert pacific.start <= sunday_night < pacific.end
    assert sunday_night.astimezone(UTC).isocalendar().week == 11  # a UTC week would miss it
    days = days_of(pacific, LOS_ANGELES)
    assert [d.isoformat() for d, _, _ in days][0::6] == ["2025-03-03", "2025-03-09"]
    assert days[-1][2] - days[-1][1] == timedelta(hours=23)


def test_the_digest_reports_the_last_full_week() -> None:
    monday_morning = datetime(2025, 3, 10, 0, 30, tzinfo=BERLIN)
    assert digest_week(monday_morning.astimezone(UTC), BERLIN).key == "2025-W10"
    sunday_night = datetime(2025, 3, 9, 23, 59, tzinfo=BERLIN)
    assert digest_week(sunday_night.astimezone(UTC), BERLIN).key == "2025-W09"
    assert parse_iso_week("2025-w09", now=NOW, zone=BERLIN).key == "2025-W09"
    new_year = datetime(2021, 1, 4, 9, tzinfo=BERLIN)  # 2020 had 53 ISO weeks
    assert digest_week(new_year.astimezone(UTC), BERLIN).key == "2020-W53"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("13x", "is not a period"),
        ("2025-13", "no month 13"),
        ("2025-W53", "has no ISO week 53"),
        ("2030-01", "has not started yet"),
        ("2025-W12", "has not started yet"),
        ("0d", "between 1d and 366d"),
        ("367d", "between 1d and 366d"),
        ("1999-01", "outside the years"),
    ],
)
def test_what_is_not_a_period_says_what_would_be(text: str, problem: str) -> None:
    with pytest.raises(PeriodError, match=problem):
        parse_period(text, now=NOW, zone=BERLIN)
