"""The SLA clock's messages as plain functions, and the `handoff sla` listing."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

import bot.cli
import bot.cli.reports
from bot.settings import People, TeamConfig
from bot.sla.report import sla_rows
from messages.ids import ActionId
from messages.metadata import LeadRef
from messages.sla import escalation, nudge_dm, nudge_dm_done, thread_note, time_left
from storage.models import LeadEvent, LeadState
from tests.blockkit import assert_valid_blocks
from tests.store import _run
from tests.test_messages import HOSTILE, NOW, all_text, make_lead

TEAM = TeamConfig.model_validate(
    {
        "channels": {"leads": "C0LEADS", "marketing": "C0MKTG"},
        "timezone": "Europe/Berlin",
        "sla": {"on_duty": {"usergroup": "S0REPS", "users": ["U0REP2"]}, "escalate_to": "U0MGR"},
    }
)
PERMALINK = "https://handoff-demo.slack.com/archives/C0LEADS/p1000100"


def test_time_left_rounds_up_to_the_minute() -> None:
    due = NOW + timedelta(hours=1)
    assert time_left(due, NOW) == "1h"
    assert time_left(due, NOW + timedelta(seconds=5)) == "1h"
    assert time_left(due, NOW + timedelta(minutes=61)) == "0m"
    assert time_left(due, NOW + timedelta(minutes=30)) == "30m"


def test_the_nudge_dm_has_the_lead_the_time_left_a_link_and_the_buttons() -> None:
    lead = make_lead(state=LeadState.CLAIMED, owner_id="U0REP1", due_at=NOW + timedelta(hours=4))
    message = nudge_dm(lead, NOW, PERMALINK)
    assert_valid_blocks(message.blocks)
    assert message.text.startswith(":alarm_clock: 4h left to respond to Ana Smith at Acme")
    text = all_text(message.blocks)
    assert f"<{PERMALINK}|Open the card>" in text and "<!date^" in text
    buttons = message.blocks[-1]["elements"]
    assert [b["action_id"] for b in buttons] == [ActionId.ACCEPT, ActionId.REJECT]
    assert all(LeadRef.load(b["value"]) == LeadRef(lead_id=42) for b in buttons)
    assert_valid_blocks(nudge_dm(lead, NOW, None).blocks)


@pytest.mark.parametrize(
    ("state", "extra", "superseded", "says"),
    [
        (LeadState.ACCEPTED, {}, False, "was accepted as SQL by <@U0REP1>"),
        (LeadState.REJECTED, {"rejection_reason": "no_budget"}, False, "No budget or too small"),
        (LeadState.OPEN, {"owner_id": None}, False, "is unclaimed again"),
        (LeadState.CLAIMED, {}, True, "A newer reminder about"),
        (LeadState.CLAIMED, {"owner_id": "U0REP2"}, False, "is claimed by <@U0REP2>"),
    ],
)
def test_an_outdated_dm_says_what_became_of_the_lead_without_buttons(
    state: LeadState, extra: dict[str, Any], superseded: bool, says: str
) -> None:
    lead = make_lead(**{"state": state, "owner_id": "U0REP1", **extra})
    message = nudge_dm_done(lead, TEAM, PERMALINK, superseded=superseded)
    assert_valid_blocks(message.blocks)
    assert says in all_text(message.blocks)
    assert all(b["type"] != "actions" for b in message.blocks)


def test_thread_notes_mention_the_on_duty_reps() -> None:
    lead = make_lead(due_at=NOW + timedelta(hours=1))
    nudge = thread_note(lead, TEAM, NOW, note="nudge")
    assert nudge.text.startswith(":alarm_clock: <!subteam^S0REPS> <@U0REP2> This lead is still")
    assert "due in *1h*" in nudge.text
    released = thread_note(lead, TEAM, NOW, note="released", owner_id="U0REP1")
    assert "before <@U0REP1> accepted or rejected" in released.text
    nobody = TEAM.model_copy(update={"sla": TEAM.sla.model_copy(update={"on_duty": People()})})
    assert "None" not in thread_note(lead, nobody, NOW, note="nudge").text


def test_the_escalation_names_the_lead_and_its_claimer() -> None:
    lead = make_lead(state=LeadState.CLAIMED, owner_id="U0REP1")
    breach = LeadEvent(lead_id=42, kind="breached", at=NOW, detail={"owner_id": "U0REP1"})
    message = escalation(lead, breach, PERMALINK)
    assert_valid_blocks(message.blocks)
    assert "Claimed by <@U0REP1>, not yet accepted or rejected" in all_text(message.blocks)
    unclaimed = LeadEvent(lead_id=42, kind="breached", at=NOW, detail={"owner_id": None})
    assert "Nobody has claimed it" in all_text(escalation(make_lead(), unclaimed, None).blocks)


def test_the_escalation_says_why_in_words_not_a_config_key() -> None:
    breach = LeadEvent(lead_id=42, kind="breached", at=NOW, detail={"owner_id": None})
    shown = all_text(escalation(make_lead(), breach, PERMALINK).blocks)
    assert "the team's contact for missed response deadlines" in shown
    assert "sla." not in shown and "escalate_to" not in shown


def test_hostile_lead_values_ping_nobody_in_sla_messages() -> None:
    lead = make_lead(
        first_name=HOSTILE, last_name=None, company=HOSTILE, title=HOSTILE, email="x@example.com"
    )
    event = LeadEvent(lead_id=42, kind="breached", at=NOW, detail={"owner_id": None})
    for message in (
        nudge_dm(lead, NOW, PERMALINK),
        nudge_dm_done(lead, TEAM, PERMALINK, superseded=True),
        escalation(lead, event, PERMALINK),
        thread_note(lead, TEAM, NOW, note="nudge"),
    ):
        text = all_text(message.blocks) + message.text
        assert "<!channel>" not in text and "<@U0REP1>" not in text
        assert "<https://evil.example" not in text


def test_sla_rows_show_deadline_time_left_and_who_is_on_the_hook() -> None:
    claimed = make_lead(
        state=LeadState.CLAIMED, owner_id="U0REP1", sla_next_at=NOW + timedelta(hours=20)
    )
    overdue = make_lead(id=43, due_at=NOW - timedelta(hours=2), sla_next_at=None)
    first, second = sla_rows([claimed, overdue], TEAM, NOW + timedelta(hours=1))
    assert (first.lead, first.owner, first.on_the_hook) == ("#42 Ana Smith", "U0REP1", "U0REP1")
    assert first.left == "23h left"
    assert first.deadline == "Thu 26 Nov 10:00 CET"
    assert first.next_step == "nudge (4h before) Thu 26 Nov 06:00 CET"
    assert second.left == "overdue 3h"
    assert second.on_the_hook == "on duty: @S0REPS, U0REP2; escalated to U0MGR"
    assert second.next_step == "-"


def test_handoff_sla_lists_open_leads(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    leads = [
        make_lead(
            id=1, state=LeadState.CLAIMED, owner_id="U0REP1", due_at=now + timedelta(hours=3)
        ),
        make_lead(id=2, first_name="[bold]Bo", due_at=now - timedelta(hours=5)),
        make_lead(id=3, state=LeadState.ACCEPTED, owner_id="U0REP2"),
    ]

    async def insert(session: Any) -> None:
        for lead in leads:
            session.add(lead)

    _run(sqlite_url, insert)
    config = tmp_path / "app.yaml"
    config.write_text(
        "channels: {leads: C0LEADS, marketing: C0MKTG}\n"
        "timezone: Europe/Berlin\n"
        "sla: {on_duty: {usergroup: S0REPS}, escalate_to: U0MGR}\n"
    )
    monkeypatch.setattr(bot.cli.reports, "out", Console(width=250))
    result = CliRunner().invoke(
        bot.cli.main, ["--config", str(config), "sla"], env={"DATABASE_URL": sqlite_url}
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "#" in line]
    assert len(lines) == 2, result.output
    assert "#2 [bold]Bo Smith" in lines[0] and "overdue 5h" in lines[0]
    assert "on duty: @S0REPS; escalated to U0MGR" in lines[0]
    assert "#1 Ana Smith" in lines[1] and "claimed" in lines[1] and "U0REP1" in lines[1]
    assert "2h59m left" in lines[1] or "3h left" in lines[1]


def test_handoff_sla_asks_for_a_migrated_database(tmp_path: Path) -> None:
    config = tmp_path / "app.yaml"
    config.write_text("channels: {leads: C0LEADS, marketing: C0MKTG}\n")
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(
        bot.cli.main, ["--config", str(config), "sla"], env={"DATABASE_URL": url}
    )
    assert result.exit_code == 2 and "handoff db upgrade" in result.output


def test_handoff_sla_with_nothing_open(sqlite_url: str, tmp_path: Path) -> None:
    config = tmp_path / "app.yaml"
    config.write_text("channels: {leads: C0LEADS, marketing: C0MKTG}\n")
    result = CliRunner().invoke(
        bot.cli.main, ["--config", str(config), "sla"], env={"DATABASE_URL": sqlite_url}
    )
    assert result.exit_code == 0 and "No open leads" in result.output
