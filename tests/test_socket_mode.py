"""Socket Mode end to end: the bot connects to the fake workspace's WebSocket.

The handoff loop's main tests run over both transports (test_handoff_loop.py); these
are what only Socket Mode has: envelopes and acks, Slack's redelivery of an event
whose ack came late, `disconnect` and the reconnection, and a refused app token.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.sandbox.fake_slack import EnvelopeType, FakeSlackServer, FakeWorkspace, InteractionSender
from messages.ids import ActionId
from tests import store
from tests.conftest import APP_TOKEN, BOT_TOKEN, INTAKE_TOKEN
from tests.harness import BotServer, wait_for
from tests.test_handoff_loop import LEAD, LEADS, the_card

SOCKET = pytest.mark.parametrize("transport", ["socket"], indirect=True)
ANA = "U0REP1"


@SOCKET
def test_clicks_travel_as_envelopes_and_health_reports_the_socket(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id = bot.post_leads(LEAD).json()["id"]
    card = the_card(workspace)
    assert sender.click(user=ANA, channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM).is_success
    wait_for(lambda: store.lead(database_url, lead_id).state == "claimed", what="the claim")
    [envelope] = workspace.sockets.envelopes(EnvelopeType.INTERACTIVE)
    assert envelope.acked and envelope.payload["type"] == "block_actions"
    health = httpx.get(f"{bot.url}/healthz", timeout=5).json()
    assert health["slack"]["socket"] == "connected"
    # Over Socket Mode there is no HTTP endpoint for Slack, hence nothing to forge.
    assert httpx.post(f"{bot.url}/slack/events", content=b"x", timeout=5).status_code == 404


@SOCKET
def test_a_late_ack_is_redelivered_and_the_bot_acts_once(
    bot: BotServer,
    sender: InteractionSender,
    workspace: FakeWorkspace,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = workspace.sockets
    hub.ack_timeout = 0.5  # Slack waits about 3 s; the rule is the same, the test faster
    hub.count_next_acks_as_late(1)
    caplog.set_level(logging.INFO, logger="bot.feedback.direct_messages")
    assert sender.message_in_dm(user=ANA, text="hi").status_code == 200
    first, second = hub.envelopes(EnvelopeType.EVENTS_API)
    assert (first.retry_attempt, first.late, first.acked) == (0, True, False)
    assert (second.retry_attempt, second.acked) == (1, True)
    assert first.envelope_id != second.envelope_id
    assert first.payload == second.payload  # the same event, delivered twice
    # Both deliveries reached the listener; the second found the answer queued already.
    wait_for(lambda: "is answered already" in caplog.text, what="the retry to be handled")
    dm = workspace.dm_channel(ANA)
    assert dm is not None
    wait_for(
        lambda: [m for m in workspace.messages(dm) if m.user == workspace.bot_user_id],
        what="the answer",
    )
    kinds = [row.kind for row in store.outbox(database_url)]
    assert kinds.count("dm_help") == 1
    assert len(workspace.calls("chat.postMessage", channel=dm)) == 1

    # A click whose ack is late is not redelivered (Slack shows the user an error).
    lead_id = bot.post_leads(LEAD).json()["id"]
    card = the_card(workspace)
    bot.drain()  # the card's ts is recorded: a claim before that is refused ("not posted yet")
    hub.count_next_acks_as_late(1)
    answer = sender.click(user=ANA, channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM)
    assert answer.status_code == 504
    wait_for(lambda: store.lead(database_url, lead_id).state == "claimed", what="the claim")
    assert len(hub.envelopes(EnvelopeType.INTERACTIVE)) == 1
    assert [e.kind for e in store.events(database_url, lead_id)] == ["posted", "claimed"]


@SOCKET
def test_disconnect_makes_the_bot_reconnect_and_carry_on(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    hub = workspace.sockets
    [first] = hub.open_connections()
    hub.disconnect("refresh_requested")
    wait_for(lambda: len(hub.connections()) == 2, what="a second connection")
    wait_for(lambda: hub.connections()[0].closed, what="the bot to close the old one")
    assert hub.connections()[0].told_to_disconnect == "refresh_requested"
    wait_for(lambda: bot.socket_state == "connected", what="hello on the new connection")
    lead_id = bot.post_leads(LEAD).json()["id"]
    card = the_card(workspace)
    sender.click(user=ANA, channel=LEADS, ts=card.ts, action_id=ActionId.CLAIM)
    wait_for(lambda: store.lead(database_url, lead_id).state == "claimed", what="the claim")
    assert hub.envelopes()[-1].connection_id != first.id
    assert workspace.calls("apps.connections.open")[-1].ok
    assert len(workspace.calls("apps.connections.open")) == 2


def run_env(slack: FakeSlackServer, tmp_path: Any, app_token: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": app_token,
        "HANDOFF_INTAKE_TOKEN": INTAKE_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/handoff.db",
    }


@pytest.mark.parametrize(
    ("app_token", "error"),
    [("xapp-1-A0HANDOFF-1-wrong", "invalid_auth"), (BOT_TOKEN, None)],
)
def test_a_refused_app_token_stops_run_naming_slack_app_token(
    slack: FakeSlackServer, tmp_path: Any, app_token: str, error: str | None
) -> None:
    result = CliRunner().invoke(
        main, ["--config", "app.yaml", "run", "--socket"], env=run_env(slack, tmp_path, app_token)
    )
    assert result.exit_code == 2
    if error is None:  # a bot token where the app-level token belongs: refused by its prefix
        assert "SLACK_APP_TOKEN: must start with xapp-" in result.output
    else:
        assert f"SLACK_APP_TOKEN: Slack refused it ({error})" in result.output
        assert "App-Level Tokens" in result.output


def test_the_fake_refuses_the_wrong_kind_of_token(
    slack: FakeSlackServer, workspace: FakeWorkspace
) -> None:
    def call(method: str, token: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.post(f"{slack.api_url}{method}", headers=headers, timeout=5).json()

    assert call("apps.connections.open", BOT_TOKEN)["error"] == "not_allowed_token_type"
    assert call("auth.test", APP_TOKEN)["error"] == "not_allowed_token_type"
    opened = call("apps.connections.open", APP_TOKEN)
    assert opened["ok"] and opened["url"].startswith("ws://127.0.0.1:")
    assert "/link/?ticket=" in opened["url"]


def test_the_fake_speaks_socket_mode_as_slack_documents_it(
    slack: FakeSlackServer, workspace: FakeWorkspace
) -> None:
    """A raw WebSocket client, no SDK: the shapes on the wire are Slack's."""
    import json
    import threading

    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    headers = {"Authorization": f"Bearer {APP_TOKEN}"}
    url = httpx.post(f"{slack.api_url}apps.connections.open", headers=headers, timeout=5).json()
    with connect(url["url"]) as socket:
        hello = json.loads(socket.recv(timeout=5))
        assert hello["type"] == "hello" and hello["num_connections"] == 1
        assert hello["connection_info"] == {"app_id": workspace.app_id}
        command = {"command": "/leadfeedback", "text": "help", "user_id": "U0REP1"}
        answers: list[Any] = []
        delivering = threading.Thread(
            target=lambda: answers.append(
                workspace.sockets.deliver(EnvelopeType.SLASH_COMMANDS, command)
            )
        )
        delivering.start()
        envelope = json.loads(socket.recv(timeout=5))
        assert set(envelope) == {"envelope_id", "type", "payload", "accepts_response_payload"}
        assert (envelope["type"], envelope["accepts_response_payload"]) == ("slash_commands", True)
        assert envelope["payload"] == command
        socket.send(json.dumps({"envelope_id": envelope["envelope_id"], "payload": {"text": "ok"}}))
        delivering.join(5)
        assert answers[0].acked and answers[0].payload == {"text": "ok"}
        workspace.sockets.disconnect("warning")
        goodbye = json.loads(socket.recv(timeout=5))
        assert (goodbye["type"], goodbye["reason"]) == ("disconnect", "warning")
    with pytest.raises(InvalidStatus), connect(url["url"]):
        pass  # a ticket opens one connection
