"""The monthly survey's listeners: the DM button and the modal's submission."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime.services import Services
from bot.settings import SurveyQuestion
from bot.survey.form import read_form
from bot.survey.results import survey_questions
from handlers.slack.errors import answering_errors
from messages.refusals import refusal_line
from messages.rendering import Mrkdwn
from messages.survey import closed_line, month_name, survey_modal, survey_notice_modal, thanks_line
from messages.survey_ids import SurveyActionId, SurveyCallbackId, SurveyRef, question_block_id
from storage import surveys
from storage.refusals import StaleAction

LOST_SURVEY = "This form lost its survey; close it and click the button in your DM again."


def register(app: AsyncApp, services: Services) -> None:
    guarded = answering_errors(services)

    @app.action(SurveyActionId.OPEN)
    @guarded
    async def on_open(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await _open_modal(services, body, client)

    @app.view(SurveyCallbackId.MODAL)
    @guarded
    async def on_submit(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, view: dict[str, Any]
    ) -> None:
        await ack(**await _submission_answer(services, body["user"]["id"], view))


async def _open_modal(services: Services, body: dict[str, Any], client: AsyncWebClient) -> None:
    actions = body.get("actions") or []
    ref = SurveyRef.load(actions[0].get("value")) if actions else None
    user_id = (body.get("user") or {}).get("id")
    trigger_id = body.get("trigger_id")
    if ref is None or not user_id or not trigger_id:
        raise StaleAction("survey")
    # One quick read before views.open: the trigger is good for three seconds.
    async with services.db.session() as session:
        survey = await surveys.get_survey(session, ref.survey_id)
        asked = await surveys.recipient_of(session, ref.survey_id, user_id)
        response = await surveys.response_of(session, ref.survey_id, user_id)
    if survey is None:
        view = survey_notice_modal(Mrkdwn("That survey no longer exists."), SurveyCallbackId.CLOSED)
    elif not surveys.is_open(survey, services.clock.now()):
        view = survey_notice_modal(closed_line(survey), SurveyCallbackId.CLOSED)
    elif asked is None:
        view = survey_notice_modal(
            Mrkdwn(f"The survey of {month_name(survey.month)} was not sent to you."),
            SurveyCallbackId.CLOSED,
        )
    else:
        view = survey_modal(survey, survey_questions(survey), response)
    await client.views_open(trigger_id=trigger_id, view=view)


def _submitted(view: dict[str, Any], questions: list[SurveyQuestion]) -> dict[str, str | None]:
    """The raw value of each question: the typed text, or the picked option's value."""
    values = (view.get("state") or {}).get("values") or {}
    raw: dict[str, str | None] = {}
    for question in questions:
        state = (values.get(question_block_id(question.id)) or {}).get(SurveyActionId.ANSWER) or {}
        if "selected_option" in state:
            raw[question.id] = (state.get("selected_option") or {}).get("value")
        else:
            raw[question.id] = state.get("value")
    return raw


def _errors(by_question: dict[str, str]) -> dict[str, Any]:
    return {
        "response_action": "errors",
        "errors": {question_block_id(qid): text for qid, text in by_question.items()},
    }


async def _submission_answer(
    services: Services, user_id: str, view: dict[str, Any]
) -> dict[str, Any]:
    """What to answer Slack: field errors, or the thanks view once the answers are stored."""
    ref = SurveyRef.load(view.get("private_metadata"))
    async with services.db.session() as session:
        survey = await surveys.get_survey(session, ref.survey_id) if ref else None
    if survey is None:
        first = next((b for b in view.get("blocks") or [] if b.get("type") == "input"), None)
        errors = {first["block_id"]: LOST_SURVEY} if first else {}
        return {"response_action": "errors", "errors": errors}
    questions = survey_questions(survey)
    form = read_form(questions, _submitted(view, questions))
    if form.problems:
        return _errors(form.problems)
    try:
        async with services.db.session() as session:
            first_time = await surveys.save_response(
                session,
                survey_id=survey.id or 0,
                user_id=user_id,
                answers=form.answers,
                rating=form.rating,
                now=services.clock.now(),
            )
    except (surveys.SurveyClosed, surveys.NotARecipient) as refused:
        return _errors({questions[0].id: refusal_line(refused, services.settings.team)})
    return {
        "response_action": "update",
        "view": survey_notice_modal(
            thanks_line(survey, first_time=first_time), SurveyCallbackId.THANKS
        ),
    }
