"""`/leadfeedback survey …` for marketers, and the survey's part of the weekly digest."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.runtime.subcommands import Audience, CommandRequest, Subcommand, UsageError
from bot.slack.errors import slack_error
from bot.survey.jobs import send_now, team_holidays, user_infos
from bot.survey.results import SurveyResults, compile_results, export_csv
from bot.survey.schedule import next_opening
from messages.ids import Command
from messages.notices import notice
from messages.rendering import Mrkdwn, slack_date
from messages.slack_message import SlackMessage
from messages.survey import digest_blocks, month_name, results_message, status_message
from storage import surveys
from storage.survey_models import Survey

if TYPE_CHECKING:
    from bot.runtime.services import Services

logger = logging.getLogger(__name__)

COMMAND = Command.LEADFEEDBACK
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def subcommand(services: Services) -> Subcommand:
    return Subcommand(
        name="survey",
        usage="survey [results [YYYY-MM] | send | export [YYYY-MM]]",
        summary="The monthly survey of the reps: how the open one is going, its results, "
        "start one now, or every answer as CSV.",
        audience=Audience.MARKETERS,
        run=partial(run, services),
        examples=["survey", "survey results 2026-02", "survey export"],
    )


async def run(services: Services, request: CommandRequest) -> SlackMessage:
    verb = request.args[0].lower() if request.args else ""
    rest = request.args[1:]
    if verb in ("", "status"):
        _no_more(rest)
        return await status(services)
    if verb == "results":
        return await results(services, _month(rest))
    if verb == "send":
        _no_more(rest)
        return await send(services, request.user_id)
    if verb == "export":
        return await export(services, request.user_id, _month(rest))
    raise UsageError(f"`{verb}` is not one of status, results, send, export.")


def _no_more(rest: list[str]) -> None:
    if rest:
        raise UsageError(f"Unexpected `{' '.join(rest)}`.")


def _month(rest: list[str]) -> str | None:
    if not rest:
        return None
    if len(rest) > 1 or not MONTH.match(rest[0]):
        raise UsageError("Give the month as YYYY-MM, e.g. 2026-02.")
    return rest[0]


async def _find(services: Services, month: str | None) -> Survey | None:
    async with services.db.session() as session:
        if month is None:
            return await surveys.latest_survey(session)
        return await surveys.survey_for_month(session, month)


def _none_for(month: str | None) -> SlackMessage:
    if month is None:
        return notice(Mrkdwn(f"No survey has run yet. `{COMMAND} survey send` starts one now."))
    return notice(Mrkdwn(f"There was no survey in {month_name(month)}."))


async def status(services: Services) -> SlackMessage:
    team = services.settings.team
    now = services.clock.now()
    async with services.db.session() as session:
        survey = next(
            (s for s in await surveys.unclosed_surveys(session) if surveys.is_open(s, now)), None
        )
        if survey is not None:
            _, recipients, responses = await surveys.survey_inputs(session, survey.id or 0)
            return status_message(
                survey=survey,
                results=compile_results(survey, recipients, responses),
                asked=len(recipients),
                delivered=sum(r.dm_sent_at is not None for r in recipients),
                reminded=any(r.reminded_at is not None for r in recipients),
            )
        latest = await surveys.latest_survey(session)
    upcoming = None
    if team.survey.enabled:
        upcoming = next_opening(
            now,
            n=team.survey.day,
            at=team.survey.send_at,
            zone=team.zone,
            is_holiday=team_holidays(team),
        )
    return status_message(
        latest=latest if latest and latest.closed_at else None, next_opening=upcoming
    )


async def permalink(services: Services, survey: Survey) -> str | None:
    """A link to the survey's summary in the marketing channel, if it was posted."""
    if not survey.summary_channel or not survey.summary_ts:
        return None
    try:
        response = await services.client.chat_getPermalink(
            channel=survey.summary_channel, message_ts=survey.summary_ts
        )
    except SlackApiError as exc:
        logger.warning("no permalink for survey %s: %s", survey.month, slack_error(exc))
        return None
    return response.get("permalink")


async def _compiled(services: Services, survey: Survey) -> SurveyResults:
    async with services.db.session() as session:
        _, recipients, responses = await surveys.survey_inputs(session, survey.id or 0)
    return compile_results(survey, recipients, responses)


async def results(services: Services, month: str | None) -> SlackMessage:
    survey = await _find(services, month)
    if survey is None:
        return _none_for(month)
    return results_message(
        await _compiled(services, survey), permalink=await permalink(services, survey)
    )


async def send(services: Services, user_id: str) -> SlackMessage:
    opened = await send_now(services, user_id)
    if opened.survey is not None:
        return notice(
            Mrkdwn(
                f":incoming_envelope: The survey of {month_name(opened.survey.month)} is open: "
                f"{opened.asked} rep{'s' if opened.asked != 1 else ''} get a DM now. "
                f"It closes {slack_date(opened.survey.closes_at)}; "
                f"`{COMMAND} survey` shows how it is going."
            )
        )
    standing = opened.standing
    if standing is None:
        return notice(
            Mrkdwn(
                ":warning: Nobody to ask: `survey.reps`, `survey.reps_channel` and "
                "`sla.on_duty` in app.yaml name no active people."
            )
        )
    if standing.closed_at is None:
        return notice(
            Mrkdwn(
                f"The survey of {month_name(standing.month)} is still open until "
                f"{slack_date(standing.closes_at)}; `{COMMAND} survey` shows how it is going."
            )
        )
    return notice(
        Mrkdwn(
            f"{month_name(standing.month)} already had its survey (closed "
            f"{slack_date(standing.closed_at)}); one survey a month. "
            f"`{COMMAND} survey results {standing.month}` shows what the reps said."
        )
    )


async def export(services: Services, user_id: str, month: str | None) -> SlackMessage:
    survey = await _find(services, month)
    if survey is None:
        return _none_for(month)
    async with services.db.session() as session:
        responses = await surveys.responses(session, survey.id or 0)
    names: dict[str, str] = {}
    if not survey.anonymous:
        infos = await user_infos(services, [r.user_id for r in responses])
        names = {
            user: str(info.get("real_name") or info.get("name") or "")
            for user, info in infos.items()
            if info
        }
    filename = f"survey-{survey.month}.csv"
    dm = await services.client.conversations_open(users=user_id)
    await services.client.files_upload_v2(
        channel=dm["channel"]["id"],
        content=export_csv(survey, responses, names),
        filename=filename,
        title=f"Survey of {month_name(survey.month)}",
        initial_comment=f"Every answer to the survey of {month_name(survey.month)}, "
        f"{len(responses)} response{'s' if len(responses) != 1 else ''}"
        f"{' (anonymous)' if survey.anonymous else ''}.",
    )
    return notice(Mrkdwn(f":page_facing_up: Sent you `{filename}` in a DM."))


async def digest_section(
    services: Services, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Highlights of each survey that closed in [start, end), for the weekly digest."""
    async with services.db.session() as session:
        closed = await surveys.surveys_closed_between(session, start, end)
    blocks: list[dict[str, Any]] = []
    for survey in closed:
        blocks += digest_blocks(
            await _compiled(services, survey), permalink=await permalink(services, survey)
        )
    return blocks
