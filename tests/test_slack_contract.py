"""The fake workspace's requests have the shape of Slack's real ones.

Each real payload in tests/fixtures/slack/ is compared key by key with what the
fake sends for the same kind of request: every key Slack sends must be there,
with the same JSON type. Keys only an Enterprise Grid workspace sends are the
one allowed difference (the fake is a standard workspace).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from slack_sdk import WebClient

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from bot.sandbox.servers import BackgroundServer
from tests.test_fake_slack import SECRET, Receiver, card, modal

FIXTURES = Path(__file__).parent / "fixtures" / "slack"
# Sent only by Enterprise Grid organisations.
GRID_ONLY = {"enterprise_id", "enterprise_name", "enterprise"}
# Sent only when the app asked for them (a modal with response_url_enabled inputs).
ON_REQUEST = {"response_urls"}
# Mappings keyed by data (block ids, then action ids), not by field names.
DATA_KEYED = ("$.view.state.values", "$.state.values")


def shape_gaps(real: Any, fake: Any, path: str = "$") -> list[str]:
    """Where `fake` lacks a key of `real` or holds a different JSON type."""
    if real is None or fake is None:
        return []  # a null is allowed either way (e.g. a private_metadata never set)
    if type(real) is not type(fake):
        return [f"{path}: Slack sends {type(real).__name__}, the fake {type(fake).__name__}"]
    gaps: list[str] = []
    if isinstance(real, dict) and path.startswith(DATA_KEYED):
        if real and fake:
            first_real, first_fake = next(iter(real.values())), next(iter(fake.values()))
            gaps.extend(shape_gaps(first_real, first_fake, f"{path}.*"))
    elif isinstance(real, dict):
        for key, value in real.items():
            if key in GRID_ONLY or key in ON_REQUEST:
                continue
            if key not in fake:
                gaps.append(f"{path}.{key}: missing")
            else:
                gaps.extend(shape_gaps(value, fake[key], f"{path}.{key}"))
    elif isinstance(real, list) and real and fake:
        gaps.extend(shape_gaps(real[0], fake[0], f"{path}[0]"))
    return gaps


@pytest.fixture
def ws() -> FakeWorkspace:
    return FakeWorkspace.seeded()


@pytest.fixture
def running(ws: FakeWorkspace) -> Iterator[tuple[FakeSlackServer, Receiver, str]]:
    receiver = Receiver()
    with FakeSlackServer(ws) as server, BackgroundServer(receiver.app) as bot:
        yield server, receiver, bot.url


@pytest.fixture
def sender(ws: FakeWorkspace, running: tuple[FakeSlackServer, Receiver, str]) -> InteractionSender:
    server, _, bot_url = running
    return InteractionSender(
        ws, bot_url=bot_url, signing_secret=SECRET, response_base_url=server.url
    )


def real(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_block_actions_has_slacks_shape(
    ws: FakeWorkspace, running: tuple[FakeSlackServer, Receiver, str], sender: InteractionSender
) -> None:
    server, _, _ = running
    client = WebClient(token=ws.bot_token, base_url=server.api_url)
    posted = client.chat_postMessage(channel="C0LEADS", text="lead", blocks=card(("claim", "7")))
    payload = sender.block_actions_payload(
        user="U0REP1", channel="C0LEADS", ts=posted["ts"], action_id="claim"
    )
    assert shape_gaps(real("block_actions.json"), payload) == []


@pytest.mark.parametrize(
    "name", ["view_submission.json", "view_submission_with_response_urls.json"]
)
def test_view_submission_has_slacks_shape(
    name: str,
    ws: FakeWorkspace,
    running: tuple[FakeSlackServer, Receiver, str],
    sender: InteractionSender,
) -> None:
    server, _, _ = running
    client = WebClient(token=ws.bot_token, base_url=server.api_url)
    view = client.views_open(trigger_id=ws.issue_trigger("U0REP1"), view=modal())["view"]
    payload = sender.view_submission_payload(
        user="U0REP1", view_id=view["id"], values={"reason": {"reason_select": "spam"}}
    )
    assert shape_gaps(real(name), payload) == []


def test_slash_command_has_slacks_fields(
    running: tuple[FakeSlackServer, Receiver, str], sender: InteractionSender
) -> None:
    _, receiver, _ = running
    sender.slash_command(user="U0REP1", channel="C0LEADS", command="/leadfeedback", text="help")
    form = dict(parse_qsl((FIXTURES / "slash_command.form").read_text()))
    [sent] = receiver.received
    assert sorted(set(form) - set(sent) - GRID_ONLY) == []


def test_the_comparison_notices_a_missing_key() -> None:
    assert shape_gaps({"a": {"b": 1}}, {"a": {}}) == ["$.a.b: missing"]
    assert shape_gaps({"a": [{"b": "x"}]}, {"a": [{"b": 2}]}) == [
        "$.a[0].b: Slack sends str, the fake int"
    ]
