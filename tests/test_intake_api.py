"""POST /api/leads, GET /healthz and POST /slack/events at the HTTP level."""

from __future__ import annotations

import itertools
import json
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.sandbox.fake_slack import FakeWorkspace, InteractionSender
from bot.settings import Settings
from bot.timekeeping.clock import ManualClock
from messages.ids import ActionId
from tests import store
from tests.conftest import INTAKE_TOKEN
from tests.harness import BotServer, wait_for

LEADS = "C0LEADS"


def lead(n: int = 1, **extra: Any) -> dict[str, Any]:
    return {"email": f"buyer{n}@example.com", "source": "ads", "company": f"Co {n}", **extra}


def post_raw(
    bot: BotServer,
    content: bytes,
    *,
    content_type: str = "application/json",
    token: str = INTAKE_TOKEN,
) -> httpx.Response:
    return httpx.post(
        f"{bot.url}/api/leads",
        content=content,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
        timeout=10,
    )


def test_every_refusal_has_its_status_and_a_per_field_message(
    bot: BotServer, database_url: str
) -> None:
    assert httpx.post(f"{bot.url}/api/leads", json=lead(), timeout=10).status_code == 401
    wrong = bot.post_leads(lead(), token="wrong-token-0123456789")
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"

    assert (
        post_raw(bot, b"email=a@b.co", content_type="application/x-www-form-urlencoded").status_code
        == 415
    )
    too_big = post_raw(
        bot, b'{"email": "a@b.co", "fields": {"x": "' + b"a" * (1024 * 1024) + b'"}}'
    )
    assert too_big.status_code == 413

    broken = post_raw(bot, b'{"email": ')
    assert broken.status_code == 422 and broken.json()["error"] == "invalid_json"

    single = bot.post_leads({"email": "nope", "employees": "many", "colour": "red"})
    assert single.status_code == 422
    errors = {e["field"]: e["message"] for e in single.json()["errors"]}
    assert set(errors) == {"email", "employees", "colour"}
    assert all("index" not in e for e in single.json()["errors"])

    over = bot.post_leads({"leads": [lead(i) for i in range(501)]})
    assert over.status_code == 422 and "500" in over.json()["message"]
    assert store.leads(database_url) == [] and store.outbox(database_url) == []


def test_a_batch_with_one_bad_lead_is_refused_whole(
    bot: BotServer, database_url: str, workspace: FakeWorkspace
) -> None:
    batch = [lead(1), lead(2), lead(3, email="broken@"), lead(4)]
    response = bot.post_leads({"leads": batch})
    assert response.status_code == 422
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(2, "email")]
    assert store.leads(database_url) == []
    bot.drain()
    assert store.outbox(database_url) == [] and workspace.messages(LEADS) == []


def test_batches_and_duplicates(
    bot: BotServer, database_url: str, workspace: FakeWorkspace
) -> None:
    first = bot.post_leads({"leads": [lead(1, external_id="ext-1"), lead(2), lead(2)]})
    assert first.status_code == 201
    body = first.json()
    ids = [item["id"] for item in body["leads"]]
    assert [item["status"] for item in body["leads"]] == ["created", "created", "duplicate"]
    assert ids[2] == ids[1] and (body["created"], body["duplicates"]) == (2, 1)

    again = bot.post_leads(lead(9, external_id="ext-1"))
    assert again.status_code == 200 and again.json() == {"id": ids[0], "status": "duplicate"}
    same_email = bot.post_leads(lead(2, email="BUYER2@example.com"))
    assert same_email.status_code == 200 and same_email.json()["id"] == ids[1]
    other_source = bot.post_leads(lead(2, source="webinar"))
    assert other_source.status_code == 201

    all_dupes = bot.post_leads({"leads": [lead(1, external_id="ext-1"), lead(2)]})
    assert all_dupes.status_code == 200 and all_dupes.json()["created"] == 0
    bot.drain()
    assert len(workspace.messages(LEADS)) == 3, "a duplicate never gets a second card"
    assert len(store.leads(database_url)) == 3


def test_the_dedup_window_is_configurable(
    database_url: str, slack: Any, workspace: FakeWorkspace
) -> None:
    from tests.conftest import make_settings

    clock = ManualClock()
    settings = make_settings(database_url, slack.api_url, intake={"dedup_window": "7d"})
    with BotServer(settings, clock=clock) as bot:
        first = bot.post_leads(lead(1)).json()["id"]
        clock.advance(timedelta(days=6))
        assert bot.post_leads(lead(1)).json() == {"id": first, "status": "duplicate"}
        clock.advance(timedelta(days=2))
        later = bot.post_leads(lead(1))
        assert later.status_code == 201 and later.json()["id"] != first


def test_slack_down_during_intake_never_loses_the_lead(
    bot: BotServer, workspace: FakeWorkspace, database_url: str
) -> None:
    workspace.set_down(True)
    response = bot.post_leads(lead(1))
    assert response.status_code == 201
    wait_for(lambda: workspace.calls("chat.postMessage"), what="a failed post attempt")

    def health() -> dict[str, Any]:
        return httpx.get(f"{bot.url}/healthz", timeout=10).json()

    wait_for(lambda: "503" in (health()["outbox"]["last_error"] or ""), what="the error recorded")
    assert health()["outbox"]["pending"] == 1
    workspace.set_down(False)
    card = wait_for(lambda: workspace.messages(LEADS), timeout=15, what="card after recovery")
    assert len(card) == 1
    lead_id = response.json()["id"]
    wait_for(lambda: store.lead(database_url, lead_id).message_ts == card[0].ts, what="ts stored")


def test_rate_limits_are_honoured_and_posts_are_paced(
    bot: BotServer, workspace: FakeWorkspace
) -> None:
    workspace.faults.inject("chat.postMessage", status=429, retry_after=1, times=1)
    assert bot.post_leads({"leads": [lead(1), lead(2), lead(3)]}).status_code == 201
    wait_for(lambda: len(workspace.messages(LEADS)) == 3, timeout=15, what="three cards")
    calls = workspace.calls("chat.postMessage", channel=LEADS)
    assert [c.http_status for c in calls] == [429, 200, 200, 200]
    assert calls[1].at - calls[0].at >= 0.95, "waited for Retry-After"
    gaps = [b.at - a.at for a, b in itertools.pairwise(calls[1:])]
    assert all(gap >= 0.95 for gap in gaps), f"about one message a second per channel: {gaps}"


def test_a_restart_resumes_the_queue(
    settings: Settings, workspace: FakeWorkspace, database_url: str
) -> None:
    workspace.set_down(True)
    with BotServer(settings) as bot:
        lead_id = bot.post_leads(lead(1)).json()["id"]
        wait_for(lambda: workspace.calls("chat.postMessage"), what="a failed attempt")
    assert workspace.messages(LEADS) == []
    workspace.set_down(False)
    with BotServer(settings):
        card = wait_for(lambda: workspace.messages(LEADS), what="card after restart")
        wait_for(lambda: store.lead(database_url, lead_id).message_ts == card[0].ts, what="ts")
        assert len(workspace.messages(LEADS)) == 1


def test_healthz_reports_database_slack_and_queue(bot: BotServer, workspace: FakeWorkspace) -> None:
    health = wait_for(
        lambda: (h := httpx.get(f"{bot.url}/healthz", timeout=10).json())["slack"]["auth"] and h,
        what="auth.test",
    )
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["slack"]["team"] == "Handoff Demo"
    assert health["outbox"]["pending"] == 0


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        (None, "good"),
        ("not-a-number", "good"),
        ("stale", "good"),
        ("now", "v0=deadbeef"),
        ("now", None),
        ("now", "tampered"),
    ],
)
def test_unsigned_or_stale_slack_requests_get_401(
    bot: BotServer,
    sender: InteractionSender,
    workspace: FakeWorkspace,
    database_url: str,
    timestamp: str | None,
    signature: str | None,
) -> None:
    bot.post_leads(lead(1))
    card = wait_for(lambda: workspace.messages(LEADS), what="card")[0]
    payload = sender.block_actions_payload(
        user="U0REP1", channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM
    )
    body = sender.encode_payload(payload)
    now = int(time.time())
    stamp = {"stale": now - 301, "now": now, "not-a-number": now}.get(timestamp or "", now)
    headers = sender.sign(body, stamp)
    if timestamp is None:
        del headers["X-Slack-Request-Timestamp"]
    elif timestamp == "not-a-number":
        headers["X-Slack-Request-Timestamp"] = "12ab"
    if signature is None:
        del headers["X-Slack-Signature"]
    elif signature == "tampered":
        body = body.replace(b"U0REP1", b"U0REP2")
    elif signature != "good":
        headers["X-Slack-Signature"] = signature
    response = sender.post(body, headers)
    assert response.status_code == 401
    assert json.loads(response.content)["error"] == "invalid_request"
    bot.drain()
    assert "Claimed" not in repr(workspace.messages(LEADS)[0].blocks)
    assert [lead.state for lead in store.leads(database_url)] == ["open"]


def test_a_slow_or_rate_limited_slack_never_delays_the_ack(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace
) -> None:
    bot.post_leads(lead(1))
    card = wait_for(lambda: workspace.messages(LEADS), what="card")[0]
    workspace.faults.inject("chat.update", delay=4.0, times=1)
    response = sender.click(user="U0REP1", channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM)
    assert response.status_code == 200
    # The ack came back while the card update was still stuck in Slack.
    assert not [c for c in workspace.calls("chat.update") if c.ok]
    wait_for(
        lambda: "Claimed by" in repr(workspace.messages(LEADS)[0].blocks), timeout=15, what="update"
    )
