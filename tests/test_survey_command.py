"""`/leadfeedback survey …`: status, results, send, export, who may run them; the digest part."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from bot.survey.command import digest_section
from bot.timekeeping.clock import ManualClock
from tests.blockkit import assert_valid_blocks
from tests.harness import BotServer, wait_for
from tests.survey_support import (
    ANA,
    BEN,
    BERLIN,
    MARIA,
    MARK,
    OPENS,
    answer_survey,
    dms,
    survey_settings,
    surveys,
    sweep,
    wait_for_delivered,
    wait_for_dms,
)

MID_MONTH = OPENS + timedelta(days=10)  # after March's scheduled week


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MID_MONTH)


@pytest.fixture
def survey_options() -> dict[str, Any]:
    return {}


@pytest.fixture
def bot(
    database_url: str, slack: FakeSlackServer, clock: ManualClock, survey_options: dict[str, Any]
) -> Iterator[BotServer]:
    settings = survey_settings(database_url, slack.api_url, **survey_options)
    with BotServer(settings, clock=clock) as server:
        yield server


def ask(sender: InteractionSender, workspace: FakeWorkspace, user: str, text: str) -> Any:
    """Run `/leadfeedback text` and return the answer (via response_url)."""

    def answers() -> list[Any]:
        return [e for e in workspace.ephemerals(user=user) if e.source == "response_url"]

    before = len(answers())
    response = sender.slash_command(
        user=user, channel="C0LEADS", command="/leadfeedback", text=text
    )
    assert response.status_code == 200
    return wait_for(lambda: answers()[before:], what=f"answer to {text!r}")[0]


def said(message: Any) -> str:
    return repr(message.blocks) + message.text


def test_only_marketers_and_admins_may_use_it(
    sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    for text in ("survey", "survey send", "survey results", "survey export 2026-03"):
        assert "`/leadfeedback survey` is for marketers and admins" in said(
            ask(sender, workspace, ANA, text)
        )
    assert surveys(database_url) == []
    assert workspace.files == []
    assert "No survey is open" in said(ask(sender, workspace, MARIA, "survey"))


def test_bad_arguments_show_the_usage(sender: InteractionSender, workspace: FakeWorkspace) -> None:
    for text, problem in (
        ("survey nonsense", "`nonsense` is not one of status, results, send, export."),
        ("survey results March", "Give the month as YYYY-MM, e.g. 2026-02."),
        ("survey export 2026-13", "Give the month as YYYY-MM, e.g. 2026-02."),
        ("survey send now", "Unexpected `now`."),
    ):
        answer = said(ask(sender, workspace, MARK, text))
        assert problem in answer and "/leadfeedback survey [results [YYYY-MM]" in answer


def test_send_status_results_and_export_of_an_attributed_survey(
    sender: InteractionSender,
    workspace: FakeWorkspace,
    database_url: str,
    clock: ManualClock,
    bot: BotServer,
) -> None:
    status = said(ask(sender, workspace, MARK, "survey"))
    assert "No survey is open" in status and "The next opens" in status
    assert "No survey has run yet" in said(ask(sender, workspace, MARK, "survey results"))

    sent = said(ask(sender, workspace, MARK, "survey send"))
    assert "The survey of March 2026 is open: 2 reps get a DM now" in sent
    [survey] = surveys(database_url)
    assert survey.opened_by == MARK and survey.month == "2026-03"
    wait_for_delivered(database_url, [ANA, BEN])
    again = said(ask(sender, workspace, MARK, "survey send"))
    assert "still open until" in again and len(surveys(database_url)) == 1

    answer_survey(
        sender,
        workspace,
        ANA,
        "5",
        why_bought="=HYPERLINK(1) fast rollout, great support",
        competitors="Acme",
    )
    status = said(ask(sender, workspace, MARK, "survey"))
    assert "*Survey of March 2026* is open until" in status
    assert "Asked *2* reps · DMs delivered *2* · answered *1* · not yet *1*" in status
    assert f"<@{BEN}>" in status and f"<@{ANA}>" not in status

    so_far = said(ask(sender, workspace, MARK, "survey results"))
    assert "1 of 2 reps answered" in so_far and "still open" in so_far
    assert f"<@{ANA}>: =HYPERLINK(1) fast rollout" in so_far

    clock.advance(timedelta(days=7))
    sweep(bot)
    wait_for(lambda: surveys(database_url)[0].summary_ts, what="the summary")
    final = said(ask(sender, workspace, MARK, "survey results 2026-03"))
    assert "still open" not in final and "Every answer is in the survey's thread" in final
    assert "archives/C0MKTG/p" in final, "links to the summary's thread"
    assert "There was no survey in February 2026" in said(
        ask(sender, workspace, MARK, "survey results 2026-02")
    )
    closed = said(ask(sender, workspace, MARK, "survey send"))
    assert "March 2026 already had its survey" in closed

    exported = said(ask(sender, workspace, MARK, "survey export"))
    assert "survey-2026-03.csv" in exported
    [file] = wait_for(lambda: workspace.files, what="the CSV")
    assert file.name == "survey-2026-03.csv" and file.completed
    assert file.shares and file.shares[0][0] == workspace.dm_channel(MARK)
    rows = list(csv.reader(io.StringIO(file.content.decode())))
    assert rows[0][:4] == ["rep_id", "rep_name", "submitted_at", "updated_at"]
    assert rows[0][4] == "Why did customers buy this month?"
    assert rows[1][:2] == [ANA, "Ana Rep"]
    assert rows[1][4] == "'=HYPERLINK(1) fast rollout, great support", "no formula in a sheet"
    assert len(rows) == 2


@pytest.mark.parametrize("survey_options", [{"anonymous": True}])
def test_an_anonymous_survey_names_nobody_in_status_or_export(
    sender: InteractionSender, workspace: FakeWorkspace, survey_options: dict[str, Any]
) -> None:
    ask(sender, workspace, MARIA, "survey send")
    wait_for_dms(workspace, [ANA, BEN])
    assert "without your name" in said(dms(workspace, ANA)[0])
    answer_survey(sender, workspace, BEN, "2", why_not="No budget")
    answer_survey(sender, workspace, ANA, "4", why_not="Went with Acme")
    status = said(ask(sender, workspace, MARK, "survey"))
    assert "answered *2*" in status and ANA not in status and BEN not in status
    results = said(ask(sender, workspace, MARK, "survey results"))
    assert "Went with Acme" in results and ANA not in results and BEN not in results
    ask(sender, workspace, MARK, "survey export 2026-03")
    [file] = wait_for(lambda: workspace.files, what="the CSV")
    content = file.content.decode()
    for person in (ANA, BEN, "Ana", "Ben", "submitted_at"):
        assert person not in content
    rows = list(csv.reader(io.StringIO(content)))
    assert len(rows) == 3 and len(rows[0]) == 8


def test_the_digest_shows_a_survey_that_closed_that_week(
    sender: InteractionSender,
    workspace: FakeWorkspace,
    clock: ManualClock,
    bot: BotServer,
    database_url: str,
) -> None:
    assert bot.handoff is not None
    services = bot.handoff.services
    # The survey's section is among the digest's (other capabilities add their own).
    assert any(
        getattr(s, "func", None) is digest_section for s in services.registry.digest_sections
    )
    ask(sender, workspace, MARK, "survey send")
    wait_for_dms(workspace, [ANA, BEN])
    answer_survey(sender, workspace, ANA, "4", objections="Too expensive for us")
    answer_survey(sender, workspace, BEN, "2", objections="Too expensive, again")
    clock.advance(timedelta(days=7))
    sweep(bot)
    wait_for(lambda: surveys(database_url)[0].summary_ts, what="the summary")
    closed_week = datetime(2026, 3, 16, tzinfo=BERLIN), datetime(2026, 3, 23, tzinfo=BERLIN)
    week_before = datetime(2026, 3, 9, tzinfo=BERLIN), closed_week[0]

    blocks = bot.call(lambda: digest_section(services, *closed_week))
    text = repr(blocks)
    assert "What customers said (March 2026):* 2 of 2 reps answered" in text
    assert "lead quality *3.0* / 5" in text and "`too expensive` 2" in text
    assert "archives/C0MKTG/p" in text
    assert_valid_blocks(blocks)
    assert bot.call(lambda: digest_section(services, *week_before)) == []
