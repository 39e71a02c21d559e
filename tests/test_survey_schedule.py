"""When the survey opens: the first business day at 10:00 team time, once, even across restarts."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from bot.sandbox.fake_slack import FakeWorkspace
from bot.settings import Holidays
from bot.survey.schedule import business_day, next_opening, opening_time
from bot.timekeeping.business_calendar import holiday_checker
from bot.timekeeping.clock import ManualClock
from messages.survey_ids import SurveyActionId
from storage.kinds import OutboxKind
from storage.outbox import OutboxState
from tests.harness import BotServer, wait_for
from tests.survey_support import (
    ANA,
    BEN,
    BERLIN,
    GONE,
    OPENS,
    dms,
    outbox,
    recipients,
    survey_settings,
    surveys,
    sweep,
    wait_for_dms,
)

GERMANY = {"on_duty": {"usergroup": "S0REPS"}, "holidays": {"country": "DE"}}


def no_holidays(_: date) -> bool:
    return False


def test_business_days_skip_weekends_public_holidays_and_extra_dates() -> None:
    german = holiday_checker(Holidays(country="DE"))
    # 1 January 2026 is a Thursday and New Year's Day.
    assert business_day(2026, 1, 1, german) == date(2026, 1, 2)
    assert business_day(2026, 1, 2, german) == date(2026, 1, 5)
    with_extra = holiday_checker(Holidays(country="DE", extra=["2026-01-02"]))
    assert business_day(2026, 1, 1, with_extra) == date(2026, 1, 5)
    # 1 May 2026 is a Friday and Labour Day; March 2026 starts on a Sunday.
    assert business_day(2026, 5, 1, german) == date(2026, 5, 4)
    assert business_day(2026, 3, 1, no_holidays) == date(2026, 3, 2)
    assert business_day(2026, 5, 1, no_holidays) == date(2026, 5, 1)
    # More business days asked for than the month has: its last one.
    assert business_day(2026, 2, 99, no_holidays) == date(2026, 2, 27)


def test_opening_time_is_team_time_across_daylight_saving() -> None:
    at = time(10, 0)
    march = opening_time(2026, 3, n=1, at=at, zone=BERLIN, is_holiday=no_holidays)
    may = opening_time(2026, 5, n=1, at=at, zone=BERLIN, is_holiday=no_holidays)
    assert march == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # CET, UTC+1
    assert may == datetime(2026, 5, 1, 8, 0, tzinfo=UTC)  # CEST, UTC+2
    options: dict[str, Any] = {"n": 1, "at": at, "zone": BERLIN, "is_holiday": no_holidays}
    assert next_opening(march - timedelta(seconds=1), **options) == march
    assert next_opening(march, **options) == datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def test_the_survey_opens_on_the_first_business_day_at_ten_and_asks_each_rep_once(
    database_url: str, slack: Any, workspace: FakeWorkspace
) -> None:
    labour_day = datetime(2026, 5, 1, 10, 0, tzinfo=BERLIN)
    clock = ManualClock(labour_day)
    settings = survey_settings(database_url, slack.api_url, team={"sla": GERMANY})
    with BotServer(settings, clock=clock) as bot:
        sweep(bot)
        assert surveys(database_url) == [], "1 May is a public holiday in Germany"
        clock.set(datetime(2026, 5, 4, 9, 59, tzinfo=BERLIN))
        sweep(bot)
        assert surveys(database_url) == []

        clock.set(datetime(2026, 5, 4, 10, 0, tzinfo=BERLIN))
        sweep(bot)
        [survey] = surveys(database_url)
        assert survey.month == "2026-05" and survey.opened_by is None
        assert survey.closes_at - survey.opened_at == timedelta(days=7)
        assert survey.remind_at - survey.opened_at == timedelta(days=3)
        # S0REPS is ana, ben and gus, whose account is deactivated.
        assert sorted(r.user_id for r in recipients(database_url)) == [ANA, BEN]
        wait_for_dms(workspace, [ANA, BEN])
        message = dms(workspace, ANA)[0]
        assert SurveyActionId.OPEN in repr(message.blocks)
        assert "Share what customers said" in repr(message.blocks)
        assert workspace.dm_channel(GONE) is None

        for _ in range(3):
            sweep(bot)
        clock.advance(timedelta(days=1))
        sweep(bot)
        wait_for(
            lambda: all(
                m.state == OutboxState.SENT for m in outbox(database_url, OutboxKind.SURVEY_DM)
            ),
            what="every DM sent",
        )
        assert len(outbox(database_url, OutboxKind.SURVEY_DM)) == 2
        assert [len(dms(workspace, u)) for u in (ANA, BEN)] == [1, 1]
        assert len(surveys(database_url)) == 1


def test_a_restart_across_the_scheduled_time_catches_up_once(
    database_url: str, slack: Any, workspace: FakeWorkspace
) -> None:
    clock = ManualClock(OPENS - timedelta(minutes=1))
    settings = survey_settings(database_url, slack.api_url)
    with BotServer(settings, clock=clock) as bot:
        sweep(bot)
    assert surveys(database_url) == []
    clock.set(OPENS + timedelta(minutes=30))
    with BotServer(settings, clock=clock) as bot:
        # No explicit sweep: the scheduler's first run at start-up catches up.
        wait_for_dms(workspace, [ANA, BEN])
        sweep(bot)
        wait_for(
            lambda: all(
                m.state == OutboxState.SENT for m in outbox(database_url, OutboxKind.SURVEY_DM)
            ),
            what="every DM sent",
        )
    with BotServer(settings, clock=clock) as bot:
        sweep(bot)
    assert len(surveys(database_url)) == 1
    assert len(outbox(database_url, OutboxKind.SURVEY_DM)) == 2
    assert [len(dms(workspace, u)) for u in (ANA, BEN)] == [1, 1]


def test_a_bot_installed_after_the_survey_week_waits_for_next_month(
    database_url: str, slack: Any, workspace: FakeWorkspace
) -> None:
    clock = ManualClock(OPENS + timedelta(days=7, minutes=1))
    with BotServer(survey_settings(database_url, slack.api_url), clock=clock) as bot:
        sweep(bot)
        assert surveys(database_url) == []
        clock.set(datetime(2026, 4, 1, 10, 0, tzinfo=BERLIN))
        sweep(bot)
        assert [s.month for s in surveys(database_url)] == ["2026-04"]


def test_no_survey_when_the_schedule_is_off(
    database_url: str, slack: Any, workspace: FakeWorkspace
) -> None:
    clock = ManualClock(OPENS)
    with BotServer(survey_settings(database_url, slack.api_url, enabled=False), clock=clock) as bot:
        sweep(bot)
    assert surveys(database_url) == []


@pytest.mark.postgres
def test_two_schedulers_on_postgresql_send_each_dm_once(
    postgres_url: str, slack: Any, workspace: FakeWorkspace
) -> None:
    clock = ManualClock(OPENS)
    settings = survey_settings(postgres_url, slack.api_url)
    with BotServer(settings, clock=clock) as one, BotServer(settings, clock=clock) as two:
        barrier = threading.Barrier(4)

        def race(bot: BotServer) -> None:
            barrier.wait()
            sweep(bot)

        threads = [threading.Thread(target=race, args=(b,)) for b in (one, two, one, two)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wait_for(
            lambda: (
                len(outbox(postgres_url, OutboxKind.SURVEY_DM)) == 2
                and all(
                    m.state == OutboxState.SENT for m in outbox(postgres_url, OutboxKind.SURVEY_DM)
                )
            ),
            what="both DMs sent",
        )
        for bot in (one, two):
            sweep(bot)
    assert len(surveys(postgres_url)) == 1
    assert sorted(r.user_id for r in recipients(postgres_url)) == [ANA, BEN]
    assert [len(dms(workspace, u)) for u in (ANA, BEN)] == [1, 1]
    dm_calls = [c for c in workspace.calls("chat.postMessage") if c.ok]
    assert len(dm_calls) == 2
