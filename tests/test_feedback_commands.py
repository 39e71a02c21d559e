"""/leadfeedback's data subcommands through the fake workspace and the real HTTP server.

The bot's clock stands at Wed 12 March 2025 12:00 UTC over the dataset in
tests/feedback_data.py, so every answer can be checked against hand-worked figures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from bot.timekeeping.clock import ManualClock
from tests.conftest import SIGNING_SECRET, make_settings
from tests.feedback_data import NOW, seeded
from tests.harness import BotServer, wait_for

__all__ = ["seeded"]
MARKETER, MANAGER, REP = "U0MKT", "U0MGR", "U0REP1"


@pytest.fixture
def feedback_bot(seeded: str, slack: FakeSlackServer) -> Iterator[BotServer]:
    with BotServer(make_settings(seeded, slack.api_url), clock=ManualClock(NOW)) as server:
        yield server


@pytest.fixture
def asker(
    feedback_bot: BotServer, workspace: FakeWorkspace, slack: FakeSlackServer
) -> InteractionSender:
    return InteractionSender(
        workspace,
        bot_url=feedback_bot.url,
        signing_secret=SIGNING_SECRET,
        response_base_url=slack.url,
    )


def answers(workspace: FakeWorkspace, user: str) -> list[Any]:
    return [e for e in workspace.ephemerals(user=user) if e.source == "response_url"]


def everything(answer: Any) -> str:
    return answer.text + repr(answer.blocks)


def ask(sender: InteractionSender, workspace: FakeWorkspace, user: str, text: str) -> Any:
    """Run /leadfeedback TEXT as `user`; the private answer that comes back."""
    before = len(answers(workspace, user))
    response = sender.slash_command(
        user=user, channel="C0LEADS", command="/leadfeedback", text=text
    )
    assert response.status_code == 200
    return wait_for(
        lambda: (
            answers(workspace, user)[before] if len(answers(workspace, user)) > before else None
        ),
        what=f"the answer to /leadfeedback {text}",
    )


def test_reps_are_told_who_can_and_keep_mine_and_help(
    asker: InteractionSender, workspace: FakeWorkspace
) -> None:
    for text in ("stats", "reasons 7d", "sources", "lead 2", "digest post", "export"):
        refusal = ask(asker, workspace, REP, text)
        assert "is for marketers and admins" in refusal.text, text
        assert f"<@{MARKETER}>" in everything(refusal) and f"<@{MANAGER}>" in everything(refusal)
    assert workspace.messages("C0ALIGN") == [] and workspace.files == []

    mine = ask(asker, workspace, REP, "mine")
    assert "Your claimed leads" in everything(mine)
    assert "L4" in everything(mine) and "overdue" in everything(mine)
    assert "L1" not in everything(mine)  # accepted: no longer waiting on the rep
    nothing = ask(asker, workspace, "U0REP2", "mine")
    assert "no claimed leads" in nothing.text.lower() or "no claimed leads" in everything(nothing)

    help_text = everything(ask(asker, workspace, REP, "help"))
    for name in ("stats", "reasons", "sources", "lead", "mine", "digest", "export"):
        assert f"/leadfeedback {name}" in help_text


def test_stats_by_week_source_and_an_empty_month(
    asker: InteractionSender, workspace: FakeWorkspace
) -> None:
    week = ask(asker, workspace, MARKETER, "stats 2025-W10")
    assert week.text == "Lead funnel, week 2025-W10 (3 Mar to 9 Mar): 8 MQLs, 40% accepted"
    shown = everything(week)
    assert "\u25b2 +7 (+700%)" in shown  # 8 MQLs against 1 the week before
    assert "57% (4 of 7 met)" in shown and "3 breached" in shown
    assert "median 1h · p90 3h 12m" in shown  # claim: 3600 s and 11520 s
    assert "EUR 12,000.50 · USD 700" in shown and "win rate 50% of accepted" in shown

    webinar = ask(asker, workspace, MANAGER, "stats source:WEBINAR 2025-W10")
    assert webinar.text.endswith("3 MQLs, 67% accepted")
    empty = ask(asker, workspace, MARKETER, "stats 2025-01")
    assert "No leads in this period" in everything(empty) and "0%" not in everything(empty)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("stats 13x", "is not a period"),
        ("stats 7d 30d", "one argument too many"),
        ("stats source:", "Write the source after the colon"),
        ("stats 2030-01", "has not started yet"),
        ("reasons 2025-13", "no month 13"),
        ("sources source:ads", "is not a period"),
        ("lead", "Name one lead"),
        ("mine now", "takes no arguments"),
        ("digest 2025-W60", "has no ISO week 60"),
        ("export 0d", "between 1d and 366d"),
    ],
)
def test_bad_arguments_get_that_subcommands_usage(
    asker: InteractionSender, workspace: FakeWorkspace, text: str, problem: str
) -> None:
    answer = ask(asker, workspace, MARKETER, text)
    name = text.split()[0]
    assert problem in answer.text
    assert f"Usage: /leadfeedback {name}" in answer.text
    assert "Traceback" not in everything(answer)


def test_reasons_and_sources(asker: InteractionSender, workspace: FakeWorkspace) -> None:
    reasons = everything(ask(asker, workspace, MARKETER, "reasons 2025-W10"))
    assert reasons.index("Not our ideal customer profile") < reasons.index("No budget")
    assert "· 2 (67%)" in reasons and "· 1 (33%)" in reasons
    assert reasons.index("Wrong industry") < reasons.index("Student")
    only_ads = everything(ask(asker, workspace, MARKETER, "reasons 2025-W10 source:ads"))
    assert "No budget" not in only_ads and "2 leads rejected" in only_ads

    sources = everything(ask(asker, workspace, MARKETER, "sources 2025-W10"))
    assert sources.index("*ads*") < sources.index("*webinar*") < sources.index("(no source)")
    assert "*ads* · 4 MQLs · *0%* accepted · median response 1h" in sources
    assert "3 opportunities · 2 won · EUR 12,000.50 · USD 700" in sources
    assert "(no source)* · 1 MQL · *\u2013* accepted" in sources


def test_one_leads_timeline_with_its_card(
    asker: InteractionSender, workspace: FakeWorkspace, feedback_bot: BotServer
) -> None:
    nurtured = everything(ask(asker, workspace, MARKETER, "lead l2@example.com"))
    assert "Arrived from webinar" in nurtured and "Rejected: No budget or too small" in nurtured
    assert "Won in the CRM: USD 700" in nurtured
    assert nurtured.index("Rejected") < nurtured.index("Won in the CRM")
    assert "Lost in the CRM: Chose a competitor" in everything(
        ask(asker, workspace, MANAGER, "lead 6")
    )
    assert "No lead matches" in ask(asker, workspace, MARKETER, "lead nobody@example.com").text
    assert "No lead matches" in ask(asker, workspace, MARKETER, "lead 99999999999").text

    response = feedback_bot.post_leads({"email": "Fresh@Example.com", "source": "ads"})
    assert response.status_code == 201
    card = wait_for(lambda: workspace.messages("C0LEADS"), what="the new card")[0]
    fresh = everything(
        ask(asker, workspace, MARKETER, "lead <mailto:fresh@example.com|fresh@example.com>")
    )
    assert "Card posted" in fresh and "View the card" in fresh
    assert f"archives/C0LEADS/p{card.ts.replace('.', '')}" in fresh


def test_digest_preview_then_post_once_by_hand(
    asker: InteractionSender, workspace: FakeWorkspace, feedback_bot: BotServer
) -> None:
    preview = everything(ask(asker, workspace, MARKETER, "digest"))
    assert (
        "Weekly lead digest · 2025-W10" in preview and "Preview, only you can see this" in preview
    )
    assert "Not our ideal customer profile" in preview  # the details are in the preview too
    assert workspace.messages("C0ALIGN") == []

    posting = ask(asker, workspace, MARKETER, "digest post")
    assert "Posting the digest for 2025-W10 to <#C0ALIGN>" in everything(posting)
    main = wait_for(lambda: workspace.messages("C0ALIGN"), what="the digest")[0]
    assert main.text == "Weekly lead digest, 2025-W10: 8 MQLs, 40% accepted"
    wait_for(lambda: len(workspace.replies("C0ALIGN", main.ts)) >= 2, what="details and chart")

    again = ask(asker, workspace, MANAGER, "digest post")
    assert "already posted by hand" in everything(again) and f"<@{MARKETER}>" in everything(again)
    feedback_bot.drain()
    assert len(workspace.messages("C0ALIGN")) == 1


def test_export_arrives_as_a_csv_in_a_dm(
    asker: InteractionSender, workspace: FakeWorkspace
) -> None:
    answer = ask(asker, workspace, MARKETER, "export 2025-W10")
    assert "handoff-leads-2025-W10-20250312.csv" in answer.text
    assert "8 leads" in everything(answer) and "Europe/Berlin" in everything(answer)
    dm = workspace.dm_channel(MARKETER)
    assert dm is not None
    (file,) = workspace.files
    assert file.name == "handoff-leads-2025-W10-20250312.csv" and file.shares[0][0] == dm
    rows = list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert len(rows) == 8
    by_id = {row["id"]: row for row in rows}
    assert by_id["2"]["rejection_comment"] == "Too small" and by_id["2"]["sla"] == "breached"
    assert by_id["6"]["created_at"] == "2025-03-09 23:30:00"
    owned = [row for row in rows if row["owner"]]
    assert owned, "the fixture has claimed leads"
    for row in owned:  # the seeded reps' display names, looked up with users.info
        assert row["owner_name"] == {"U0REP1": "ana", "U0REP2": "ben"}.get(
            row["owner"], row["owner"]
        )
    assert len(workspace.calls("users.info")) == len({row["owner"] for row in owned})
    assert "nothing to export" in ask(asker, workspace, MARKETER, "export 2025-01").text


def test_export_keeps_the_owner_id_when_slack_cannot_name_them(
    asker: InteractionSender, workspace: FakeWorkspace
) -> None:
    workspace.faults.inject("users.info", error="user_not_found", times=None)
    ask(asker, workspace, MARKETER, "export 2025-W10")
    (file,) = workspace.files
    rows = list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))
    owned = [row for row in rows if row["owner"]]
    assert owned and all(row["owner_name"] == row["owner"] for row in owned)


def test_the_ack_never_waits_for_the_answer(
    asker: InteractionSender, workspace: FakeWorkspace
) -> None:
    # Looking up the card link is slow today; Slack must still get its ack at once.
    workspace.faults.inject("chat.getPermalink", delay=1.5, times=1)
    response = asker.slash_command(
        user=MARKETER, channel="C0LEADS", command="/leadfeedback", text="lead 2"
    )
    assert response.status_code == 200 and response.content.strip() in (b"", b"{}")
    assert answers(workspace, MARKETER) == [], "answered before the ack: the ack waited"
    answer = wait_for(lambda: answers(workspace, MARKETER), what="the late answer")[0]
    assert "Lead #2" in everything(answer)
