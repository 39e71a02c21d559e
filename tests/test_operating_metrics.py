"""GET /metrics as a Prometheus server reads it: off by default, its own token, real figures.

The bot runs on a real port against the fake workspace; the figures are read back with
prometheus_client's own parser, so the text format is checked by the library that defines it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot.app import create_app
from bot.runtime.jobs import Jobs
from bot.runtime.telemetry import Telemetry
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from bot.settings import Settings
from bot.slack.client import CountingClient
from messages.ids import ActionId, Command
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, make_settings
from tests.harness import BotServer, wait_for

METRICS_TOKEN = "metrics-token-0123456789"
LEADS = "C0LEADS"
ANA = "U0REP1"
LEAD = {"email": "ana.buyer@example.com", "source": "webinar", "company": "Acme"}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(bot: BotServer) -> Samples:
    response = httpx.get(
        f"{bot.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


@pytest.fixture
def metered(settings: Settings) -> Iterator[BotServer]:
    with BotServer(
        settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)})
    ) as server:
        yield server


def test_metrics_are_off_unless_a_token_is_set(bot: BotServer) -> None:
    response = httpx.get(f"{bot.url}/metrics", timeout=10)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert "HANDOFF_METRICS_TOKEN" in response.json()["message"]


def test_metrics_want_their_own_token(metered: BotServer) -> None:
    url = f"{metered.url}/metrics"
    intake_token = metered.settings.intake_token.get_secret_value()  # type: ignore[union-attr]
    for headers in ({}, {"Authorization": f"Bearer {intake_token}"}, {"Authorization": "Basic x"}):
        response = httpx.get(url, headers=headers, timeout=10)
        assert response.status_code == 401, headers
        assert response.json()["error"] == "unauthorized"
        assert "x-request-id" in response.headers
    assert httpx.get(url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200


def test_intake_deliveries_and_slack_calls_are_counted(
    metered: BotServer, workspace: FakeWorkspace
) -> None:
    assert metered.post_leads(LEAD).status_code == 201
    assert metered.post_leads(LEAD).status_code == 200  # the same lead again: a duplicate
    assert (
        metered.post_leads({"leads": [LEAD, {"email": "nope"}, {"company": "x"}]}).status_code
        == 422
    )
    metered.drain()
    samples = scrape(metered)
    assert value(samples, "handoff_intake_leads_total", result="created") == 1
    assert value(samples, "handoff_intake_leads_total", result="duplicate") == 1
    assert value(samples, "handoff_intake_leads_total", result="invalid") == 2
    sent = value(samples, "handoff_outbox_deliveries_total", kind="post_card", outcome="sent")
    assert sent == 1
    posts = len(workspace.calls("chat.postMessage"))
    assert posts >= 1
    ok = value(samples, "handoff_slack_api_calls_total", method="chat.postMessage", status="ok")
    assert ok == posts
    timed = value(
        samples, "handoff_slack_api_call_duration_seconds_count", method="chat.postMessage"
    )
    assert timed == posts
    assert value(samples, "handoff_outbox_waiting", kind="post_card") == 0
    assert value(samples, "handoff_outbox_oldest_waiting_seconds") == 0


def test_rate_limits_and_waiting_posts_show(metered: BotServer, workspace: FakeWorkspace) -> None:
    workspace.faults.inject("chat.postMessage", status=429, retry_after=1, times=None)
    assert metered.post_leads(LEAD).status_code == 201
    metered.drain()
    samples = scrape(metered)
    limited = value(
        samples, "handoff_slack_api_calls_total", method="chat.postMessage", status="429"
    )
    assert limited >= 1
    errors = value(samples, "handoff_outbox_deliveries_total", kind="post_card", outcome="error")
    assert errors >= 1
    assert value(samples, "handoff_outbox_waiting", kind="post_card") == 1
    assert value(samples, "handoff_outbox_waiting", kind="survey_dm") == 0  # every kind is there
    assert value(samples, "handoff_outbox_oldest_waiting_seconds") >= 0


def test_clicks_commands_and_the_listeners_slack_calls_are_counted(
    metered: BotServer, workspace: FakeWorkspace, slack: FakeSlackServer
) -> None:
    sender = InteractionSender(
        workspace, bot_url=metered.url, signing_secret=SIGNING_SECRET, response_base_url=slack.url
    )
    assert metered.post_leads(LEAD).status_code == 201
    metered.drain()
    card = wait_for(lambda: workspace.messages(LEADS), what="the card")[0]
    assert sender.click(user=ANA, channel=LEADS, action_id=ActionId.REJECT, ts=card.ts).is_success
    wait_for(lambda: workspace.calls("views.open"), what="the reject modal")
    sender.slash_command(user=ANA, channel=LEADS, command=Command.LEADFEEDBACK, text="help")
    sender.slash_command(user=ANA, channel=LEADS, command=Command.LEADFEEDBACK, text="x" * 500)

    def counted() -> Samples | None:
        samples = scrape(metered)
        opened = value(samples, "handoff_slack_api_calls_total", method="views.open", status="ok")
        return samples if opened == 1 else None

    samples = wait_for(counted, what="the listener's views.open counted")
    clicks = "handoff_slack_interactions_total"
    assert value(samples, clicks, type="block_actions", id=ActionId.REJECT) == 1
    assert value(samples, clicks, type="command", id="/leadfeedback help") == 1
    # An argument nobody registered is not a label of its own: labels stay bounded.
    assert value(samples, clicks, type="command", id="/leadfeedback unknown") == 1


def test_sweeps_are_timed_per_job(metered: BotServer) -> None:
    """The scheduler runs every job once at start-up; each run lands in the histogram."""

    def timed() -> Samples | None:
        samples = scrape(metered)
        runs = value(samples, "handoff_job_duration_seconds_count", job="sla_sweep")
        return samples if runs >= 1 else None

    samples = wait_for(timed, what="the first SLA sweep timed")
    assert value(samples, "handoff_job_failures_total", job="sla_sweep") == 0


async def test_a_failing_sweep_is_timed_and_counted() -> None:
    telemetry = Telemetry()
    jobs = Jobs(observe=telemetry.sweep)
    ran = asyncio.Event()

    async def broken() -> None:
        ran.set()
        raise RuntimeError("the sweep broke")

    jobs.add("broken", broken, every=timedelta(hours=1))
    jobs.start()
    try:
        await asyncio.wait_for(ran.wait(), 10)
    finally:
        await jobs.stop()
    samples = parse(generate_latest(telemetry.registry).decode())
    assert value(samples, "handoff_job_failures_total", job="broken") == 1
    assert value(samples, "handoff_job_duration_seconds_count", job="broken") == 1


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
async def test_a_store_that_does_not_answer_makes_the_scrape_503(
    store: str, tmp_path: Path
) -> None:
    """PostgreSQL: nothing listens on the port (asyncpg's ConnectionRefusedError). SQLite: an
    OperationalError, the family of a locked, full or unreadable file; a file without tables
    raises one at once, where a locked one would first wait out the 30 s busy timeout."""
    if store == "sqlite":
        sqlite3.connect(tmp_path / "empty.db").close()
        url = f"sqlite:///{tmp_path}/empty.db"
    else:
        url = "postgresql://postgres@127.0.0.1:1/none"
    settings = make_settings(url).model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)})
    handoff = create_app(settings)
    # In-process, without the lifespan: nothing starts; the store is only asked.
    transport = httpx.ASGITransport(app=handoff.http)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
            response = await client.get(
                "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )
    finally:
        await handoff.services.db.dispose()
    assert response.status_code == 503
    assert response.json()["error"] == "database_unavailable"


async def test_the_client_tells_ok_slack_errors_rate_limits_and_network_apart(
    slack: FakeSlackServer, workspace: FakeWorkspace
) -> None:
    seen: list[tuple[str, str]] = []

    def on_call(method: str, status: str, _seconds: float) -> None:
        seen.append((method, status))

    client = CountingClient(token=BOT_TOKEN, base_url=slack.api_url, on_call=on_call)
    await client.auth_test()
    workspace.faults.inject("chat.postMessage", error="channel_not_found")
    workspace.faults.inject("chat.postMessage", status=429, retry_after=1)
    for _ in range(2):
        with pytest.raises(Exception, match=r"channel_not_found|ratelimited"):
            await client.chat_postMessage(channel=LEADS, text="hello")
    unreachable = CountingClient(token=BOT_TOKEN, base_url="http://127.0.0.1:9/api/", timeout=2)
    unreachable.on_call = on_call
    with pytest.raises(Exception):  # noqa: B017  (aiohttp's connection error, whichever it is)
        await unreachable.auth_test()
    assert seen == [
        ("auth.test", "ok"),
        ("chat.postMessage", "slack_error"),
        ("chat.postMessage", "429"),
        ("auth.test", "network"),
    ]
