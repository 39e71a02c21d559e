"""What the survey tests share: a clock at the scheduled time, the sweep, readers, the modal."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.runtime.jobs import JobName
from bot.sandbox.fake_slack import FakeWorkspace, InteractionSender, Message
from bot.sandbox.fake_slack.models import View
from bot.settings import Settings
from messages.survey_ids import SurveyActionId, SurveyCallbackId, question_block_id
from storage.models import OutboxMessage
from storage.survey_models import Survey, SurveyRecipient, SurveyResponse
from tests.conftest import make_settings
from tests.harness import BotServer, wait_for
from tests.store import _run

BERLIN = ZoneInfo("Europe/Berlin")
ANA, BEN, GONE, MARK, MARIA = "U0REP1", "U0REP2", "U0GONE", "U0MKT", "U0MGR"
MARKETING = "C0MKTG"
# Monday 2 March 2026 is the first business day of March; 10:00 in Berlin is 09:00 UTC.
OPENS = datetime(2026, 3, 2, 10, 0, tzinfo=BERLIN)
RATING = question_block_id("lead_quality")


def survey_settings(
    database_url: str, api_url: str, *, team: dict[str, Any] | None = None, **survey: Any
) -> Settings:
    """Settings with the survey on; `team` overrides other top-level keys of app.yaml."""
    return make_settings(database_url, api_url, **(team or {}), survey={"enabled": True, **survey})


def sweep(bot: BotServer) -> None:
    assert bot.handoff is not None
    services = bot.handoff.services
    bot.call(lambda: services.registry.jobs.run(JobName.SURVEY))


def _all(database_url: str, model: Any, order: Any) -> list[Any]:
    async def query(session: Any) -> list[Any]:
        return list((await session.exec(select(model).order_by(order))).all())

    return _run(database_url, query)


def surveys(database_url: str) -> list[Survey]:
    return _all(database_url, Survey, Survey.id)


def recipients(database_url: str) -> list[SurveyRecipient]:
    return _all(database_url, SurveyRecipient, SurveyRecipient.id)


def responses(database_url: str) -> list[SurveyResponse]:
    return _all(database_url, SurveyResponse, SurveyResponse.id)


def outbox(database_url: str, kind: str) -> list[OutboxMessage]:
    return [m for m in _all(database_url, OutboxMessage, OutboxMessage.id) if m.kind == kind]


def dms(workspace: FakeWorkspace, user: str) -> list[Message]:
    channel = workspace.dm_channel(user)
    return workspace.messages(channel) if channel else []


def wait_for_dms(workspace: FakeWorkspace, users: list[str], count: int = 1) -> None:
    wait_for(
        lambda: all(len(dms(workspace, u)) >= count for u in users),
        timeout=20,
        what=f"{count} DM(s) each to {users}",
    )


def delivered(database_url: str) -> set[str]:
    """Reps whose survey DM the bot has recorded as sent."""
    return {r.user_id for r in recipients(database_url) if r.dm_sent_at is not None}


def wait_for_delivered(database_url: str, users: list[str]) -> None:
    wait_for(lambda: delivered(database_url) >= set(users), what=f"DMs to {users} recorded")


def text_of(message: Any) -> str:
    return repr(message.blocks) + message.text


def open_modal(sender: InteractionSender, workspace: FakeWorkspace, user: str) -> View:
    """Click the newest survey button in the user's DM and return the modal it opens."""
    before = {v.id for v in workspace.views}
    response = sender.click_in_dm(user=user, action_id=SurveyActionId.OPEN)
    assert response.status_code == 200
    return wait_for(
        lambda: next((v for v in workspace.open_views(user) if v.id not in before), None),
        what=f"the survey modal for {user}",
    )


def answers(rating: str | None = "4", **texts: str) -> dict[str, Any]:
    """Submission values: question id -> text, plus the rating."""
    values: dict[str, Any] = {
        question_block_id(qid): {SurveyActionId.ANSWER: text} for qid, text in texts.items()
    }
    if rating is not None:
        values[RATING] = {SurveyActionId.ANSWER: rating}
    return values


def answer_survey(
    sender: InteractionSender,
    workspace: FakeWorkspace,
    user: str,
    rating: str | None = "4",
    **texts: str,
) -> View:
    """Open the modal, submit it, and return the view that replaced it (thanks)."""
    view = open_modal(sender, workspace, user)
    assert view.callback_id == SurveyCallbackId.MODAL
    response = sender.submit_view(user=user, view_id=view.id, values=answers(rating, **texts))
    assert response.status_code == 200
    assert response.json()["response_action"] == "update", response.text
    thanks = workspace.view(view.id)
    assert thanks is not None and thanks.callback_id == SurveyCallbackId.THANKS
    return thanks
