"""HANDOFF_LOG_FORMAT=json: one JSON object per line, and the ids that tie lines together.

The bot runs on a real port in this process, so its lines reach the stderr pytest
captures; each test parses them as a log shipper would, one JSON object per line.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.runtime.jobs import Jobs
from bot.runtime.logs import HANDLER_NAME, REQUEST_ID, configure_logging
from bot.runtime.telemetry import Telemetry
from bot.sandbox.fake_slack import FakeWorkspace, InteractionSender
from bot.settings import load_settings, log_format_of
from messages.ids import ActionId
from tests import store
from tests.harness import BotServer, wait_for

LEADS, ANA = "C0LEADS", "U0REP1"
LEAD = {"email": "ana.buyer@example.com", "source": "webinar", "company": "Acme"}


@pytest.fixture
def json_logs() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    configure_logging(log_format="json")
    yield
    for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(handler)
    root.setLevel(level)


def json_lines(err: str) -> list[dict[str, Any]]:
    """Every line the handler wrote; json.loads fails the test on a line that is not JSON."""
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_each_line_is_one_object_with_time_level_logger_message_and_exception(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    log = logging.getLogger("handoff.test")
    token = REQUEST_ID.set("req-1")
    try:
        log.info("stored lead %s", 7)
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            log.exception("it broke")
    finally:
        REQUEST_ID.reset(token)
    log.warning("outside any request")
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 3, "a traceback stays inside its one line"
    first, second, third = json_lines(err)
    assert first["message"] == "stored lead 7"
    assert (first["level"], first["logger"], first["request_id"]) == (
        "INFO",
        "handoff.test",
        "req-1",
    )
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exception"]
    assert "request_id" not in third and "exception" not in third


def test_sql_statements_are_not_logged(
    json_logs: None, capsys: pytest.CaptureFixture[str], bot: BotServer
) -> None:
    assert bot.post_leads(LEAD).status_code == 201
    bot.drain()
    lines = json_lines(capsys.readouterr().err)
    assert not [line for line in lines if line["logger"].startswith("sqlalchemy")]


def test_a_sweep_marks_its_lines_with_a_job_id(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    telemetry = Telemetry()
    for _ in range(2):
        with telemetry.sweep("sla_sweep"):
            logging.getLogger("bot.sla").info("sweeping")
    first, second = json_lines(capsys.readouterr().err)
    assert first["job_id"].startswith("sla_sweep-")
    assert first["job_id"] != second["job_id"], "each run has its own id"


async def test_a_failed_sweep_is_logged_under_its_job_id(
    json_logs: None, capsys: pytest.CaptureFixture[str]
) -> None:
    jobs = Jobs(observe=Telemetry().sweep)
    ran = asyncio.Event()

    async def broken() -> None:
        logging.getLogger("bot.sla").info("sweeping")
        ran.set()
        raise RuntimeError("the sweep broke")

    jobs.add("broken", broken, every=timedelta(hours=1))
    jobs.start()
    try:
        await asyncio.wait_for(ran.wait(), 10)
    finally:
        await jobs.stop()
    lines = json_lines(capsys.readouterr().err)
    (sweeping,) = [line for line in lines if line["message"] == "sweeping"]
    (failed,) = [line for line in lines if line["message"] == "job broken failed"]
    assert failed["job_id"] == sweeping["job_id"]
    assert "RuntimeError: the sweep broke" in failed["exception"]


def test_requests_get_an_id_and_a_proxys_id_is_kept(bot: BotServer) -> None:
    mine = httpx.get(f"{bot.url}/healthz", timeout=10).headers["x-request-id"]
    again = httpx.get(f"{bot.url}/healthz", timeout=10).headers["x-request-id"]
    assert mine and mine != again
    given = httpx.get(f"{bot.url}/healthz", headers={"X-Request-ID": "proxy-42"}, timeout=10)
    assert given.headers["x-request-id"] == "proxy-42"
    hostile = httpx.get(f"{bot.url}/healthz", headers={"X-Request-ID": "a b\tc" * 30}, timeout=10)
    assert hostile.headers["x-request-id"] not in ("", "a b\tc" * 30)


@pytest.mark.parametrize("transport", ["http", "socket"], indirect=True)
def test_a_slack_listener_logs_under_the_request_id_of_its_click(
    json_logs: None,
    capsys: pytest.CaptureFixture[str],
    bot: BotServer,
    sender: InteractionSender,
    workspace: FakeWorkspace,
    transport: str,
) -> None:
    """The listener runs after the ack, in a task of its own; it still carries the id.
    Over HTTP it is the id the answer names; over Socket Mode one is made per envelope."""
    assert bot.post_leads(LEAD).status_code == 201
    bot.drain()
    card = workspace.messages(LEADS)[0]
    payload = sender.block_actions_payload(
        user=ANA, channel=LEADS, action_id=ActionId.CLAIM, ts=card.ts
    )
    payload["actions"][0]["value"] = "not a lead reference"
    response = sender.post_payload(payload)
    assert response.status_code == 200
    wait_for(lambda: workspace.ephemerals(user=ANA), what="the refusal")
    lines = json_lines(capsys.readouterr().err)
    warning = [line for line in lines if "a lead button without a lead" in line["message"]]
    assert warning and warning[0]["request_id"]
    if transport == "http":
        assert warning[0]["request_id"] == response.headers["x-request-id"]


def test_a_delivery_logs_under_its_outbox_id(
    json_logs: None, capsys: pytest.CaptureFixture[str], bot: BotServer, workspace: FakeWorkspace
) -> None:
    workspace.faults.inject("chat.postMessage", error="channel_not_found")
    assert bot.post_leads(LEAD).status_code == 201
    bot.drain()
    (row,) = store.outbox(bot.settings.database_url)
    lines = json_lines(capsys.readouterr().err)
    refused = [line for line in lines if line["message"].startswith("Slack refused")]
    assert refused and refused[0]["outbox_id"] == row.id
    assert refused[0]["level"] == "ERROR"


def test_the_format_is_read_before_the_settings_and_checked_with_them(tmp_path: Any) -> None:
    assert log_format_of({}) == "plain"
    assert log_format_of({"HANDOFF_LOG_FORMAT": "JSON"}) == "json"
    assert log_format_of({"HANDOFF_LOG_FORMAT": "yaml"}) == "plain"
    config = tmp_path / "app.yaml"
    config.write_text("channels: {leads: C0LEADS, marketing: C0MKTG}\n")
    with pytest.raises(Exception, match="HANDOFF_LOG_FORMAT"):
        load_settings({"HANDOFF_LOG_FORMAT": "yaml"}, config_path=config)
    assert load_settings({"HANDOFF_LOG_FORMAT": "json"}, config_path=config).log_format == "json"
