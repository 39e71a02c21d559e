"""The monthly survey's tables: one survey per month, who was asked, what they said."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models import _utc


class Survey(SQLModel, table=True):
    """One month's survey. Its questions and anonymity are fixed when it opens.

    `month` (YYYY-MM, the team's time zone, the month it opened in) is unique:
    that is what lets several replicas, a restart and `survey send` race to open
    the month's survey and end up with one. It opens in the same transaction that
    records its recipients and queues their DMs.
    """

    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("month", name="uq_surveys_month"),
        Index("ix_surveys_closed_at", "closed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7)
    opened_at: datetime = _utc(nullable=False)
    closes_at: datetime = _utc(nullable=False)
    remind_at: datetime | None = _utc()
    closed_at: datetime | None = _utc()
    anonymous: bool = False
    # The questions as app.yaml had them at opening: [{id, label, kind, optional}].
    questions: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    opened_by: str | None = Field(default=None, max_length=40)  # None: the schedule
    summary_channel: str | None = Field(default=None, max_length=40)
    summary_ts: str | None = Field(default=None, max_length=40)


class SurveyRecipient(SQLModel, table=True):
    """A rep asked in one survey, and what the bot sent them."""

    __tablename__ = "survey_recipients"
    __table_args__ = (UniqueConstraint("survey_id", "user_id", name="uq_survey_recipients"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", nullable=False)
    user_id: str = Field(max_length=40)
    added_at: datetime = _utc(nullable=False)
    dm_sent_at: datetime | None = _utc()
    dm_channel: str | None = Field(default=None, max_length=40)
    dm_ts: str | None = Field(default=None, max_length=40)
    reminded_at: datetime | None = _utc()  # when the reminder was queued


class SurveyResponse(SQLModel, table=True):
    """One rep's answers to one survey, edited in place until the survey closes.

    In an anonymous survey `user_id` is kept only so that a rep has one response
    they can edit; nothing shown to marketing names them.
    """

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("survey_id", "user_id", name="uq_survey_responses"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", nullable=False)
    user_id: str = Field(max_length=40)
    # Text answers by question id, in full (up to 3,000 characters each).
    answers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    rating: int | None = None
    submitted_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)
