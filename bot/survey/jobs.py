"""The survey's sweep: open the month's survey, ask each rep, remind once, close once.

The sweep asks the database what is due with the injected clock; every step
records itself under a unique key (the month, the rep, the summary), so two
replicas, a restart across the scheduled time or a late run change nothing
twice. Slack is asked who the reps are once per survey, outside any session.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.runtime.deliveries import retry_after_seconds
from bot.settings import Holidays, People, TeamConfig
from bot.slack.errors import slack_error
from bot.survey.schedule import month_key, opening_time
from bot.timekeeping.business_calendar import IsHoliday, holiday_checker
from storage import surveys
from storage.survey_models import Survey

if TYPE_CHECKING:
    from bot.runtime.services import Services

logger = logging.getLogger(__name__)

# users.info is Tier 4 (100+ a minute): a few at a time, waiting out any 429.
LOOKUP_CONCURRENCY = 5
LOOKUP_ATTEMPTS = 5
MEMBERS_PAGE = 200
SLACKBOT = "USLACKBOT"


@functools.lru_cache(maxsize=8)
def _holidays(country: str | None, subdivision: str | None, extra: tuple[str, ...]) -> IsHoliday:
    return holiday_checker(Holidays(country=country, subdivision=subdivision, extra=list(extra)))


def team_holidays(team: TeamConfig) -> IsHoliday:
    config = team.sla.holidays
    return _holidays(config.country, config.subdivision, tuple(config.extra))


def scheduled_opening(team: TeamConfig, now: datetime) -> datetime:
    """When this month's survey is due (in the team's time zone)."""
    local = now.astimezone(team.zone)
    return opening_time(
        local.year,
        local.month,
        n=team.survey.day,
        at=team.survey.send_at,
        zone=team.zone,
        is_holiday=team_holidays(team),
    )


async def sweep(services: Services) -> None:
    now = services.clock.now()
    await open_scheduled(services, now)
    async with services.db.session() as session:
        unclosed = await surveys.unclosed_surveys(session)
    for survey in unclosed:
        async with services.db.session() as session:
            # Close first: a bot that was down past the close sends no late reminders.
            if now >= survey.closes_at:
                await surveys.close_survey(session, survey, now=now)
            elif survey.remind_at is not None and now >= survey.remind_at:
                await surveys.queue_reminders(session, survey, now=now)
    services.outbox.wake()


async def _standing(session: AsyncSession, month: str, now: datetime) -> Survey | None:
    """A survey that keeps a new one from opening: one still open, or this month's."""
    for survey in await surveys.unclosed_surveys(session):
        if surveys.is_open(survey, now):
            return survey
    return await surveys.survey_for_month(session, month)


async def open_scheduled(services: Services, now: datetime) -> Survey | None:
    """Open this month's survey once its time has come, unless one is still open.

    A survey still open from a late `survey send` holds this month's back until
    it closes; the month's survey then opens at the next sweep (if still in time).
    """
    team = services.settings.team
    if not team.survey.enabled:
        return None
    month = month_key(now, team.zone)
    async with services.db.session() as session:
        if await _standing(session, month, now) is not None:
            return None
    due = scheduled_opening(team, now)
    # A bot that was down at the scheduled time catches up, but only while the
    # survey would still be open: one installed mid-month waits for next month.
    if not due <= now < due + team.survey.open_for:
        return None
    return (await _open_with_reps(services, month, now, opened_by=None)).survey


@dataclass(frozen=True)
class Opened:
    survey: Survey | None  # None: not opened (see `standing`, or nobody to ask)
    asked: int = 0
    standing: Survey | None = None  # the survey that kept this one from opening


async def send_now(services: Services, user_id: str) -> Opened:
    """`survey send`: open a survey for this month now, outside the schedule."""
    now = services.clock.now()
    month = month_key(now, services.settings.team.zone)
    async with services.db.session() as session:
        standing = await _standing(session, month, now)
    if standing is not None:
        return Opened(None, standing=standing)
    return await _open_with_reps(services, month, now, opened_by=user_id)


async def _open_with_reps(
    services: Services, month: str, now: datetime, *, opened_by: str | None
) -> Opened:
    """Ask Slack who the reps are, then open the survey and queue their DMs at once.

    Several replicas may get here together; the month's unique key lets one
    open it, and the others' lookups are simply dropped.
    """
    team = services.settings.team
    reps = await active_reps(services)
    if not reps:
        logger.warning(
            "survey %s: nobody to ask (survey.reps, survey.reps_channel or sla.on_duty name "
            "no active people); not opened",
            month,
        )
        return Opened(None)
    async with services.db.session() as session:
        terms = surveys.SurveyTerms(
            open_for=team.survey.open_for,
            remind_after=team.survey.remind_after,
            anonymous=team.survey.anonymous,
            questions=[q.model_dump() for q in team.survey.questions],
        )
        survey = await surveys.open_survey(
            session, month=month, now=now, terms=terms, opened_by=opened_by
        )
        if survey is None:
            return Opened(None, standing=await surveys.survey_for_month(session, month))
        await surveys.add_recipients(session, survey, reps, now=now)
    logger.info("survey %s opened; %d reps asked", month, len(reps))
    services.outbox.wake()
    return Opened(survey, asked=len(reps))


def rep_source(team: TeamConfig) -> People:
    """Who the reps are: survey.reps, or the reps on duty for leads when none are named."""
    survey = team.survey
    if survey.reps.users or survey.reps.usergroup or survey.reps_channel:
        return survey.reps
    return team.sla.on_duty


async def active_reps(services: Services) -> list[str]:
    """The reps as Slack knows them now: no deactivated accounts, no bots."""
    team = services.settings.team
    candidates = set(await services.directory.members(rep_source(team)))
    if team.survey.reps_channel:
        candidates |= await channel_members(services, team.survey.reps_channel)
    candidates.discard(SLACKBOT)
    people = await user_infos(services, sorted(candidates))
    return [
        user_id
        for user_id, info in people.items()
        if info and not info.get("deleted") and not info.get("is_bot")
    ]


async def channel_members(services: Services, channel: str) -> set[str]:
    members: set[str] = set()
    cursor: str | None = None
    while True:
        response = await _with_retries(
            lambda c=cursor: services.client.conversations_members(
                channel=channel, limit=MEMBERS_PAGE, cursor=c
            )
        )
        members.update(response.get("members") or [])
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return members


async def user_infos(services: Services, user_ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """users.info for each id (None for unknown users), a few at a time."""
    gate = asyncio.Semaphore(LOOKUP_CONCURRENCY)

    async def one(user_id: str) -> dict[str, Any] | None:
        async with gate:
            try:
                response = await _with_retries(lambda: services.client.users_info(user=user_id))
            except SlackApiError as exc:
                if slack_error(exc) == "user_not_found":
                    return None
                raise
            return dict(response.get("user") or {})

    found = await asyncio.gather(*(one(u) for u in user_ids))
    return dict(zip(user_ids, found, strict=True))


async def _with_retries(call: Any) -> Any:
    """A Slack read, waiting out rate limits (429 with Retry-After) a few times."""
    for attempt in range(LOOKUP_ATTEMPTS):
        try:
            return await call()
        except SlackApiError as exc:
            if exc.response.status_code != 429 or attempt == LOOKUP_ATTEMPTS - 1:
                raise
            await asyncio.sleep(retry_after_seconds(exc, default=1.0))
    raise AssertionError("unreachable")
