"""Regression tests of the adversarial runs' findings (issue 11), on both stores."""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import yaml

from bot.runtime.logs import PAYLOAD_LOGGERS, configure_logging
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from bot.sandbox.outages import BotProcess, PgProxy
from bot.settings import Settings
from messages.ids import ActionId
from storage.models import OutboxState
from tests import store
from tests.conftest import BOT_TOKEN, INTAKE_TOKEN, SIGNING_SECRET, TEAM, make_settings
from tests.harness import BotServer, wait_for

LEADS = "C0LEADS"
MIB = 1024 * 1024


def lead(n: int = 1, **extra: Any) -> dict[str, Any]:
    return {"email": f"buyer{n}@example.com", "source": "ads", **extra}


def intake(bot: BotServer, body: Any) -> httpx.Response:
    return bot.post_leads(body)


# --- 1. memory: a body past the limit is never read whole ------------------------------


@pytest.fixture
def bot_process(sqlite_url: str, slack: FakeSlackServer, tmp_path: Path) -> Iterator[BotProcess]:
    config = tmp_path / "app.yaml"
    config.write_text(yaml.safe_dump(TEAM))
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "HANDOFF_INTAKE_TOKEN": INTAKE_TOKEN,
        "DATABASE_URL": sqlite_url,
        "SLACK_API_URL": slack.api_url,
    }
    with BotProcess(env, config) as running:
        yield running


def chunks(total: int, size: int = MIB) -> Iterator[bytes]:
    block = b"x" * size
    for _ in range(total // size):
        yield block


@pytest.mark.parametrize("path", ["/slack/events", "/api/leads"])
def test_a_huge_chunked_body_is_refused_without_being_read(
    bot_process: BotProcess, path: str
) -> None:
    httpx.post(f"{bot_process.url}/api/leads", json=lead(), timeout=10)  # warm up
    before = bot_process.peak_memory_kib()
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {INTAKE_TOKEN}",
        "X-Slack-Request-Timestamp": str(int(time.time())),
    }
    try:
        response = httpx.post(
            f"{bot_process.url}{path}", content=chunks(300 * MIB), headers=headers, timeout=60
        )
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"
    except httpx.WriteError:
        pass  # the server answered 413 and closed while 300 MiB were still on their way
    grown = bot_process.peak_memory_kib() - before
    assert grown < 20 * 1024, f"peak memory grew by {grown} KiB for a 300 MiB body"


# --- 2. a store that does not answer is 503 everywhere ---------------------------------


@pytest.mark.postgres
def test_postgres_down_or_starting_answers_503_everywhere(
    postgres_url: str, slack: FakeSlackServer
) -> None:
    with PgProxy() as proxy:
        settings = make_settings(proxy.url_for(postgres_url), slack.api_url)
        with BotServer(settings) as bot:
            assert intake(bot, lead(1)).status_code == 201
            for outage in (proxy.down, proxy.starting):
                outage()
                refused = intake(bot, lead(2))
                assert refused.status_code == 503, refused.text
                assert refused.json()["error"] == "database_unavailable"
                outcome = httpx.post(
                    f"{bot.url}/api/leads/1/outcome",
                    json={"type": "lost", "reason": "budget"},
                    headers={"Authorization": f"Bearer {INTAKE_TOKEN}"},
                    timeout=10,
                )
                assert outcome.status_code == 503
                health = httpx.get(f"{bot.url}/healthz", timeout=10)
                assert health.status_code == 503 and health.json()["status"] == "unavailable"
            proxy.up()
            assert wait_for(lambda: intake(bot, lead(2)).status_code == 201, what="recovery")


def test_a_sqlite_file_that_cannot_be_opened_answers_503(
    tmp_path: Path, slack: FakeSlackServer
) -> None:
    settings = make_settings(f"sqlite:///{tmp_path}/missing-folder/handoff.db", slack.api_url)
    with BotServer(settings) as bot:
        response = intake(bot, lead())
        assert response.status_code == 503
        assert response.json()["error"] == "database_unavailable"
        assert httpx.get(f"{bot.url}/healthz", timeout=10).status_code == 503


# --- 3 and 4: input both stores take alike, or both refuse -----------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (lead(first_name="Ana\x00"), "first_name"),
        (lead(fields={"note": "a\x00b"}), "fields"),
        (lead(fields={"nested": [{"x\x00": 1}]}), "fields"),
        (lead(crm_url="https://crm.example.com/" + "a" * 2001), "crm_url"),
        (lead(crm_url="https://user:secret@crm.example.com/1"), "crm_url"),
    ],
)
def test_input_postgres_would_refuse_is_refused_on_both_stores(
    bot: BotServer, database_url: str, body: Any, field: str
) -> None:
    response = intake(bot, body)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert store.leads(database_url) == []


@pytest.mark.parametrize(
    "raw",
    [
        b'{"email": "a@example.com", "fields": {"x": NaN}}',
        b'{"email": "a@example.com", "fields": {"x": Infinity}}',
        b'{"email": "a@example.com", "fields": {"x": 1e400}}',
        b'{"email": "a@example.com", "score": NaN}',
        b"[" * 1000 + b"]" * 1000,
        b'{"email": "a@example.com", "fields": {"x": ' + b"9" * 5000 + b"}}",
    ],
    ids=["nan", "infinity", "1e400", "score-nan", "deep", "huge-int"],
)
def test_numbers_and_nesting_json_cannot_hold_are_422(
    bot: BotServer, database_url: str, raw: bytes
) -> None:
    response = httpx.post(
        f"{bot.url}/api/leads",
        content=raw,
        headers={"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 422, response.text
    assert store.leads(database_url) == []


@pytest.mark.parametrize(
    "ref", ["\u00b2", "\u0663", "\uff11", "2147483648", "99999999999999999999"]
)
def test_only_ascii_digits_within_32_bits_are_lead_ids(bot: BotServer, ref: str) -> None:
    assert intake(bot, lead()).status_code == 201
    response = httpx.post(
        f"{bot.url}/api/leads/{ref}/outcome",
        json={"type": "lost", "reason": "budget"},
        headers={"Authorization": f"Bearer {INTAKE_TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 404, response.text


def test_an_outcome_with_nul_is_refused(bot: BotServer) -> None:
    intake(bot, lead())
    headers = {"Authorization": f"Bearer {INTAKE_TOKEN}"}
    reason = httpx.post(
        f"{bot.url}/api/leads/1/outcome",
        json={"type": "lost", "reason": "no\x00"},
        headers=headers,
        timeout=10,
    )
    assert reason.status_code == 422 and reason.json()["errors"][0]["field"] == "reason"
    ref = httpx.post(
        f"{bot.url}/api/leads/a%00b/outcome",
        json={"type": "lost", "reason": "budget"},
        headers=headers,
        timeout=10,
    )
    assert ref.status_code == 422 and ref.json()["errors"][0]["field"] == "ref"


# --- 5. signed but malformed Slack requests: 400, nothing written ----------------------


def signed(sender: InteractionSender, body: bytes, content_type: str) -> httpx.Response:
    headers = {**sender.sign(body), "Content-Type": content_type}
    return sender.post(body, headers)


FORM = "application/x-www-form-urlencoded"


def interaction(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (urlencode({"payload": "[1, 2]"}).encode(), FORM),
        (urlencode({"payload": "not json"}).encode(), FORM),
        (b"payload=\xff\xfe", FORM),
        (
            urlencode({"payload": json.dumps({"type": "block_actions", "actions": "x"})}).encode(),
            FORM,
        ),
        (
            urlencode({"payload": json.dumps({"type": "block_actions", "actions": [1]})}).encode(),
            FORM,
        ),
        (
            urlencode({"payload": json.dumps({"type": "view_submission", "view": []})}).encode(),
            FORM,
        ),
        (
            urlencode(
                {"payload": json.dumps({"type": "view_submission", "view": {"state": 5}})}
            ).encode(),
            FORM,
        ),
        (json.dumps({"type": "event_callback", "event": "x"}).encode(), "application/json"),
        (json.dumps([1]).encode(), "application/json"),
        (b"{" * 1000, "application/json"),
        (urlencode({"nothing": "here"}).encode(), FORM),
    ],
)
def test_signed_but_malformed_slack_requests_get_400(
    bot: BotServer, sender: InteractionSender, body: bytes, content_type: str
) -> None:
    response = signed(sender, body, content_type)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_payload"


def test_a_click_naming_a_lead_past_32_bits_is_answered_not_crashed(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    intake(bot, lead())
    card = wait_for(lambda: workspace.messages(LEADS), what="card")[0]
    payload = sender.block_actions_payload(
        user="U0REP1", channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM
    )
    payload["actions"][0]["value"] = json.dumps({"lead_id": 2**40})
    assert sender.post_payload(payload).status_code == 200
    wait_for(lambda: workspace.ephemerals(user="U0REP1"), what="an answer")
    bot.drain()
    assert [lead.state for lead in store.leads(database_url)] == ["open"]


# --- 6. effectively-once posts ----------------------------------------------------------


def test_a_post_whose_answer_is_lost_is_not_posted_again(
    bot: BotServer, workspace: FakeWorkspace, database_url: str
) -> None:
    """Slack takes the card but its answer never arrives (the client times out)."""
    workspace.faults.inject("chat.postMessage", late_answer=15, times=1)
    lead_id = intake(bot, lead()).json()["id"]
    wait_for(lambda: workspace.messages(LEADS), what="the card in Slack")
    [card] = workspace.messages(LEADS)
    # The first attempt times out (10 s); the retry finds the card by its metadata.
    wait_for(
        lambda: store.lead(database_url, lead_id).message_ts, timeout=60, what="the card recorded"
    )
    bot.drain()
    assert len(workspace.messages(LEADS)) == 1
    assert store.lead(database_url, lead_id).message_ts == card.ts
    [row] = [m for m in store.outbox(database_url) if m.kind == "post_card"]
    assert row.state == OutboxState.SENT and row.attempts == 2


@pytest.mark.postgres
def test_a_store_outage_during_delivery_posts_each_card_once(
    postgres_url: str,
    slack: FakeSlackServer,
    workspace: FakeWorkspace,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.runtime.outbox_worker")
    with PgProxy() as proxy:
        settings = make_settings(proxy.url_for(postgres_url), slack.api_url)
        with BotServer(settings) as bot:
            workspace.faults.inject("chat.postMessage", late_answer=2.0, times=1)
            lead_id = intake(bot, lead()).json()["id"]
            wait_for(lambda: workspace.messages(LEADS), what="the card in Slack")
            proxy.down()  # Slack took the card; its answer is still on the way
            wait_for(
                lambda: "was delivered; the store does not answer" in caplog.text,
                what="a failed commit of the delivered card",
            )
            assert store.lead(postgres_url, lead_id).message_ts is None, "not recorded yet"
            proxy.up()
            wait_for(
                lambda: store.lead(postgres_url, lead_id).message_ts, timeout=45, what="recorded"
            )
            bot.drain()
    assert len(workspace.messages(LEADS)) == 1


def test_a_bot_killed_after_slack_answered_does_not_post_twice(
    sqlite_url: str, slack: FakeSlackServer, workspace: FakeWorkspace, tmp_path: Path
) -> None:
    config = tmp_path / "app.yaml"
    config.write_text(yaml.safe_dump(TEAM))
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "HANDOFF_INTAKE_TOKEN": INTAKE_TOKEN,
        "DATABASE_URL": sqlite_url,
        "SLACK_API_URL": slack.api_url,
    }
    workspace.faults.inject("chat.postMessage", late_answer=30, times=1)
    with BotProcess(env, config) as first:
        response = httpx.post(
            f"{first.url}/api/leads",
            json=lead(),
            headers={"Authorization": f"Bearer {INTAKE_TOKEN}"},
            timeout=10,
        )
        lead_id = response.json()["id"]
        wait_for(lambda: workspace.messages(LEADS), what="the card in Slack")
        first.kill()
    [row] = [m for m in store.outbox(sqlite_url) if m.kind == "post_card"]
    assert row.state == OutboxState.PENDING and row.attempts == 1, "taken, outcome unknown"
    store.expire_leases(sqlite_url)  # the two minutes of its lease pass
    with BotProcess(env, config):
        wait_for(lambda: store.lead(sqlite_url, lead_id).message_ts, what="the card recorded")
    assert len(workspace.messages(LEADS)) == 1
    assert store.lead(sqlite_url, lead_id).message_ts == workspace.messages(LEADS)[0].ts


# --- 8. smaller ones --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nowhere", 404), ("GET", "/api/leads", 405), ("PUT", "/healthz", 405)],
)
def test_every_error_answer_is_json(bot: BotServer, method: str, path: str, status: int) -> None:
    response = httpx.request(method, f"{bot.url}{path}", timeout=10)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] in ("not_found", "method_not_allowed")


def test_a_4000_character_argument_still_gets_the_usage_line(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, settings: Settings
) -> None:
    sender.slash_command(
        user="U0MKT", channel=LEADS, command="/leadfeedback", text="stats " + "<x>" * 1400
    )
    [answer] = wait_for(lambda: workspace.ephemerals(user="U0MKT"), what="the usage answer")
    text = answer.text + repr(answer.blocks)
    assert "Usage: `/leadfeedback stats" in text
    assert "<x>" not in text  # escaped, and cut short
    assert len(answer.text) < 600


# --- a full disk (SQLite) ---------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB filesystem of our own; needs the right to mount one (root), else a skip."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
    return filler


def test_a_full_disk_answers_503_and_posts_each_card_once(
    tiny_disk: Path,
    sqlite_template: Path,
    slack: FakeSlackServer,
    workspace: FakeWorkspace,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.runtime.outbox_worker")
    shutil.copy(sqlite_template, tiny_disk / "handoff.db")
    url = f"sqlite:///{tiny_disk}/handoff.db"
    with BotServer(make_settings(url, slack.api_url)) as bot:
        workspace.faults.inject("chat.postMessage", late_answer=2.0, times=1)
        lead_id = intake(bot, lead(1)).json()["id"]
        wait_for(lambda: workspace.messages(LEADS), what="the card in Slack")
        filler = fill(tiny_disk)  # the disk fills up while Slack's answer is on the way
        wait_for(
            lambda: "was delivered; the store does not answer" in caplog.text,
            what="a failed commit of the delivered card",
        )
        refused = intake(bot, {"leads": [lead(n) for n in range(2, 40)]})
        assert refused.status_code == 503, refused.text
        filler.unlink()
        wait_for(lambda: store.lead(url, lead_id).message_ts, timeout=45, what="recorded")
        bot.drain()
        assert [item.id for item in store.leads(url)] == [lead_id], "no half-stored batch"
    assert len(workspace.messages(LEADS)) == 1


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure_logging changes process-wide levels; put them back for the other tests."""
    names = ["", *PAYLOAD_LOGGERS]
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_verbose_logs_name_ids_never_people(
    restored_logging: None,
    bot: BotServer,
    sender: InteractionSender,
    workspace: FakeWorkspace,
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure_logging(verbose=True)
    caplog.set_level(logging.DEBUG)
    intake(bot, lead(email="secret.person@example.com", first_name="Secretname"))
    intake(bot, lead(email="secret.person@example.com", first_name="Secretname"))  # duplicate
    card = wait_for(lambda: workspace.messages(LEADS), what="card")[0]
    sender.click(user="U0REP1", channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM)
    bot.drain()
    assert any(
        record.levelno == logging.DEBUG and record.name.startswith("bot.")
        for record in caplog.records
    ), "our own debug lines are on"
    assert "secret.person" not in caplog.text and "Secretname" not in caplog.text
