"""The demo's clock: real time plus what the visitor fast-forwarded, and where a jump lands.

The bot's jobs decide from the clock what is due. The weekly digest is due on its day
from `digest.at` on, and only that day; the month's survey opens at `survey.send_at`.
A jump that lands at 07:00 on digest day shows nothing, so a jump of whole days lands
no earlier than the hour at which that day's scheduled posts are due.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

from bot.feedback.digest import WEEKDAYS
from bot.settings import TeamConfig
from bot.survey.jobs import team_holidays
from bot.survey.schedule import next_opening
from bot.timekeeping.clock import ManualClock

DAY = timedelta(days=1)


class DemoTime:
    """The bot's clock in the demo: real time plus what the visitor fast-forwarded.

    The fake workspace stamps messages with real time; `at` maps such a moment to the
    demo time it was then, so the page shows each message at the bot's time.
    """

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        # A clock started at another moment (tests start on a chosen day) is ahead of
        # real time from the first message on; that is not the visitor's doing.
        self._base = round((clock.now() - datetime.now(UTC)).total_seconds(), 3)
        # (real epoch from which, seconds ahead of real time), oldest first.
        self._shifts: list[tuple[float, float]] = [(0.0, self._base)]

    @property
    def version(self) -> int:
        return len(self._shifts) - 1

    @property
    def offset(self) -> float:
        """How far the visitor has moved the clock, in seconds."""
        return self._shifts[-1][1] - self._base

    def now(self) -> datetime:
        return self.clock.now()

    def fast_forward(self, delta: timedelta) -> datetime:
        now = self.clock.advance(delta)
        self._shifts.append((time.time(), self._shifts[-1][1] + delta.total_seconds()))
        return now

    def move_to(self, moment: datetime) -> datetime:
        """Forward to `moment`; a moment already past leaves the clock as it is."""
        delta = moment - self.clock.now()
        return self.fast_forward(delta) if delta > timedelta(0) else self.clock.now()

    def at(self, real_epoch: float) -> float:
        """The demo time (epoch seconds) at real moment `real_epoch`."""
        offset = 0.0
        for since, shift in self._shifts:
            if since > real_epoch:
                break
            offset = shift
        return real_epoch + offset


def posting_hour(team: TeamConfig) -> clock_time | None:
    """The time of day by which every scheduled post of a day is due (None: none is on)."""
    hours = []
    if team.digest.enabled and team.channels.alignment:
        hours.append(team.digest.at)
    if team.survey.enabled:
        hours.append(team.survey.send_at)
    return max(hours, default=None)


def landing(team: TeamConfig, now: datetime, by: timedelta) -> datetime:
    """Where a jump of `by` from `now` lands.

    `now + by`; but a jump of whole days lands no earlier than `posting_hour` on its
    day, so "+1 day" from a Sunday morning shows Monday's digest (and a survey that
    opens that day) instead of stopping two hours short of it.
    """
    target = now + by
    hour = posting_hour(team)
    if hour is None or by % DAY:
        return target
    local_day = target.astimezone(team.zone).date()
    return max(target, _local(local_day, hour, team))


def scheduled_moments(team: TeamConfig, after: datetime, until: datetime) -> list[datetime]:
    """When the digest falls due and the survey opens, in (after, until], oldest first."""
    moments: list[datetime] = []
    if team.digest.enabled and team.channels.alignment:
        weekday = WEEKDAYS.index(team.digest.day)
        day = after.astimezone(team.zone).date()
        while day <= until.astimezone(team.zone).date():
            moment = _local(day, team.digest.at, team)
            if day.weekday() == weekday and after < moment <= until:
                moments.append(moment)
            day += DAY
    if team.survey.enabled:
        survey = team.survey
        moment = after
        while (
            moment := next_opening(
                moment,
                n=survey.day,
                at=survey.send_at,
                zone=team.zone,
                is_holiday=team_holidays(team),
            )
        ) <= until:
            moments.append(moment)
    return sorted(moments)


def _local(day: date, hour: clock_time, team: TeamConfig) -> datetime:
    return datetime.combine(day, hour, tzinfo=team.zone).astimezone(UTC)
