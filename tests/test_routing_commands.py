"""/handoff away|back, /leadfeedback reps and lead, `handoff route --explain`, the digest line:
through the fake workspace over real HTTP (and the real CLI in a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.routing.numbers import digest_section
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from bot.timekeeping.clock import ManualClock
from messages.ids import ActionId, Command
from tests import store
from tests.harness import wait_for
from tests.routing_support import ANA, BEN, LEADS, MARIA, ROUTING, SLA, START, Desk, text_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def desk(database_url: str, slack: FakeSlackServer, workspace: FakeWorkspace) -> Iterator[Desk]:
    with ExitStack() as stack:
        yield Desk(stack, database_url, slack, workspace, ManualClock(START))


def answer(desk: Desk, user: str, command: str, text: str) -> str:
    before = len(desk.ws.ephemerals(user=user))
    response = desk.sender.slash_command(user=user, channel=LEADS, command=command, text=text)
    assert response.status_code == 200
    found = wait_for(
        lambda: desk.ws.ephemerals(user=user)[before:], what=f"the answer to {command} {text}"
    )
    return repr(found[-1].blocks) + found[-1].text


def test_away_skips_the_rep_until_back(desk: Desk) -> None:
    desk.start()
    assert "You're away until you say /handoff back" in answer(desk, ANA, Command.HANDOFF, "away")
    assert "You're away until you say" in answer(desk, ANA, Command.HANDOFF, "status")
    for n in (1, 2):
        lead_id, card = desk.post(n)
        assert f"Assigned to <@{BEN}>" in text_of(card)
    why = next(e for e in store.events(desk.database_url, lead_id) if e.kind == "assigned")
    assert why.detail["skipped"] == {ANA: "away"}
    assert "Welcome back" in answer(desk, ANA, Command.HANDOFF, "back")
    # Back at the pool's average (Ben's 2), not 0: she gets her turn, not the next two.
    desk.post(3)
    desk.post(4)
    owners = {store.lead(desk.database_url, n).owner_id for n in (3, 4)}
    assert owners == {ANA, BEN}
    assert "weren't away" in answer(desk, ANA, Command.HANDOFF, "back")


def test_away_until_a_date_and_bad_input(desk: Desk) -> None:
    desk.start()
    assert "away until 2026-12-09" in answer(desk, ANA, Command.HANDOFF, "away until 2026-12-09")
    _, card = desk.post(1)
    assert f"Assigned to <@{BEN}>" in text_of(card)
    desk.clock.set(START + timedelta(days=2))  # Wednesday the 9th: back by date
    _, card = desk.post(2)
    assert f"Assigned to <@{ANA}>" in text_of(card)
    assert "not a date" in answer(desk, ANA, Command.HANDOFF, "away until tomorrow")
    assert "not in the future" in answer(desk, ANA, Command.HANDOFF, "away until 2026-01-01")
    assert "/handoff back" in answer(desk, ANA, Command.HANDOFF, "dance")


def test_leadfeedback_reps_for_managers_only(desk: Desk) -> None:
    desk.start()
    _, card = desk.post(1)
    assert desk.dms(ANA)
    desk.clock.set(START + timedelta(minutes=30))
    desk.sender.click_in_dm(user=ANA, action_id=ActionId.ACCEPT)
    desk.card_says(card, "Accepted as SQL")
    desk.post(2)
    desk.clock.set(START + timedelta(hours=1))
    text = answer(desk, MARIA, Command.LEADFEEDBACK, "reps 7d")
    assert f"<@{ANA}>\\nassigned *1* · accepted *1* · rejected *0*" in text
    assert "handed over *0* · breached *0* · median time to decision *30m*" in text
    assert f"<@{BEN}>\\nassigned *1* · accepted *0*" in text
    refused = answer(desk, ANA, Command.LEADFEEDBACK, "reps")
    assert ":lock:" in refused and "assigned *" not in refused


def test_the_lead_timeline_and_the_cli_say_why_this_rep(desk: Desk, tmp_path: Path) -> None:
    desk.start()
    answer(desk, ANA, Command.HANDOFF, "away")
    lead_id, _ = desk.post(1)
    text = answer(desk, MARIA, Command.LEADFEEDBACK, f"lead {lead_id}")
    assert (
        f"Assigned by the routing rules to {BEN}: next in the pool's rotation; rule 1; "
        f"pool reps; tier standard; skipped: {ANA} (away)"
    ) in text
    config = tmp_path / "app.yaml"
    team = {
        "channels": {"leads": "C0LEADS", "marketing": "C0MKTG"},
        "timezone": "Europe/Berlin",
        "routing": ROUTING,
        "sla": SLA,
    }
    config.write_text(yaml.safe_dump(team))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HANDOFF_"))}
    env.update(DATABASE_URL=desk.database_url, HANDOFF_CONFIG=str(config))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "route", "--explain", str(lead_id)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert f"assigned: {BEN}" in done.stdout
    assert "pool reps, tier standard" in done.stdout
    assert f"skipped {ANA}: away" in done.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "bot", "route", "--explain", "nobody@example.com"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert missing.returncode == 2 and "LEAD: no lead" in missing.stderr


def test_the_digest_gets_a_fairness_line(desk: Desk) -> None:
    bot = desk.start()
    for n in (1, 2, 3):
        desk.post(n)
    assert bot.handoff is not None
    services = bot.handoff.services
    blocks = bot.call(
        lambda: digest_section(services, START - timedelta(days=1), START + timedelta(days=1))
    )
    line = blocks[0]["elements"][0]["text"]
    assert f"3 leads assigned to 2 reps; most 2 (<@{ANA}>), fewest 1 (<@{BEN}>)" in line
