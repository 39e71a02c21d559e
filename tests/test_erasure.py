"""Erasing a lead's personal data: through the API, the CLI and the retention sweep.

The card and every message about the lead are rewritten in Slack; the numbers
stay exactly as they were; an erasure is one event that holds none of the data.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main as cli
from bot.feedback import reports
from bot.runtime.jobs import JobName
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from bot.timekeeping.clock import ManualClock
from bot.timekeeping.periods import parse_period
from messages.ids import ActionId, BlockId, CallbackId
from storage.database import Database
from tests import store
from tests.conftest import INTAKE_TOKEN, TEAM, make_settings
from tests.feedback_data import NOW
from tests.harness import BotServer, wait_for

LEADS, MARKETING = "C0LEADS", "C0MKTG"
ANA = "U0REP1"
PERSON = {
    "email": "priya.personal@example.com",
    "first_name": "Priya",
    "last_name": "Plumtree",
    "title": "Head of Secrets",
    "company": "Acme GmbH",
    "source": "webinar",
    "reason": "asked for a demo on her private phone",
    "crm_url": "https://crm.example.com/contacts/77",
    "external_id": "hs-77",
    "fields": {"phone": "+49 170 000000"},
}
PERSONAL = ("priya", "Priya", "Plumtree", "Secrets", "private phone", "+49 170", "Too expensive")


def delete(bot: BotServer, ref: str, token: str = INTAKE_TOKEN) -> httpx.Response:
    return httpx.delete(
        f"{bot.url}/api/leads/{ref}", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def everything_slack_shows(workspace: FakeWorkspace) -> str:
    shown = []
    for channel in workspace.channels:
        for message in workspace.messages(channel.id):
            shown.append(message.text + repr(message.blocks))
            for reply in workspace.replies(channel.id, message.ts):
                shown.append(reply.text + repr(reply.blocks))
    return "\n".join(shown)


def a_rejected_lead(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace
) -> tuple[int, str]:
    lead_id = bot.post_leads(PERSON).json()["id"]
    card = wait_for(lambda: workspace.messages(LEADS), what="the card")[0]
    bot.drain()
    sender.click(user=ANA, channel=LEADS, ts=card.ts, action_id=ActionId.REJECT)
    [view] = wait_for(lambda: workspace.open_views(ANA), what="the reject modal")
    assert view.callback_id == CallbackId.REJECT_MODAL
    sender.submit_view(
        user=ANA,
        view_id=view.id,
        values={
            BlockId.REJECT_REASON: {ActionId.REJECT_REASON: "other"},
            BlockId.REJECT_COMMENT: {ActionId.REJECT_COMMENT: "Too expensive, said Priya"},
        },
    )
    wait_for(lambda: workspace.messages(MARKETING), what="the rejection notice")
    bot.drain()
    return lead_id, card.ts


def figures(database_url: str) -> Any:
    async def read() -> Any:
        db = Database(database_url)
        try:
            period = parse_period("30d", now=NOW + timedelta(days=1), zone=TEAM_ZONE)
            stats = await reports.stats_report(db, period, now=NOW + timedelta(days=1))
            sources = await reports.sources_report(db, period)
            return stats, sources
        finally:
            await db.dispose()

    return asyncio.run(read())


TEAM_ZONE = make_settings("sqlite://").team.zone


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def bot(settings: Any, clock: ManualClock) -> Any:
    with BotServer(settings, clock=clock) as server:
        yield server


def test_delete_erases_the_person_rewrites_slack_and_keeps_the_numbers(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id, _ = a_rejected_lead(bot, sender, workspace)
    assert "Priya" in everything_slack_shows(workspace)
    before = figures(database_url)

    erased = delete(bot, "hs-77")
    assert erased.status_code == 200, erased.text
    assert erased.json() == {"id": lead_id, "status": "erased"}
    bot.drain()

    shown = everything_slack_shows(workspace)
    assert not [word for word in PERSONAL if word in shown], shown
    assert "personal data was erased" in shown
    lead = store.lead(database_url, lead_id)
    assert lead.email == f"erased-{lead_id}@erased.invalid"
    assert (lead.first_name, lead.last_name, lead.title, lead.reason) == (None,) * 4
    assert lead.fields == {} and lead.rejection_comment is None and lead.crm_url is None
    assert (lead.state, lead.rejection_reason, lead.source) == ("rejected", "other", "webinar")
    events = store.events(database_url, lead_id)
    assert [e.kind for e in events][-1] == "erased"
    assert not [word for word in PERSONAL if word in repr([e.detail for e in events])]
    assert figures(database_url) == before, "every number stays as it was"

    again = delete(bot, "hs-77")
    assert again.status_code == 200 and again.json()["status"] == "already_erased"
    bot.drain()
    assert [e.kind for e in store.events(database_url, lead_id)].count("erased") == 1


def test_delete_answers_like_the_rest_of_the_api(bot: BotServer) -> None:
    assert delete(bot, "1", token="wrong-token-0123456789").status_code == 401
    missing = delete(bot, "no-such-lead")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_handoff_forget_by_email_asks_then_erases(
    clock: ManualClock,
    bot: BotServer,
    sender: InteractionSender,
    workspace: FakeWorkspace,
    database_url: str,
    tmp_path: Path,
) -> None:
    lead_id, _ = a_rejected_lead(bot, sender, workspace)
    config = tmp_path / "app.yaml"
    config.write_text(yaml.safe_dump(TEAM))
    env = {"DATABASE_URL": database_url}
    runner = CliRunner()
    declined = runner.invoke(
        cli, ["--config", str(config), "forget", "PRIYA.personal@example.com"], env=env, input="n\n"
    )
    assert declined.exit_code == 1 and store.lead(database_url, lead_id).erased_at is None
    done = runner.invoke(
        cli,
        ["--config", str(config), "forget", "priya.personal@example.com", "--yes"],
        env=env,
    )
    assert done.exit_code == 0, done.output
    assert "Erased 1 lead" in done.output
    assert store.lead(database_url, lead_id).erased_at is not None
    clock.set(datetime.now(UTC))  # the CLI queued the rewrites on the real clock
    bot.drain()  # the running bot rewrites the messages the CLI queued
    assert "Priya" not in everything_slack_shows(workspace)
    unknown = runner.invoke(
        cli, ["--config", str(config), "forget", "nobody@example.com", "--yes"], env=env
    )
    assert unknown.exit_code == 2 and "nobody@example.com" in unknown.output


def test_the_retention_sweep_erases_old_leads_only(
    database_url: str, slack: FakeSlackServer, workspace: FakeWorkspace
) -> None:
    settings = make_settings(database_url, slack.api_url, retention={"personal_data": "400d"})
    clock = ManualClock(NOW)
    with BotServer(settings, clock=clock) as bot:
        old = bot.post_leads(PERSON).json()["id"]
        clock.advance(timedelta(days=300))
        young = bot.post_leads({**PERSON, "external_id": "hs-78", "source": "ads"}).json()["id"]
        bot.drain()
        clock.advance(timedelta(days=101))
        services = bot.handoff.services  # type: ignore[union-attr]
        bot.call(lambda: services.registry.jobs.run(JobName.RETENTION))
        bot.call(lambda: services.registry.jobs.run(JobName.RETENTION))  # twice: once only
        bot.drain()
    assert store.lead(database_url, old).erased_at is not None
    assert store.lead(database_url, young).erased_at is None
    assert [e.kind for e in store.events(database_url, old)].count("erased") == 1
