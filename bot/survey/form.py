"""What a rep submitted in the survey modal, checked against the survey's questions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.settings import SurveyQuestion
from bot.survey.results import RATINGS

MAX_ANSWER = 3000


@dataclass(frozen=True)
class SurveyForm:
    answers: dict[str, str]  # question id -> answer, only the answered ones, in full
    rating: int | None
    problems: dict[str, str] = field(default_factory=dict)  # question id -> what to fix


def read_form(questions: list[SurveyQuestion], raw: Mapping[str, str | None]) -> SurveyForm:
    """Validate raw values by question id (text, or the picked option's value for a rating)."""
    answers: dict[str, str] = {}
    rating: int | None = None
    problems: dict[str, str] = {}
    for question in questions:
        value = (raw.get(question.id) or "").strip()
        if question.kind == "rating":
            if not value:
                if not question.optional:
                    problems[question.id] = "Pick a rating from 1 to 5."
                continue
            if not value.isdigit() or int(value) not in RATINGS:
                problems[question.id] = "Pick a rating from 1 to 5."
                continue
            rating = int(value)
        elif not value:
            if not question.optional:
                problems[question.id] = "Please answer this question."
        elif len(value) > MAX_ANSWER:
            problems[question.id] = (
                f"Please keep this to {MAX_ANSWER:,} characters (it has {len(value):,})."
            )
        else:
            answers[question.id] = value
    return SurveyForm(answers=answers, rating=rating, problems=problems)
