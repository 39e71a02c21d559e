"""The SLA plan of a lead: deadline, due-soon, nudges with quiet hours, breach; and its settings."""

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.settings import SettingsError, SlaConfig, TeamConfig, load_settings
from bot.sla.policy import (
    SlaPolicy,
    StepKind,
    clock_start,
    restart_clock,
    sla_status,
    start_clock,
)
from storage.database import upgrade_database
from storage.kinds import breach_key, nudge_key, sla_card_key, sla_note_key
from storage.models import Lead, LeadState

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}


def team(**sla: Any) -> TeamConfig:
    return TeamConfig.model_validate(
        {"channels": {"leads": "C0LEADS", "marketing": "C0MKTG"}, "timezone": "Europe/Berlin"}
        | {"sla": sla}
    )


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


def plan(config: TeamConfig, posted: datetime, due: datetime | None = None) -> list[tuple]:
    policy = SlaPolicy.of(config)
    steps = policy.steps(posted, due or policy.deadline(posted))
    return [(s.kind, s.at.astimezone(BERLIN).strftime("%a %H:%M"), s.offset) for s in steps]


def test_wall_clock_plan_with_the_default_offsets() -> None:
    posted = berlin(2026, 3, 9, 10, 0)  # Monday
    assert start_clock(posted, team()).due_at == posted + timedelta(hours=24)
    assert plan(team(), posted) == [
        (StepKind.DUE_SOON, "Tue 04:00", None),
        (StepKind.NUDGE, "Tue 06:00", timedelta(hours=4)),
        (StepKind.NUDGE, "Tue 09:00", timedelta(hours=1)),
        (StepKind.BREACH, "Tue 10:00", None),
    ]
    assert start_clock(posted, team()).next_at == berlin(2026, 3, 10, 4)


def test_the_due_soon_step_is_where_the_card_starts_saying_due_soon() -> None:
    posted = berlin(2026, 3, 9, 10, 0)
    due = posted + timedelta(hours=24)
    step = SlaPolicy.of(team()).steps(posted, due)[0]
    lead = Lead(email="a@example.com", state=LeadState.OPEN, posted_at=posted, due_at=due)
    assert sla_status(lead, step.at - timedelta(seconds=1)) == "on_time"
    assert sla_status(lead, step.at) == "due_soon"


def test_a_restarted_clock_gets_the_whole_window_and_counts_from_the_restart() -> None:
    # Posted Monday 10:00, rejected, overturned Friday 18:00: with office hours the new
    # 24h run Monday to Wednesday 17:00, and "due soon" is a quarter of that window.
    config = team(business_hours=OFFICE)
    posted, overturned = berlin(2026, 3, 9, 10, 0), berlin(2026, 3, 13, 18, 0)
    clock = restart_clock(overturned, config)
    assert (clock.started_at, clock.due_at) == (overturned, berlin(2026, 3, 18, 17, 0))
    first = SlaPolicy.of(config).steps(overturned, clock.due_at)[0]
    assert clock.next_at == first.at and first.kind is StepKind.DUE_SOON
    lead = Lead(email="a@example.com", state=LeadState.OPEN, posted_at=posted)
    lead.sla_started_at, lead.due_at = clock.started_at, clock.due_at
    assert clock_start(lead) == overturned
    assert sla_status(lead, first.at - timedelta(seconds=1)) == "on_time"
    assert sla_status(lead, first.at) == "due_soon"


def test_a_restarted_clock_follows_the_leads_tier() -> None:
    config = team(tiers=[{"id": "hot", "respond_within": "1h", "nudge_before": ["15m"]}])
    overturned = berlin(2026, 3, 9, 10, 0)
    clock = restart_clock(overturned, config, "hot")
    assert clock.due_at == overturned + timedelta(hours=1)
    assert restart_clock(overturned, config).due_at == overturned + timedelta(hours=24)


def test_the_first_clocks_keys_are_as_deployed_and_later_rounds_name_theirs() -> None:
    # Rows under the first spelling are in deployed databases: changing it would nudge twice.
    assert (nudge_key(7, 14400, 0), breach_key(7, 0)) == ("nudge:7:14400", "breach:7")
    assert (sla_note_key(7, "released", 0), sla_card_key(7, "overdue", 0)) == (
        "sla-note:7:released",
        "sla-card:7:overdue",
    )
    assert (nudge_key(7, 14400, 2), breach_key(7, 1)) == (
        "nudge:7:14400:round:2",
        "breach:7:round:1",
    )


def test_business_hours_plan_friday_evening() -> None:
    config = team(business_hours=OFFICE)
    posted = berlin(2026, 3, 6, 18, 0)  # Friday after closing
    assert start_clock(posted, config).due_at == berlin(2026, 3, 11, 17, 0)
    kinds = plan(config, posted)
    assert kinds[1:] == [
        (StepKind.NUDGE, "Wed 13:00", timedelta(hours=4)),
        (StepKind.NUDGE, "Wed 16:00", timedelta(hours=1)),
        (StepKind.BREACH, "Wed 17:00", None),
    ]


def test_quiet_hours_hold_a_nudge_until_the_next_opening() -> None:
    config = team(respond_within="2h", business_hours=OFFICE)
    posted = berlin(2026, 3, 9, 16, 30)  # Monday: 30 minutes today, 90 tomorrow
    assert start_clock(posted, config).due_at == berlin(2026, 3, 10, 10, 30)
    # 4h before is 06:30 (quiet): it waits for 09:00. 1h before is 09:30 (open).
    assert plan(config, posted) == [
        (StepKind.DUE_SOON, "Tue 06:00", None),  # a card update, not a ping: no quiet hours
        (StepKind.NUDGE, "Tue 09:00", timedelta(hours=4)),
        (StepKind.NUDGE, "Tue 09:30", timedelta(hours=1)),
        (StepKind.BREACH, "Tue 10:30", None),
    ]


def test_nudges_held_for_the_same_opening_are_ordered_least_time_left_last() -> None:
    # 10 minutes on Monday, 10 on Tuesday: due Tue 09:10. The nudges 45 and 30
    # minutes before fall at 08:25 and 08:40 (quiet) and meet at 09:00.
    posted = berlin(2026, 3, 9, 16, 50)
    config = team(respond_within="20m", business_hours=OFFICE, nudge_before=["30m", "45m"])
    nudges = [(k, at, o) for k, at, o in plan(config, posted) if k is StepKind.NUDGE]
    assert nudges == [
        (StepKind.NUDGE, "Tue 09:00", timedelta(minutes=45)),
        (StepKind.NUDGE, "Tue 09:00", timedelta(minutes=30)),
    ]


def test_a_nudge_is_not_held_past_the_deadline() -> None:
    # A deadline outside business hours (set before business hours were configured).
    config = team(business_hours=OFFICE)
    posted, due = berlin(2026, 3, 13, 10, 0), berlin(2026, 3, 14, 10, 0)  # due Saturday
    assert plan(config, posted, due)[1:] == [
        (StepKind.NUDGE, "Sat 06:00", timedelta(hours=4)),
        (StepKind.NUDGE, "Sat 09:00", timedelta(hours=1)),
        (StepKind.BREACH, "Sat 10:00", None),
    ]


def test_offsets_reaching_back_to_the_posting_are_left_out() -> None:
    config = team(respond_within="2h")
    posted = berlin(2026, 3, 9, 10, 0)
    assert [k for k, *_ in plan(config, posted)] == [
        StepKind.NUDGE,
        StepKind.DUE_SOON,
        StepKind.BREACH,
    ]


def test_sla_settings_are_validated_with_their_keys(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(
        """
channels: {leads: C0LEADS, marketing: C0MKTG}
sla:
  respond_within: 8h
  nudge_before: [1h, 0s]
  sweep_every: 0s
  business_hours: {start: "18:00", end: "09:00", timezone: Moon/Base}
  holidays: {country: XX, extra: [2026-12-24]}
  escalate_to: manager
"""
    )
    with pytest.raises(SettingsError) as caught:
        load_settings({}, path)
    found = {p.key: p.message for p in caught.value.problems}
    assert "longer than 0" in found["sla.nudge_before"]
    assert "longer than 0" in found["sla.sweep_every"]
    assert "Moon/Base" in found["sla.business_hours.timezone"]
    assert "'XX'" in found["sla.holidays"] and "ISO 3166" in found["sla.holidays"]
    assert "Slack id" in found["sla.escalate_to"]


def test_sla_settings_normalise_offsets_dates_and_subdivisions() -> None:
    sla = SlaConfig.model_validate(
        {
            "nudge_before": ["1h", "4h", "60m"],
            "holidays": {
                "country": "DE",
                "subdivision": "BE",
                "extra": [datetime(2026, 12, 24).date()],
            },
            "escalate_to": "#sales-leads",
        }
    )
    assert sla.nudge_before == [timedelta(hours=4), timedelta(hours=1)]
    assert sla.holidays.extra == ["2026-12-24"]
    with pytest.raises(
        ValidationError, match=r"'24\.12\.2026' is not a date; write it as YYYY-MM-DD"
    ):
        SlaConfig.model_validate({"holidays": {"extra": ["2026-12-24", "24.12.2026"]}})
    with pytest.raises(ValidationError, match="no subdivision 'ZZ'"):
        SlaConfig.model_validate({"holidays": {"country": "DE", "subdivision": "ZZ"}})
    with pytest.raises(ValidationError, match="needs a country"):
        SlaConfig.model_validate({"holidays": {"subdivision": "BE"}})
    with pytest.raises(ValidationError, match="start must be before end"):
        SlaConfig.model_validate({"business_hours": {"start": "17:00", "end": "09:00"}})


def test_the_migration_starts_the_clock_of_leads_already_waiting(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade_database(url, "0001")
    with sqlite3.connect(tmp_path / "old.db") as connection:
        for n, state in enumerate(("open", "claimed", "accepted"), start=1):
            connection.execute(
                "INSERT INTO leads (id, email, fields, state, created_at, posted_at, due_at) "
                "VALUES (?, ?, '{}', ?, '2026-03-09 09:00:00.000000', "
                "'2026-03-09 09:00:00.000000', '2026-03-10 09:00:00.000000')",
                (n, f"lead{n}@example.com", state),
            )
    upgrade_database(url)
    with sqlite3.connect(tmp_path / "old.db") as connection:
        rows = connection.execute("SELECT state, sla_next_at FROM leads ORDER BY id").fetchall()
    # The first sweep catches up from the posting, as after downtime.
    with sqlite3.connect(tmp_path / "old.db") as connection:
        clocks = connection.execute("SELECT sla_started_at, sla_round FROM leads").fetchall()
    assert clocks == [(None, 0)] * 3, "every stored lead is on its first clock"
    assert rows == [
        ("open", "2026-03-09 09:00:00.000000"),
        ("claimed", "2026-03-09 09:00:00.000000"),
        ("accepted", None),
    ]
