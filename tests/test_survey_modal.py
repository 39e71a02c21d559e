"""The survey modal: errors shown in the modal, answers stored in full, edits, the close."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from bot.timekeeping.clock import ManualClock
from messages.survey_ids import SurveyActionId, SurveyCallbackId, question_block_id
from tests.conftest import SIGNING_SECRET
from tests.harness import BotServer
from tests.survey_support import (
    ANA,
    BEN,
    OPENS,
    RATING,
    answer_survey,
    answers,
    open_modal,
    responses,
    survey_settings,
    sweep,
    wait_for_dms,
)

QUESTIONS = [
    {"id": "why_bought", "label": "Why did customers buy?", "optional": False},
    {"id": "objections", "label": "Objections you heard most?"},
    {"id": "lead_quality", "label": "Lead quality (1-5)", "kind": "rating", "optional": False},
]
WHY, OBJECTIONS = question_block_id("why_bought"), question_block_id("objections")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(OPENS)


@pytest.fixture
def bot(database_url: str, slack: FakeSlackServer, clock: ManualClock) -> Iterator[BotServer]:
    settings = survey_settings(database_url, slack.api_url, questions=QUESTIONS)
    with BotServer(settings, clock=clock) as server:
        sweep(server)
        yield server


@pytest.fixture
def sender(workspace: FakeWorkspace, slack: FakeSlackServer, bot: BotServer) -> InteractionSender:
    wait_for_dms(workspace, [ANA, BEN])
    return InteractionSender(
        workspace, bot_url=bot.url, signing_secret=SIGNING_SECRET, response_base_url=slack.url
    )


def inputs(view: Any) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view.blocks if b["type"] == "input"}


def test_the_modal_asks_the_configured_questions(
    sender: InteractionSender, workspace: FakeWorkspace
) -> None:
    view = open_modal(sender, workspace, ANA)
    assert view.callback_id == SurveyCallbackId.MODAL
    elements = inputs(view)
    assert list(elements) == [WHY, OBJECTIONS, RATING]
    assert elements[WHY]["type"] == "plain_text_input" and elements[WHY]["multiline"]
    assert elements[WHY]["max_length"] == 3000
    assert [o["value"] for o in elements[RATING]["options"]] == ["1", "2", "3", "4", "5"]
    assert "with your name" in repr(view.blocks)


def test_validation_errors_are_shown_in_the_modal(
    sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    view = open_modal(sender, workspace, ANA)
    # What Slack itself would block (required fields empty), sent anyway: the bot checks too.
    response = sender.submit_view(
        user=ANA,
        view_id=view.id,
        values={WHY: {SurveyActionId.ANSWER: "   "}},
        enforce_required=False,
    )
    assert response.status_code == 200
    assert response.json() == {
        "response_action": "errors",
        "errors": {WHY: "Please answer this question.", RATING: "Pick a rating from 1 to 5."},
    }
    still_open = workspace.view(view.id)
    assert still_open is not None and still_open.is_open
    assert still_open.errors == response.json()["errors"]

    # Past max_length (Slack stops that in the browser; a forged request is checked here).
    payload = sender.view_submission_payload(
        user=ANA, view_id=view.id, values=answers("4", why_bought="fine")
    )
    state = payload["view"]["state"]["values"]
    state[WHY][SurveyActionId.ANSWER]["value"] = "x" * 3001
    state[RATING][SurveyActionId.ANSWER]["selected_option"] = {
        "text": {"type": "plain_text", "text": "9"},
        "value": "9",
    }
    forged = sender.post_payload(payload)
    assert forged.json() == {
        "response_action": "errors",
        "errors": {
            WHY: "Please keep this to 3,000 characters (it has 3,001).",
            RATING: "Pick a rating from 1 to 5.",
        },
    }
    assert responses(database_url) == []


def test_answers_are_stored_in_full_and_can_be_edited_until_the_close(
    sender: InteractionSender, workspace: FakeWorkspace, database_url: str, clock: ManualClock
) -> None:
    long_answer = ("Budget & timing <again>; " * 120)[:2990] + " end."
    thanks = answer_survey(sender, workspace, ANA, "2", why_bought=long_answer)
    assert "Thank you! Your answers are saved" in repr(thanks.blocks)
    [stored] = responses(database_url)
    assert (stored.user_id, stored.rating) == (ANA, 2)
    assert stored.answers == {"why_bought": long_answer.strip()}
    assert len(stored.answers["why_bought"]) > 2900

    clock.advance(timedelta(days=2))
    view = open_modal(sender, workspace, ANA)
    elements = inputs(view)
    assert elements[WHY]["initial_value"] == long_answer.strip(), "pre-filled, not escaped"
    assert elements[RATING]["initial_option"]["value"] == "2"
    assert "initial_value" not in elements[OBJECTIONS]
    assert view.submit == {"type": "plain_text", "text": "Save changes", "emoji": True}
    response = sender.submit_view(
        user=ANA,
        view_id=view.id,
        values=answers("5", objections="Price, again & again"),
    )
    assert response.json()["response_action"] == "update"
    assert "Your changes are saved" in json.dumps(response.json()["view"])
    [edited] = responses(database_url)
    assert edited.id == stored.id and edited.rating == 5
    assert edited.answers == {
        "why_bought": long_answer.strip(),
        "objections": "Price, again & again",
    }
    assert edited.submitted_at == stored.submitted_at
    assert edited.updated_at == stored.submitted_at + timedelta(days=2)


def test_after_the_close_the_modal_refuses_with_a_clear_message(
    sender: InteractionSender,
    workspace: FakeWorkspace,
    database_url: str,
    clock: ManualClock,
    bot: BotServer,
) -> None:
    view = open_modal(sender, workspace, BEN)
    clock.advance(timedelta(days=7))
    sweep(bot)
    response = sender.submit_view(user=BEN, view_id=view.id, values=answers(why_bought="late"))
    assert response.json()["response_action"] == "errors"
    assert "This survey closed on Mar 9 at 10:00" in response.json()["errors"][WHY]
    assert responses(database_url) == []

    closed = open_modal(sender, workspace, BEN)
    assert closed.callback_id == SurveyCallbackId.CLOSED
    assert "closed" in repr(closed.blocks) and closed.submit is None
