"""How the survey's outbox messages reach Slack: DMs, reminders, the summary and its thread.

Each is rendered at send time from the database, so a DM delayed past the close
is dropped and a reminder to someone who answered meanwhile is not sent. The
summary's thread replies form a chain (each queues the next once posted), so
they appear in order even when several replicas deliver.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.runtime.deliveries import (
    UNREACHABLE,
    DeliveryContext,
    Drop,
    NotReady,
    Outcome,
    Sent,
    post_message,
    retry_after_seconds,
)
from bot.slack.errors import slack_error
from bot.survey.results import SurveyResults, compile_results
from messages.slack_message import SlackMessage
from messages.survey import summary_message, summary_parts, survey_dm
from storage import surveys
from storage.kinds import (
    OutboxKind,
    SurveyPartRef,
    SurveyRecipientRef,
    SurveyRef,
    read_payload,
    survey_summary_part_key,
)
from storage.models import OutboxMessage
from storage.outbox import enqueue
from storage.survey_models import Survey

# A 429 on one DM pauses all survey DMs of this process, not only that rep's:
# sending to every rep at once is exactly what the workspace limit is about.
FANOUT = "survey-dm-fanout"
THREAD_NOTE = "Every answer, question by question, is in the thread."


async def fanout_paused(ctx: DeliveryContext) -> NotReady | None:
    """Wait out a 429 without holding the message's lease (another replica could take it)."""
    wait = await ctx.pacer.paused_for(FANOUT)
    return NotReady(timedelta(seconds=wait), "survey DMs paused by a 429") if wait > 0 else None


async def post_dm(
    ctx: DeliveryContext, user_id: str, message: SlackMessage
) -> dict[str, Any] | Drop:
    """The DM as posted, or a Drop when Slack says this person can no longer get one."""
    try:
        return await post_message(ctx, user_id, **message.as_kwargs())
    except SlackApiError as exc:
        error = slack_error(exc)
        if exc.response.status_code == 429:
            await ctx.pacer.pause(FANOUT, retry_after_seconds(exc))
        elif error in UNREACHABLE:
            return Drop(f"cannot DM {user_id}: {error}")
        raise


def _ids(message: OutboxMessage) -> tuple[int, str]:
    ref = read_payload(SurveyRecipientRef, message.payload)
    return ref.survey_id, ref.user_id


async def deliver_dm(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    survey_id, user_id = _ids(message)
    async with ctx.db.session() as session:
        survey = await surveys.get_survey(session, survey_id)
        recipient = await surveys.recipient_of(session, survey_id, user_id)
    if survey is None or recipient is None:
        return Drop("survey or recipient no longer exists")
    if recipient.dm_ts:
        return Sent({"channel": recipient.dm_channel, "ts": recipient.dm_ts})
    if not surveys.is_open(survey, ctx.clock.now()):
        return Drop("the survey closed before the DM went out")
    if paused := await fanout_paused(ctx):
        return paused
    now = ctx.clock.now()
    posted = await post_dm(ctx, user_id, survey_dm(survey))
    if isinstance(posted, Drop):
        return posted

    async def record(session: AsyncSession) -> None:
        await surveys.record_dm(
            session,
            survey_id=survey_id,
            user_id=user_id,
            channel=posted["channel"],
            ts=posted["ts"],
            now=now,
        )

    return Sent(posted, record)


async def deliver_reminder(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    survey_id, user_id = _ids(message)
    async with ctx.db.session() as session:
        survey = await surveys.get_survey(session, survey_id)
        answered = await surveys.response_of(session, survey_id, user_id)
    if survey is None:
        return Drop("survey no longer exists")
    if answered is not None:
        return Drop("answered before the reminder went out")
    if not surveys.is_open(survey, ctx.clock.now()):
        return Drop("the survey closed before the reminder went out")
    if paused := await fanout_paused(ctx):
        return paused
    posted = await post_dm(ctx, user_id, survey_dm(survey, reminder=True))
    return posted if isinstance(posted, Drop) else Sent(posted)


async def _results(
    ctx: DeliveryContext, message: OutboxMessage
) -> tuple[Survey, SurveyResults] | None:
    async with ctx.db.session() as session:
        survey, recipients, responses = await surveys.survey_inputs(
            session, read_payload(SurveyRef, message.payload).survey_id
        )
    if survey is None:
        return None
    return survey, compile_results(survey, recipients, responses)


async def _queue_part(session: AsyncSession, survey_id: int, part: int, now: datetime) -> None:
    await enqueue(
        session,
        kind=OutboxKind.SURVEY_SUMMARY_PART,
        now=now,
        payload=SurveyPartRef(survey_id=survey_id, part=part),
        dedup_key=survey_summary_part_key(survey_id, part),
    )


async def deliver_summary(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    found = await _results(ctx, message)
    if found is None:
        return Drop("survey no longer exists")
    survey, results = found
    if survey.summary_ts:
        return Sent({"channel": survey.summary_channel, "ts": survey.summary_ts})
    has_thread = bool(summary_parts(results))
    summary = summary_message(results, where_answers=THREAD_NOTE if has_thread else "")
    posted = await post_message(ctx, ctx.settings.team.channels.marketing, **summary.as_kwargs())
    now = ctx.clock.now()

    async def record(session: AsyncSession) -> None:
        await surveys.record_summary(
            session, survey_id=survey.id or 0, channel=posted["channel"], ts=posted["ts"]
        )
        if has_thread:
            await _queue_part(session, survey.id or 0, 0, now)

    return Sent(posted, record)


async def deliver_summary_part(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    found = await _results(ctx, message)
    if found is None:
        return Drop("survey no longer exists")
    survey, results = found
    part = read_payload(SurveyPartRef, message.payload).part
    if not survey.summary_ts or not survey.summary_channel:
        return NotReady(timedelta(seconds=5), "summary not posted yet")
    parts = summary_parts(results)
    if part >= len(parts):
        return Drop(f"the summary has {len(parts)} parts")
    posted = await post_message(
        ctx, survey.summary_channel, thread_ts=survey.summary_ts, **parts[part].as_kwargs()
    )
    now = ctx.clock.now()

    async def next_part(session: AsyncSession) -> None:
        if part + 1 < len(parts):
            await _queue_part(session, survey.id or 0, part + 1, now)

    return Sent(posted, next_part)
