"""A survey's results, computed from its stored rows: rate, rating, answers, themes, CSV.

Pure functions of what the database holds, so the summary, `survey results`, the
export and the digest all say the same thing. In an anonymous survey nothing
computed here carries a user id, and answers are ordered by their text rather
than by who wrote them or when.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.settings import SurveyQuestion
from bot.survey.themes import Theme, themes
from storage.survey_models import Survey, SurveyRecipient, SurveyResponse

RATINGS = (1, 2, 3, 4, 5)
SURVEY_THEMES = 10
QUESTION_THEMES = 5
# Spreadsheets run cells that start with these as formulas.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Answer:
    text: str
    user_id: str | None  # None in an anonymous survey


@dataclass(frozen=True)
class QuestionResults:
    question: SurveyQuestion
    answers: list[Answer]
    themes: list[Theme]


@dataclass(frozen=True)
class SurveyResults:
    survey_id: int
    month: str
    anonymous: bool
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    asked: int  # reps whose DM went out
    answered: int
    rating_question: SurveyQuestion | None
    ratings: list[int]
    questions: list[QuestionResults]  # the text questions, in survey order
    themes: list[Theme]
    pending: list[str]  # asked, not answered; empty in an anonymous survey

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None

    @property
    def rating_average(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    @property
    def distribution(self) -> list[tuple[int, int]]:
        """(rating, how many) from 5 down to 1."""
        return [(r, self.ratings.count(r)) for r in reversed(RATINGS)]


def survey_questions(survey: Survey) -> list[SurveyQuestion]:
    return [SurveyQuestion.model_validate(q) for q in survey.questions]


def compile_results(
    survey: Survey,
    recipients: Sequence[SurveyRecipient],
    responses: Sequence[SurveyResponse],
) -> SurveyResults:
    questions = survey_questions(survey)
    responders = {r.user_id for r in responses}
    asked = {r.user_id for r in recipients if r.dm_sent_at is not None} | responders
    rating_question = next((q for q in questions if q.kind == "rating"), None)
    per_question = []
    for question in questions:
        if question.kind != "text":
            continue
        answers = [
            Answer(text, None if survey.anonymous else response.user_id)
            for response in responses
            if (text := (response.answers.get(question.id) or "").strip())
        ]
        if survey.anonymous:
            answers.sort(key=lambda a: (a.text.casefold(), a.text))
        per_question.append(
            QuestionResults(
                question, answers, themes((a.text for a in answers), limit=QUESTION_THEMES)
            )
        )
    every_answer = [a.text for q in per_question for a in q.answers]
    return SurveyResults(
        survey_id=survey.id or 0,
        month=survey.month,
        anonymous=survey.anonymous,
        opened_at=survey.opened_at,
        closes_at=survey.closes_at,
        closed_at=survey.closed_at,
        asked=len(asked),
        answered=len(responders),
        rating_question=rating_question,
        ratings=[r.rating for r in responses if r.rating in RATINGS],
        questions=per_question,
        themes=themes(every_answer, limit=SURVEY_THEMES),
        pending=[] if survey.anonymous else sorted(asked - responders),
    )


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(
    survey: Survey,
    responses: Sequence[SurveyResponse],
    names: Mapping[str, str] | None = None,
) -> str:
    """One row per response, one column per question, answers in full.

    An anonymous survey exports neither names nor times, in an order that does
    not follow who answered when.
    """
    questions = survey_questions(survey)
    names = names or {}
    header = [q.label for q in questions]
    rows: list[list[str]] = []
    for response in responses:
        cells = [
            str(response.rating or "") if q.kind == "rating" else response.answers.get(q.id, "")
            for q in questions
        ]
        if not survey.anonymous:
            cells = [
                response.user_id,
                names.get(response.user_id, ""),
                response.submitted_at.isoformat(timespec="seconds"),
                response.updated_at.isoformat(timespec="seconds"),
                *cells,
            ]
        rows.append([_cell(c) for c in cells])
    if survey.anonymous:
        rows.sort()
    else:
        header = ["rep_id", "rep_name", "submitted_at", "updated_at", *header]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
