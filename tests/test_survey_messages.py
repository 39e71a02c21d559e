"""The survey's builders as plain functions: Block Kit that Slack accepts, answers in full."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.settings import DEFAULT_SURVEY_QUESTIONS, SettingsError, SurveyConfig, load_settings
from bot.survey.results import compile_results, export_csv
from messages import block_limits as limits
from messages.rendering import escape_mrkdwn
from messages.survey import (
    split_answer,
    summary_message,
    summary_parts,
    survey_dm,
    survey_modal,
)
from storage.survey_models import Survey, SurveyRecipient, SurveyResponse
from tests.blockkit import assert_valid_blocks, assert_valid_view

OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def a_survey(*, anonymous: bool = False, questions: list[Any] | None = None) -> Survey:
    return Survey(
        id=7,
        month="2026-03",
        opened_at=OPENED,
        closes_at=OPENED + timedelta(days=7),
        remind_at=OPENED + timedelta(days=3),
        closed_at=OPENED + timedelta(days=7),
        anonymous=anonymous,
        questions=[q.model_dump() for q in (questions or DEFAULT_SURVEY_QUESTIONS)],
    )


def a_response(user_id: str, rating: int | None, **answers: str) -> SurveyResponse:
    return SurveyResponse(
        survey_id=7,
        user_id=user_id,
        answers=answers,
        rating=rating,
        submitted_at=OPENED,
        updated_at=OPENED,
    )


def asked(*users: str) -> list[SurveyRecipient]:
    return [
        SurveyRecipient(survey_id=7, user_id=u, added_at=OPENED, dm_sent_at=OPENED) for u in users
    ]


def parses(blocks: list[dict[str, Any]]) -> bool:
    assert_valid_blocks(blocks)
    return True


def test_dm_and_reminder_are_valid_blocks_with_the_button() -> None:
    for reminder in (False, True):
        message = survey_dm(a_survey(), reminder=reminder)
        assert parses(message.blocks)
        assert ("Reminder" in message.text) is reminder
        button = message.blocks[1]["elements"][0]
        assert button["text"]["text"] == "Share what customers said"
        assert button["value"] == '{"survey_id":7}'


def test_the_modal_is_valid_new_and_prefilled() -> None:
    survey = a_survey()
    questions = [q for q in DEFAULT_SURVEY_QUESTIONS]
    assert_valid_view(survey_modal(survey, questions, None))
    answer = 'Fast <setup> & "great" support\nsecond line'
    filled = survey_modal(survey, questions, a_response("U1", 3, why_bought=answer))
    assert_valid_view(filled)
    inputs = {b["block_id"]: b["element"] for b in filled["blocks"] if b["type"] == "input"}
    assert inputs["survey_q_why_bought"]["initial_value"] == answer
    assert inputs["survey_q_lead_quality"]["initial_option"]["value"] == "3"
    assert len(inputs) == 8


def test_a_survey_with_the_most_questions_fits_a_modal() -> None:
    config = SurveyConfig(
        questions=[{"id": f"q{n}", "label": "A question? " * 12} for n in range(20)]
    )
    view = survey_modal(a_survey(questions=config.questions), config.questions, None)
    assert_valid_view(view)
    assert len(view["blocks"]) <= limits.MAX_BLOCKS_VIEW


def test_split_answer_keeps_every_character_within_the_budget() -> None:
    text = "a&b " * 1000  # escapes to 4x "a&amp;b " = 8,000 characters
    pieces = split_answer(text.strip(), 2980)
    assert all(len(escape_mrkdwn(p)) <= 2980 for p in pieces)
    assert " ".join(pieces) == text.strip()
    assert split_answer("short", 10) == ["short"]
    assert split_answer("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_many_long_answers_fit_in_thread_replies_in_full() -> None:
    survey = a_survey(anonymous=True)
    long = ("Customers <love> the A&B integration but want SSO. " * 60)[:3000]
    users = [f"U{n:03d}" for n in range(30)]
    rows = [
        a_response(u, 1 + n % 5, **{q.id: f"{n} {long}" for q in DEFAULT_SURVEY_QUESTIONS})
        for n, u in enumerate(users)
    ]
    results = compile_results(survey, asked(*users), rows)
    parts = summary_parts(results)
    assert len(parts) > 10
    answer_sections: list[str] = []
    for part in parts:
        assert parses(part.blocks) and len(part.blocks) <= limits.MAX_BLOCKS_MESSAGE
        for block in part.blocks:
            text = block["text"]["text"]
            assert len(text) <= limits.MAX_SECTION_TEXT
            if not text.startswith(":speech_balloon:"):
                answer_sections.append(text)
        assert parts[0].blocks[0]["text"]["text"].startswith(":speech_balloon:")
    assert any("(continued)" in b["text"]["text"] for p in parts for b in p.blocks)
    shown = "".join(answer_sections).replace(" ", "").replace("•", "")
    expected = "".join(
        escape_mrkdwn(f"{n} {long}".strip()) for q in results.questions for n in range(30)
    )
    assert sorted(shown) == sorted(expected.replace(" ", "")), "every character, once"
    for user in users:
        assert all(user not in repr(p.blocks) for p in parts)


def test_the_summary_key_points() -> None:
    survey = a_survey()
    rows = [
        a_response("U1", 5, why_bought="Pricing"),
        a_response("U2", 4, why_bought="pricing again"),
        a_response("U3", 4),
    ]
    results = compile_results(survey, asked("U1", "U2", "U3", "U4"), rows)
    assert (results.asked, results.answered, results.response_rate) == (4, 3, 0.75)
    assert results.rating_average == pytest.approx(13 / 3)
    assert results.distribution == [(5, 1), (4, 2), (3, 0), (2, 0), (1, 0)]
    assert results.pending == ["U4"]
    message = summary_message(results, where_answers="See the thread.")
    assert parses(message.blocks)
    text = repr(message.blocks)
    assert "3 of 4 reps answered* (75%)" in text and "*4.3* / 5 from 3 ratings" in text
    assert "`pricing` 2" in text


def test_export_csv_attributed_and_anonymous() -> None:
    rows = [
        a_response("U2", 2, why_not="@SUM(A1) no budget"),
        a_response("U1", 5, why_bought='Fast, "simple"\nsetup'),
    ]
    attributed = list(csv.reader(io.StringIO(export_csv(a_survey(), rows, {"U1": "Ana"}))))
    assert attributed[0][:4] == ["rep_id", "rep_name", "submitted_at", "updated_at"]
    assert attributed[0][4] == "Why did customers buy this month?"
    assert [r[:2] for r in attributed[1:]] == [["U2", ""], ["U1", "Ana"]]
    assert attributed[1][5] == "'@SUM(A1) no budget"
    assert attributed[2][4] == 'Fast, "simple"\nsetup'
    assert attributed[2][10] == "5"
    anonymous = export_csv(a_survey(anonymous=True), rows, {"U1": "Ana"})
    assert "U1" not in anonymous and "U2" not in anonymous and "Ana" not in anonymous
    header, *_ = csv.reader(io.StringIO(anonymous))
    assert len(header) == len(DEFAULT_SURVEY_QUESTIONS)


def test_survey_settings_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(
        """
channels: {leads: C01, marketing: C02}
survey:
  reps_channel: "#sales"
  day: 0
  remind_after: 7d
  questions:
    - {id: a, label: A, kind: rating}
    - {id: a, label: B, kind: rating}
"""
    )
    with pytest.raises(SettingsError) as caught:
        load_settings({}, path)
    problems = {p.key: p.message for p in caught.value.problems}
    assert "survey.reps_channel" in problems
    assert "survey.day" in problems
    assert problems["survey.questions"] == "question id 'a' appears twice"
    path.write_text(
        "channels: {leads: C01, marketing: C02}\n"
        "survey: {remind_after: 7d, questions: [{id: a, label: A, kind: rating},"
        " {id: b, label: B, kind: rating}]}\n"
    )
    with pytest.raises(SettingsError) as caught:
        load_settings({}, path)
    assert {p.key: p.message for p in caught.value.problems} == {
        "survey.questions": "at most one question can be a rating"
    }
    path.write_text("channels: {leads: C01, marketing: C02}\nsurvey: {remind_after: 7d}\n")
    with pytest.raises(SettingsError) as caught:
        load_settings({}, path)
    assert [str(p) for p in caught.value.problems] == [
        "survey: remind_after must be longer than 0 and shorter than open_for"
    ]
    path.write_text("channels: {leads: C01, marketing: C02}\nsurvey: {remind_after: null}\n")
    assert load_settings({}, path).team.survey.remind_after is None
