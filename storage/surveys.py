"""The survey's rules in the database: open once a month, ask each rep once, close once.

Every once-only step is a unique row inserted in the same transaction as the
state it depends on (the month's survey, a recipient and their DM, the summary),
so replicas sweeping together, a restart, or `survey send` racing the schedule
all end with one of each. Functions take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.kinds import (
    OutboxKind,
    SurveyRecipientRef,
    SurveyRef,
    survey_dm_key,
    survey_reminder_key,
    survey_summary_key,
)
from storage.outbox import enqueue
from storage.refusals import Refusal
from storage.survey_models import Survey, SurveyRecipient, SurveyResponse


class SurveyClosed(Refusal):
    def __init__(self, survey: Survey) -> None:
        super().__init__(f"survey {survey.month} is closed")
        self.survey = survey


class NotARecipient(Refusal):
    def __init__(self, survey: Survey, user_id: str) -> None:
        super().__init__(f"{user_id} was not asked in survey {survey.month}")
        self.survey = survey


async def _insert(session: AsyncSession, model: type[Any]) -> Any:
    connection = await session.connection()
    return (pg_insert if connection.dialect.name == "postgresql" else sqlite_insert)(model)


def is_open(survey: Survey, now: datetime) -> bool:
    return survey.closed_at is None and now < survey.closes_at


# ----------------------------------------------------------------------- reading


async def get_survey(session: AsyncSession, survey_id: int) -> Survey | None:
    return await session.get(Survey, survey_id)


async def survey_for_month(session: AsyncSession, month: str) -> Survey | None:
    return (await session.exec(select(Survey).where(Survey.month == month))).first()


async def latest_survey(session: AsyncSession) -> Survey | None:
    return (
        await session.exec(select(Survey).order_by(col(Survey.opened_at).desc()).limit(1))
    ).first()


async def unclosed_surveys(session: AsyncSession) -> list[Survey]:
    """Surveys the sweep still has work on (they may be past closes_at)."""
    rows = await session.exec(
        select(Survey).where(col(Survey.closed_at).is_(None)).order_by(col(Survey.id))
    )
    return list(rows.all())


async def surveys_closed_between(
    session: AsyncSession, start: datetime, end: datetime
) -> list[Survey]:
    rows = await session.exec(
        select(Survey)
        .where(col(Survey.closed_at) >= start, col(Survey.closed_at) < end)
        .order_by(col(Survey.closed_at))
    )
    return list(rows.all())


async def recipients(session: AsyncSession, survey_id: int) -> list[SurveyRecipient]:
    rows = await session.exec(
        select(SurveyRecipient)
        .where(SurveyRecipient.survey_id == survey_id)
        .order_by(col(SurveyRecipient.id))
    )
    return list(rows.all())


async def responses(session: AsyncSession, survey_id: int) -> list[SurveyResponse]:
    rows = await session.exec(
        select(SurveyResponse)
        .where(SurveyResponse.survey_id == survey_id)
        .order_by(col(SurveyResponse.submitted_at), col(SurveyResponse.id))
    )
    return list(rows.all())


async def response_of(session: AsyncSession, survey_id: int, user_id: str) -> SurveyResponse | None:
    rows = await session.exec(
        select(SurveyResponse).where(
            SurveyResponse.survey_id == survey_id, SurveyResponse.user_id == user_id
        )
    )
    return rows.first()


async def recipient_of(
    session: AsyncSession, survey_id: int, user_id: str
) -> SurveyRecipient | None:
    rows = await session.exec(
        select(SurveyRecipient).where(
            SurveyRecipient.survey_id == survey_id, SurveyRecipient.user_id == user_id
        )
    )
    return rows.first()


# ----------------------------------------------------------------------- writing


@dataclass(frozen=True)
class SurveyTerms:
    """What a survey is fixed to when it opens (from app.yaml's `survey:` at that moment)."""

    open_for: timedelta
    remind_after: timedelta | None
    anonymous: bool
    questions: list[dict[str, Any]]


async def open_survey(
    session: AsyncSession,
    *,
    month: str,
    now: datetime,
    terms: SurveyTerms,
    opened_by: str | None = None,
) -> Survey | None:
    """Open the month's survey; None when that month already has one (someone else won)."""
    values = {
        "month": month,
        "opened_at": now,
        "closes_at": now + terms.open_for,
        "remind_at": now + terms.remind_after if terms.remind_after else None,
        "closed_at": None,
        "anonymous": terms.anonymous,
        "questions": terms.questions,
        "opened_by": opened_by,
        "summary_channel": None,
        "summary_ts": None,
    }
    insert = await _insert(session, Survey)
    result = await session.exec(
        insert.values(**values).on_conflict_do_nothing(index_elements=["month"])
    )
    if not result.rowcount:
        return None
    return await survey_for_month(session, month)


async def add_recipients(
    session: AsyncSession, survey: Survey, user_ids: Iterable[str], *, now: datetime
) -> int:
    """Record who is asked and queue one DM each; returns how many DMs were newly queued."""
    survey_id = survey.id or 0
    queued = 0
    insert = await _insert(session, SurveyRecipient)
    for user_id in dict.fromkeys(user_ids):
        row = insert.values(survey_id=survey_id, user_id=user_id, added_at=now)
        await session.exec(row.on_conflict_do_nothing(index_elements=["survey_id", "user_id"]))
        queued += await enqueue(
            session,
            kind=OutboxKind.SURVEY_DM,
            now=now,
            payload=SurveyRecipientRef(survey_id=survey_id, user_id=user_id),
            dedup_key=survey_dm_key(survey_id, user_id),
        )
    return queued


async def queue_reminders(session: AsyncSession, survey: Survey, *, now: datetime) -> int:
    """One reminder to each rep who has not answered; returns how many were queued.

    A rep is reminded `remind_after` after their own DM went out, so one whose
    DM was held up (Slack down for a day) does not get both back to back.
    """
    survey_id = survey.id or 0
    if survey.remind_at is None:
        return 0
    remind_after = survey.remind_at - survey.opened_at  # as app.yaml said at the opening
    answered = select(SurveyResponse.user_id).where(SurveyResponse.survey_id == survey_id)
    due = await session.exec(
        select(SurveyRecipient).where(
            SurveyRecipient.survey_id == survey_id,
            col(SurveyRecipient.dm_sent_at) <= now - remind_after,
            col(SurveyRecipient.reminded_at).is_(None),
            col(SurveyRecipient.user_id).not_in(answered),
        )
    )
    queued = 0
    for recipient in due.all():
        claimed = await session.exec(
            update(SurveyRecipient)
            .where(
                col(SurveyRecipient.id) == recipient.id,
                col(SurveyRecipient.reminded_at).is_(None),
            )
            .values(reminded_at=now)
        )
        if claimed.rowcount:
            queued += await enqueue(
                session,
                kind=OutboxKind.SURVEY_REMINDER,
                now=now,
                payload=SurveyRecipientRef(survey_id=survey_id, user_id=recipient.user_id),
                dedup_key=survey_reminder_key(survey_id, recipient.user_id),
            )
    return queued


async def close_survey(session: AsyncSession, survey: Survey, *, now: datetime) -> bool:
    """Close it and queue the summary for marketing; False if it was already closed."""
    result = await session.exec(
        update(Survey)
        .where(col(Survey.id) == survey.id, col(Survey.closed_at).is_(None))
        .values(closed_at=now)
    )
    if not result.rowcount:
        return False
    await enqueue(
        session,
        kind=OutboxKind.SURVEY_SUMMARY,
        now=now,
        payload=SurveyRef(survey_id=survey.id or 0),
        dedup_key=survey_summary_key(survey.id or 0),
    )
    return True


async def save_response(
    session: AsyncSession,
    *,
    survey_id: int,
    user_id: str,
    answers: dict[str, str],
    rating: int | None,
    now: datetime,
) -> bool:
    """Store (or replace) a rep's answers while the survey is open; True if it was new.

    The survey row is read FOR SHARE so that closing it waits for this answer to
    commit, and an answer arriving after the close sees it closed.
    """
    survey = (
        await session.exec(
            select(Survey).where(col(Survey.id) == survey_id).with_for_update(read=True)
        )
    ).first()
    if survey is None:
        raise LookupError(f"no survey {survey_id}")
    if not is_open(survey, now):
        # Detached as loaded, so the answer can still read it after the rollback.
        session.expunge(survey)
        raise SurveyClosed(survey)
    if await recipient_of(session, survey_id, user_id) is None:
        session.expunge(survey)
        raise NotARecipient(survey, user_id)
    existing = await response_of(session, survey_id, user_id)
    insert = await _insert(session, SurveyResponse)
    await session.exec(
        insert.values(
            survey_id=survey_id,
            user_id=user_id,
            answers=answers,
            rating=rating,
            submitted_at=now,
            updated_at=now,
        ).on_conflict_do_update(
            index_elements=["survey_id", "user_id"],
            set_={"answers": answers, "rating": rating, "updated_at": now},
        )
    )
    return existing is None


async def record_dm(
    session: AsyncSession, *, survey_id: int, user_id: str, channel: str, ts: str, now: datetime
) -> None:
    await session.exec(
        update(SurveyRecipient)
        .where(
            SurveyRecipient.survey_id == survey_id,
            SurveyRecipient.user_id == user_id,
            col(SurveyRecipient.dm_ts).is_(None),
        )
        .values(dm_sent_at=now, dm_channel=channel, dm_ts=ts)
    )


async def record_summary(session: AsyncSession, *, survey_id: int, channel: str, ts: str) -> None:
    await session.exec(
        update(Survey)
        .where(col(Survey.id) == survey_id, col(Survey.summary_ts).is_(None))
        .values(summary_channel=channel, summary_ts=ts)
    )


async def survey_inputs(
    session: AsyncSession, survey_id: int
) -> tuple[Survey | None, Sequence[SurveyRecipient], Sequence[SurveyResponse]]:
    """A survey with everything its results are computed from."""
    survey = await get_survey(session, survey_id)
    if survey is None:
        return None, [], []
    return survey, await recipients(session, survey_id), await responses(session, survey_id)
