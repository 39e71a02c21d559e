"""The `survey:` section of app.yaml: the monthly "what did customers say" survey."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from bot.settings.common import Duration, People, Strict, require_unique_ids


class SurveyQuestion(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]
    label: Annotated[str, Field(min_length=1, max_length=150)]
    # "rating" is a 1-5 pick (at most one per survey); "text" a multi-line answer.
    kind: Literal["text", "rating"] = "text"
    optional: bool = True


DEFAULT_SURVEY_QUESTIONS = [
    SurveyQuestion(id="why_bought", label="Why did customers buy this month?"),
    SurveyQuestion(id="why_not", label="Why did prospects not buy?"),
    SurveyQuestion(id="objections", label="Which objections did you hear most?"),
    SurveyQuestion(id="missing_info", label="What did prospects ask for that we lacked?"),
    SurveyQuestion(id="competitors", label="Which competitors came up?"),
    SurveyQuestion(id="content_wish", label="What content do you wish you had?"),
    SurveyQuestion(
        id="lead_quality", label="Lead quality this month (1-5)", kind="rating", optional=False
    ),
    SurveyQuestion(id="lead_quality_comment", label="Anything to add about lead quality?"),
]
# A modal holds 100 blocks; this leaves room for the introduction and keeps it short.
MAX_SURVEY_QUESTIONS = 20


class SurveyConfig(Strict):
    """The monthly "what did customers say" survey."""

    enabled: bool = True  # the monthly schedule; marketers can always `survey send`
    # Who is asked: these people plus the members of reps_channel; when both are
    # empty, the reps on duty for leads (sla.on_duty).
    reps: People = Field(default_factory=People)
    reps_channel: Annotated[str, Field(pattern=r"^[CG][A-Z0-9]{2,}$")] | None = None
    # The survey opens on the day-th business day of the month (Mon-Fri, not a
    # public holiday) at send_at in the team's time zone.
    day: Annotated[int, Field(ge=1, le=15)] = 1
    send_at: time = time(10, 0)
    open_for: Duration = timedelta(days=7)
    # One reminder to those who have not answered; null sends none.
    remind_after: Duration | None = timedelta(days=3)
    anonymous: bool = False
    questions: list[SurveyQuestion] = Field(
        default_factory=lambda: list(DEFAULT_SURVEY_QUESTIONS),
        min_length=1,
        max_length=MAX_SURVEY_QUESTIONS,
    )

    @field_validator("open_for")
    @classmethod
    def _open_long_enough(cls, value: timedelta) -> timedelta:
        if value < timedelta(hours=1):
            raise ValueError("must be at least 1h")
        return value

    @field_validator("questions")
    @classmethod
    def _sound_questions(cls, value: list[SurveyQuestion]) -> list[SurveyQuestion]:
        require_unique_ids([q.id for q in value], "question")
        if sum(q.kind == "rating" for q in value) > 1:
            raise ValueError("at most one question can be a rating")
        return value

    @model_validator(mode="after")
    def _reminder_while_open(self) -> SurveyConfig:
        if self.remind_after is not None and not (timedelta(0) < self.remind_after < self.open_for):
            raise ValueError("remind_after must be longer than 0 and shorter than open_for")
        return self
