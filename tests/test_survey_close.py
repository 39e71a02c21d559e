"""The reminder to non-respondents, the close, and the summary marketing gets (once)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.sandbox.fake_slack import FakeWorkspace, InteractionSender
from bot.timekeeping.clock import ManualClock
from storage.kinds import OutboxKind
from storage.outbox import OutboxState
from tests.blockkit import assert_valid_blocks
from tests.conftest import SIGNING_SECRET
from tests.harness import BotServer, wait_for
from tests.survey_support import (
    ANA,
    BEN,
    MARIA,
    MARKETING,
    OPENS,
    answer_survey,
    delivered,
    dms,
    outbox,
    recipients,
    survey_settings,
    surveys,
    sweep,
    text_of,
    wait_for_delivered,
    wait_for_dms,
)

CAROL = "U0CAROL"
ANA_SAYS = {
    "why_bought": "The Salesforce integration sold it. Pricing was fair.",
    "objections": "Too expensive for small teams",
    "competitors": "Acme",
}
BEN_SAYS = {
    "why_bought": "Salesforce integration & fast onboarding",
    "why_not": "No budget this quarter",
    "objections": "Too expensive, they said <!channel>",
    "competitors": "Acme, Globex",
}


def started(
    database_url: str, slack: Any, workspace: FakeWorkspace, **survey: Any
) -> tuple[BotServer, ManualClock, InteractionSender]:
    workspace.add_user(id=CAROL, name="carol", real_name="Carol Rep")
    reps = {"users": [ANA, BEN, CAROL]}
    clock = ManualClock(OPENS)
    bot = BotServer(survey_settings(database_url, slack.api_url, reps=reps, **survey), clock=clock)
    bot.__enter__()
    sweep(bot)
    wait_for_delivered(database_url, [ANA, BEN, CAROL])
    sender = InteractionSender(
        workspace, bot_url=bot.url, signing_secret=SIGNING_SECRET, response_base_url=slack.url
    )
    return bot, clock, sender


def test_one_reminder_goes_only_to_those_who_have_not_answered(
    database_url: str, slack: Any, workspace: FakeWorkspace
) -> None:
    bot, clock, sender = started(database_url, slack, workspace)
    try:
        answer_survey(sender, workspace, ANA, **ANA_SAYS)
        clock.advance(timedelta(days=3) - timedelta(minutes=1))
        sweep(bot)
        assert outbox(database_url, OutboxKind.SURVEY_REMINDER) == []

        # Carol's reminder meets a Slack error, and she answers before it is retried.
        workspace.faults.inject("chat.postMessage", status=500, channel=CAROL)
        clock.advance(timedelta(minutes=1))
        sweep(bot)
        wait_for_dms(workspace, [BEN], count=2)
        reminder = dms(workspace, BEN)[1]
        assert "Reminder" in reminder.text and "survey_open" in repr(reminder.blocks)
        wait_for(
            lambda: workspace.calls("chat.postMessage", channel=CAROL)[-1].http_status == 500,
            what="Carol's reminder failing",
        )
        answer_survey(sender, workspace, CAROL, "3")
        for _ in range(2):
            clock.advance(timedelta(days=1))
            sweep(bot)
        wait_for(
            lambda: all(
                m.state != OutboxState.PENDING
                for m in outbox(database_url, OutboxKind.SURVEY_REMINDER)
            ),
            what="reminders done",
        )
        reminders = sorted(
            (m.payload["user_id"], m.state)
            for m in outbox(database_url, OutboxKind.SURVEY_REMINDER)
        )
        assert reminders == [(CAROL, OutboxState.DROPPED), (BEN, OutboxState.SENT)]
        assert [len(dms(workspace, u)) for u in (ANA, BEN, CAROL)] == [1, 2, 1]
        reminded = {r.user_id: r.reminded_at for r in recipients(database_url)}
        assert reminded[ANA] is None and reminded[BEN] is not None
    finally:
        bot.__exit__(None, None, None)


def summary_and_thread(workspace: FakeWorkspace) -> tuple[Any, list[Any]]:
    main = wait_for(lambda: workspace.messages(MARKETING), what="the summary")[0]
    thread = wait_for(lambda: workspace.replies(MARKETING, main.ts), what="the answers")
    return main, thread


@pytest.mark.parametrize("anonymous", [False, True], ids=["attributed", "anonymous"])
def test_the_close_posts_the_summary_once(
    database_url: str, slack: Any, workspace: FakeWorkspace, anonymous: bool
) -> None:
    bot, clock, sender = started(database_url, slack, workspace, anonymous=anonymous)
    try:
        answer_survey(sender, workspace, ANA, "4", **ANA_SAYS)
        answer_survey(sender, workspace, BEN, "2", **BEN_SAYS)
        clock.advance(timedelta(days=7) - timedelta(seconds=1))
        sweep(bot)
        assert outbox(database_url, OutboxKind.SURVEY_SUMMARY) == []

        clock.advance(timedelta(seconds=1))
        sweep(bot)
        sweep(bot)
        main, thread = summary_and_thread(workspace)
        summary = text_of(main)
        assert "What customers said: March 2026" in summary
        assert "2 of 3 reps answered" in summary and "(67%)" in summary
        assert "*3.0* / 5 from 2 ratings" in summary
        assert "5 · 0\\n4 ████████████████████ 1\\n3 · 0\\n2 ████████████████████ 1" in summary
        for theme in ("`salesforce integration` 2", "`too expensive` 2", "`acme` 2"):
            assert theme in summary, theme
        assert "in the thread" in summary

        answers = "".join(text_of(reply) for reply in thread)
        assert "Why did customers buy this month?" in answers
        assert "Salesforce integration &amp; fast onboarding" in answers
        assert "&lt;!channel&gt;" in answers and "<!channel>" not in answers
        assert "No budget this quarter" in answers
        if anonymous:
            assert "Anonymous" in summary
            for person in (ANA, BEN, CAROL, "ana", "ben", "Ana", "Ben"):
                assert person not in summary + answers, person
        else:
            assert f"<@{ANA}>: The Salesforce integration sold it" in answers
            assert f"<@{BEN}>: No budget this quarter" in answers
        for message in (main, *thread):
            assert_valid_blocks(message.blocks)

        [survey] = surveys(database_url)
        assert survey.closed_at is not None and survey.anonymous is anonymous
        assert (survey.summary_channel, survey.summary_ts) == (MARKETING, main.ts)
        for _ in range(2):
            clock.advance(timedelta(days=1))
            sweep(bot)
        wait_for(
            lambda: all(
                m.state == OutboxState.SENT
                for kind in (OutboxKind.SURVEY_SUMMARY, OutboxKind.SURVEY_SUMMARY_PART)
                for m in outbox(database_url, kind)
            ),
            what="summary delivered",
        )
        assert len(outbox(database_url, OutboxKind.SURVEY_SUMMARY)) == 1
        assert len(workspace.messages(MARKETING)) == 1
        assert len(workspace.replies(MARKETING, main.ts)) == len(thread)
    finally:
        bot.__exit__(None, None, None)


def test_a_survey_nobody_answered_still_reports(
    database_url: str, slack: Any, workspace: FakeWorkspace
) -> None:
    bot, clock, _ = started(database_url, slack, workspace)
    try:
        clock.advance(timedelta(days=8))
        sweep(bot)
        main = wait_for(lambda: workspace.messages(MARKETING), what="the summary")[0]
        assert "0 of 3 reps answered" in text_of(main) and "no ratings" in text_of(main)
        assert outbox(database_url, OutboxKind.SURVEY_REMINDER) == [], "closed before any reminder"
        assert outbox(database_url, OutboxKind.SURVEY_SUMMARY_PART) == []
        assert MARIA not in text_of(main)
    finally:
        bot.__exit__(None, None, None)


def test_a_rep_whose_dm_was_held_up_is_reminded_after_their_own_dm(
    database_url: str, slack: Any, workspace: FakeWorkspace
) -> None:
    workspace.faults.inject("chat.postMessage", status=503, channel=BEN, times=None)
    clock = ManualClock(OPENS)
    settings = survey_settings(database_url, slack.api_url, reps={"users": [ANA, BEN]})
    with BotServer(settings, clock=clock) as bot:
        sweep(bot)
        wait_for(lambda: delivered(database_url) == {ANA}, what="ANA's DM")
        wait_for(
            lambda: any(
                m.last_error and m.payload["user_id"] == BEN
                for m in outbox(database_url, OutboxKind.SURVEY_DM)
            ),
            what="BEN's DM failing and waiting for a retry",
        )
        clock.advance(timedelta(days=2))
        workspace.faults.clear()
        sweep(bot)
        wait_for(lambda: delivered(database_url) == {ANA, BEN}, what="BEN's DM")

        clock.advance(timedelta(days=1))  # day 3: three days after ANA's DM, one after BEN's
        sweep(bot)
        wait_for_dms(workspace, [ANA], count=2)
        assert [m.payload["user_id"] for m in outbox(database_url, OutboxKind.SURVEY_REMINDER)] == [
            ANA
        ]
        clock.advance(timedelta(days=2))  # day 5: three days after BEN's DM
        sweep(bot)
        wait_for_dms(workspace, [BEN], count=2)
        assert [len(dms(workspace, u)) for u in (ANA, BEN)] == [2, 2]


def test_a_rep_slack_can_no_longer_reach_is_dropped_not_retried(
    database_url: str, slack: Any, workspace: FakeWorkspace
) -> None:
    workspace.faults.inject("chat.postMessage", error="user_disabled", channel=BEN, times=None)
    clock = ManualClock(OPENS)
    settings = survey_settings(database_url, slack.api_url, reps={"users": [ANA, BEN]})
    with BotServer(settings, clock=clock) as bot:
        sweep(bot)
        wait_for(
            lambda: (
                sorted(
                    (m.payload["user_id"], m.state)
                    for m in outbox(database_url, OutboxKind.SURVEY_DM)
                )
                == [(ANA, OutboxState.SENT), (BEN, OutboxState.DROPPED)]
            ),
            what="ANA's DM sent, BEN's dropped",
        )
        clock.advance(timedelta(days=8))
        sweep(bot)
        main = wait_for(lambda: workspace.messages(MARKETING), what="the summary")[0]
    assert len(workspace.calls("chat.postMessage", channel=BEN)) == 1
    assert "0 of 1 rep answered" in text_of(main), "BEN never got the question"
