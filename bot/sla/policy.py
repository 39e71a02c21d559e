"""When a lead's response is due, and what the SLA clock does on the way there.

A lead's card is posted at `posted_at`; its deadline is `sla.respond_within`
later, counted in business time when `sla.business_hours` is set (see
bot.timekeeping.business_calendar). Between the two the clock has a fixed plan of steps:

- due_soon: the card starts to say "Due soon" (the moment `sla_status` below
  flips), so the card is refreshed;
- nudge: one per offset in `sla.nudge_before`, that long (real time) before the
  deadline. A nudge that falls outside business hours waits for the next
  opening, unless that is at or after the deadline; then it keeps its moment.
  An offset that reaches back to the posting itself is left out;
- breach: the deadline.

A rejection overturned after marketing's dispute hands the lead back to sales:
its clock starts again at that moment with the whole window of its policy
(`restart_clock`), counted from `Lead.sla_started_at` instead of the posting.

The plan depends only on the clock's start, due_at and app.yaml, so the database
keeps just the moment of the next step (`Lead.sla_next_at`) and every replica
derives the rest. Pure functions: no clock, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.settings import TeamConfig
from bot.timekeeping.business_calendar import (
    IsHoliday,
    WorkingWeek,
    add_business_time,
    holiday_checker,
    is_business_time,
    next_business_start,
)
from storage.models import OPEN_STATES, Lead
from storage.sla import ClockRestart

# The last quarter of a lead's window counts as "due soon".
DUE_SOON_FRACTION = 0.25


class SlaStatus(StrEnum):
    """Where a lead stands against its deadline; the one answer to "is it overdue?"."""

    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    # Decided (the deadline was met or missed for good), or never posted.
    CLOSED = "closed"


def clock_start(lead: Lead) -> datetime | None:
    """When the lead's current SLA clock started: its card's posting, or the restart."""
    return lead.sla_started_at or lead.posted_at


def sla_status(lead: Lead, now: datetime) -> SlaStatus:
    if lead.state not in OPEN_STATES or lead.due_at is None:
        return SlaStatus.CLOSED
    if now >= lead.due_at:
        return SlaStatus.OVERDUE
    window = lead.due_at - (clock_start(lead) or lead.created_at)
    if lead.due_at - now <= window * DUE_SOON_FRACTION:
        return SlaStatus.DUE_SOON
    return SlaStatus.ON_TIME


def is_overdue(lead: Lead, now: datetime) -> bool:
    return sla_status(lead, now) is SlaStatus.OVERDUE


class StepKind(StrEnum):
    DUE_SOON = "due_soon"
    NUDGE = "nudge"
    BREACH = "breach"


_ORDER = {StepKind.DUE_SOON: 0, StepKind.NUDGE: 1, StepKind.BREACH: 2}


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: StepKind
    # How long before the deadline a nudge was planned (its identity, even when deferred).
    offset: timedelta | None = None

    def sort_key(self) -> tuple[datetime, int, timedelta]:
        return (self.at, _ORDER[self.kind], -(self.offset or timedelta(0)))


@dataclass(frozen=True)
class BusinessCalendar:
    hours: WorkingWeek
    is_holiday: IsHoliday
    zone: ZoneInfo

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return add_business_time(start, duration, self.hours, self.is_holiday, self.zone)

    def next_start(self, moment: datetime) -> datetime:
        return next_business_start(moment, self.hours, self.is_holiday, self.zone)

    def is_open(self, moment: datetime) -> bool:
        return is_business_time(moment, self.hours, self.is_holiday, self.zone)


@dataclass(frozen=True)
class SlaPolicy:
    respond_within: timedelta
    nudge_before: tuple[timedelta, ...]
    calendar: BusinessCalendar | None

    @classmethod
    def of(cls, team: TeamConfig, tier_id: str | None = None) -> SlaPolicy:
        sla = team.sla
        calendar = None
        if sla.business_hours is not None:
            hours = sla.business_hours
            calendar = BusinessCalendar(
                hours=WorkingWeek.of(hours.days, hours.start, hours.end),
                is_holiday=holiday_checker(sla.holidays),
                zone=ZoneInfo(hours.timezone or team.timezone),
            )
        tier = sla.tier(tier_id)
        if tier is not None:
            # An assigned lead's tier (routing): its own window, in business time or not.
            calendar = calendar if tier.business_hours else None
            return cls(tier.respond_within, tuple(tier.nudge_before), calendar)
        return cls(sla.respond_within, tuple(sla.nudge_before), calendar)

    def deadline(self, posted_at: datetime) -> datetime:
        if self.calendar is None:
            return posted_at + self.respond_within
        return self.calendar.add(posted_at, self.respond_within)

    def steps(self, posted_at: datetime, due_at: datetime) -> list[Step]:
        """The plan of a lead posted at `posted_at` and due at `due_at`, in order."""
        steps = [
            Step(due_at - (due_at - posted_at) * DUE_SOON_FRACTION, StepKind.DUE_SOON),
            Step(due_at, StepKind.BREACH),
        ]
        for offset in self.nudge_before:
            moment = due_at - offset
            if moment <= posted_at:
                continue
            if self.calendar is not None and not self.calendar.is_open(moment):
                opening = self.calendar.next_start(moment)
                if opening < due_at:
                    moment = opening
            steps.append(Step(moment, StepKind.NUDGE, offset))
        return sorted(steps, key=Step.sort_key)


# Building a policy reads the holiday tables; do it once per configuration.
_POLICIES: dict[str, SlaPolicy] = {}


def sla_policy(team: TeamConfig, tier_id: str | None = None) -> SlaPolicy:
    """The policy of a lead; `tier_id` is its routing tier (`sla.tiers`), if it has one."""
    key = team.model_dump_json(include={"timezone", "sla"}) + f"/{tier_id or ''}"
    policy = _POLICIES.get(key)
    if policy is None:
        policy = _POLICIES[key] = SlaPolicy.of(team, tier_id)
    return policy


@dataclass(frozen=True)
class ClockStart:
    """What a lead's SLA clock starts with when its card is posted."""

    posted_at: datetime
    due_at: datetime
    # When the sweep first has work for the lead (its `sla_next_at`).
    next_at: datetime


def start_clock(posted_at: datetime, team: TeamConfig, tier_id: str | None = None) -> ClockStart:
    policy = sla_policy(team, tier_id)
    due_at = policy.deadline(posted_at)
    return ClockStart(posted_at, due_at, policy.steps(posted_at, due_at)[0].at)


def restart_clock(now: datetime, team: TeamConfig, tier_id: str | None = None) -> ClockRestart:
    """A lead handed back to sales at `now` (an overturned rejection): the whole window of
    its policy again, as if its card had just been posted; storage writes it."""
    clock = start_clock(now, team, tier_id)
    return ClockRestart(started_at=now, due_at=clock.due_at, next_at=clock.next_at)
