"""The fake Slack workspace, driven by the real slack_sdk clients over real HTTP."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from bot.sandbox.fake_slack import (
    SEED,
    BackgroundServer,
    FakeSlackServer,
    FakeWorkspace,
    InteractionSender,
    block_problems,
    create_fake_slack_app,
)
from messages import block_limits as limits

TOKEN = "xoxb-fake-slack-tests"
SECRET = "fake-slack-signing-secret"


@pytest.fixture
def ws() -> FakeWorkspace:
    return FakeWorkspace.seeded(bot_token=TOKEN)


@pytest.fixture
def server(ws: FakeWorkspace) -> Iterator[FakeSlackServer]:
    with FakeSlackServer(ws) as running:
        yield running


@pytest.fixture
def client(server: FakeSlackServer) -> WebClient:
    return WebClient(token=TOKEN, base_url=server.api_url)


@pytest.fixture
def aclient(server: FakeSlackServer) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=server.api_url)


def slack_error(call: Callable[[], Any]) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


async def aslack_error(awaitable: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        await awaitable
    return raised.value


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def card(*buttons: tuple[str, str]) -> list[dict[str, Any]]:
    return [
        section("*New lead* Acme GmbH"),
        {
            "type": "actions",
            "block_id": "lead_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "text": {"type": "plain_text", "text": action_id.title()},
                    "value": value,
                }
                for action_id, value in buttons
            ],
        },
    ]


def modal(title: str = "Reject lead", blocks: list[dict[str, Any]] | None = None) -> dict:
    return {
        "type": "modal",
        "callback_id": "reject_lead",
        "private_metadata": '{"lead": 7}',
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Reject"},
        "blocks": blocks
        if blocks is not None
        else [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {
                    "type": "static_select",
                    "action_id": "reason_select",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Not a fit"}, "value": "no_fit"},
                        {"text": {"type": "plain_text", "text": "Spam"}, "value": "spam"},
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "note",
                "optional": True,
                "label": {"type": "plain_text", "text": "Note"},
                "element": {"type": "plain_text_input", "action_id": "note_input"},
            },
        ],
    }


# ------------------------------------------------------------------- the seed


def test_seeded_workspace_has_the_documented_people_channels_and_groups(ws: FakeWorkspace):
    assert ws.team_id == SEED.team_id == "T0HANDOFF"
    bot = ws.user(SEED.bot_user_id)
    assert bot is not None and bot.is_bot and bot.bot_id == "B0BOT" and bot.name == "handoff"
    assert {u.id: u.name for u in ws.users if not u.is_bot} == {
        "U0REP1": "ana",
        "U0REP2": "ben",
        "U0MGR": "maria",
        "U0MKT": "mark",
        "U0GONE": "gus",
    }
    gone = ws.user(SEED.gone_rep)
    assert gone is not None and gone.deleted
    assert ws.resolve_channel("#sales-leads") == SEED.channel_leads
    assert ws.resolve_channel("revenue-alignment") == SEED.channel_alignment
    leads = ws.channel(SEED.channel_leads)
    assert leads is not None and SEED.bot_user_id in leads.members
    assert SEED.gone_rep not in leads.members  # Slack drops deactivated users from channels
    reps = ws.usergroup(SEED.usergroup_reps)
    assert reps is not None and reps.users == ("U0REP1", "U0REP2", "U0GONE")


# ------------------------------------------------------------------ messages


def test_post_update_and_thread_replies(client: WebClient, ws: FakeWorkspace):
    posted = client.chat_postMessage(
        channel="#sales-leads", text="New lead", blocks=card(("claim", "7"))
    )
    assert posted["channel"] == SEED.channel_leads
    message = posted["message"]
    assert (message["user"], message["bot_id"], message["ts"]) == ("U0BOT", "B0BOT", posted["ts"])
    assert message["blocks"][1]["elements"][0]["action_id"] == "claim"

    reply = client.chat_postMessage(
        channel="C0LEADS", text="Claimed by Ana", thread_ts=posted["ts"]
    )
    second = client.chat_postMessage(channel="C0LEADS", text="Note", thread_ts=reply["ts"])
    assert (
        float(reply["ts"]) > float(posted["ts"]) and second["message"]["thread_ts"] == posted["ts"]
    )

    updated = client.chat_update(
        channel="C0LEADS", ts=posted["ts"], text="Claimed", blocks=[section("Claimed by Ana")]
    )
    assert updated["ts"] == posted["ts"] and updated["message"]["text"] == "Claimed"

    [top] = ws.messages("C0LEADS")
    assert top.text == "Claimed" and top.edit_count == 1 and top.history[0].text == "New lead"
    assert top.reply_count == 2 and top.reply_users == ("U0BOT",)
    assert [r.text for r in ws.replies("C0LEADS", top.ts)] == ["Claimed by Ana", "Note"]
    stored_reply = ws.message("C0LEADS", reply["ts"])
    assert stored_reply is not None and stored_reply.is_reply

    missing = slack_error(lambda: client.chat_update(channel="C0LEADS", ts="1.000001", text="x"))
    assert missing.response["error"] == "message_not_found"
    client.chat_delete(channel="C0LEADS", ts=second["ts"])
    assert [m.reply_count for m in ws.messages("C0LEADS")] == [1]


def test_ephemeral_and_permalink(client: WebClient, ws: FakeWorkspace):
    posted = client.chat_postMessage(channel="C0LEADS", text="card")
    answer = client.chat_postEphemeral(channel="C0LEADS", user="U0REP1", text="Only you")
    assert answer["message_ts"]
    [ephemeral] = ws.ephemerals(channel="C0LEADS", user="U0REP1")
    assert (ephemeral.text, ephemeral.source) == ("Only you", "chat.postEphemeral")
    assert ws.ephemerals(user="U0REP2") == []

    gone = slack_error(
        lambda: client.chat_postEphemeral(channel="C0LEADS", user="U0GONE", text="x")
    )
    assert gone.response["error"] == "user_not_in_channel"

    link = client.chat_getPermalink(channel="C0LEADS", message_ts=posted["ts"])
    assert link["permalink"] == (
        "https://handoff-demo.slack.com/archives/C0LEADS/p" + posted["ts"].replace(".", "")
    )


def test_channel_not_found_no_text_and_not_in_channel(client: WebClient, ws: FakeWorkspace):
    def error_posting(channel: str, text: str) -> str:
        failure = slack_error(lambda: client.chat_postMessage(channel=channel, text=text))
        return failure.response["error"]

    assert error_posting("C0NOPE", "x") == "channel_not_found"
    with pytest.warns(UserWarning, match="text"):  # slack_sdk warns too
        assert error_posting("C0LEADS", "") == "no_text"
    ws.add_channel(id="C0QUIET", name="quiet", members=["U0REP1"], bot_is_member=False)
    assert error_posting("C0QUIET", "x") == "not_in_channel"
    assert [c.error for c in ws.calls("chat.postMessage")] == [
        "channel_not_found",
        "no_text",
        "not_in_channel",
    ]


def test_invalid_blocks_name_the_broken_limit(client: WebClient, ws: FakeWorkspace):
    header = {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}
    error = slack_error(
        lambda: client.chat_postMessage(channel="C0LEADS", text="x", blocks=[header])
    )
    assert error.response["error"] == "invalid_blocks"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]"
    ]
    too_many = [section(str(i)) for i in range(limits.MAX_BLOCKS_MESSAGE + 1)]
    unknown = [{"type": "carousel"}]
    for blocks in (too_many, unknown):
        failure = slack_error(
            lambda blocks=blocks: client.chat_postMessage(
                channel="C0LEADS", text="x", blocks=blocks
            )
        )
        assert failure.response["error"] == "invalid_blocks"
    assert ws.messages("C0LEADS") == []

    header["text"]["text"] = "x" * limits.MAX_HEADER_TEXT
    assert block_problems([header], max_blocks=limits.MAX_BLOCKS_MESSAGE) == []
    fields = {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}
    button = card(("claim", "v" * 2001))
    context = {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}
    for bad in ([fields], button, [context]):
        assert block_problems(bad, max_blocks=limits.MAX_BLOCKS_MESSAGE), bad


# -------------------------------------------------------------------- auth


def test_missing_wrong_token_and_unknown_method(server: FakeSlackServer, ws: FakeWorkspace):
    anonymous = WebClient(base_url=server.api_url)
    assert slack_error(anonymous.auth_test).response["error"] == "not_authed"
    wrong = WebClient(token="xoxb-wrong", base_url=server.api_url)
    assert slack_error(wrong.auth_test).response["error"] == "invalid_auth"
    right = WebClient(token=TOKEN, base_url=server.api_url)
    assert (
        slack_error(lambda: right.api_call("lead.teleport")).response["error"] == "unknown_method"
    )
    me = right.auth_test()
    assert (me["user_id"], me["bot_id"], me["team_id"]) == ("U0BOT", "B0BOT", "T0HANDOFF")
    assert all(call.http_status == 200 for call in ws.calls())


def test_form_bodies_query_strings_and_token_params(server: FakeSlackServer, ws: FakeWorkspace):
    blocks = json.dumps([section("from a form")])
    form = httpx.post(
        server.api_url + "chat.postMessage",
        data={"token": TOKEN, "channel": "C0LEADS", "text": "form", "blocks": blocks},
    ).json()
    assert form["ok"] and form["message"]["blocks"][0]["text"]["text"] == "from a form"
    query = httpx.get(server.api_url + "users.info", params={"token": TOKEN, "user": "U0MKT"})
    assert query.json()["user"]["name"] == "mark"
    # Slack reads no token from JSON bodies: only the Authorization header counts there.
    as_json = httpx.post(server.api_url + "auth.test", json={"token": TOKEN}).json()
    assert as_json == {"ok": False, "error": "not_authed"}
    assert ws.calls("chat.postMessage")[0].args["blocks"] == json.loads(blocks)
    assert "token" not in ws.calls("chat.postMessage")[0].args


# ------------------------------------------------------------------- faults


async def test_rate_limit_carries_retry_after(aclient: AsyncWebClient, ws: FakeWorkspace):
    ws.faults.inject("chat.postMessage", status=429, retry_after=7)
    error = await aslack_error(aclient.chat_postMessage(channel="C0LEADS", text="x"))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert (await aclient.chat_postMessage(channel="C0LEADS", text="x"))["ok"]
    assert [(c.ok, c.http_status) for c in ws.calls("chat.postMessage")] == [
        (False, 429),
        (True, 200),
    ]


def test_server_errors_slack_errors_and_channel_filters(client: WebClient, ws: FakeWorkspace):
    ws.faults.inject("chat.postMessage", status=500)
    ws.faults.inject("chat.postMessage", status=503)

    def post_lead() -> Any:
        return client.chat_postMessage(channel="C0LEADS", text="x")

    assert slack_error(post_lead).response.status_code == 500
    assert slack_error(post_lead).response.status_code == 503

    ws.faults.inject(
        "chat.postMessage", error="channel_not_found", times=None, channel="#marketing"
    )
    assert client.chat_postMessage(channel="C0LEADS", text="fine")["ok"]
    for _ in range(2):
        failure = slack_error(lambda: client.chat_postMessage(channel="C0MKTG", text="x"))
        assert failure.response.status_code == 200
        assert failure.response["error"] == "channel_not_found"
    ws.faults.clear()
    assert client.chat_postMessage(channel="C0MKTG", text="back")["ok"]
    assert [c.ok for c in ws.calls(channel="C0MKTG")] == [False, False, True]


async def test_delay_makes_the_client_time_out_while_others_are_served(
    server: FakeSlackServer, ws: FakeWorkspace
):
    ws.faults.inject("chat.postMessage", delay=0.6, channel="C0LEADS")
    impatient = AsyncWebClient(token=TOKEN, base_url=server.api_url, timeout=0.2)
    slow = asyncio.ensure_future(impatient.chat_postMessage(channel="C0LEADS", text="slow"))
    assert (await AsyncWebClient(token=TOKEN, base_url=server.api_url).auth_test())["ok"]
    with pytest.raises(asyncio.TimeoutError):
        await slow
    # Like Slack, the fake may still post after the client gave up: a timeout is not a "no".
    version = ws.version
    while not ws.messages("C0LEADS"):
        version = await asyncio.to_thread(ws.wait_for_change, version, 2)
    assert [c.method for c in ws.calls()] == ["auth.test", "chat.postMessage"]
    assert ws.messages("C0LEADS")[0].text == "slow"


def test_set_down_answers_503_everywhere(client: WebClient, ws: FakeWorkspace):
    ws.set_down(True)
    for call in (client.auth_test, lambda: client.users_info(user="U0REP1")):
        assert slack_error(call).response.status_code == 503
    ws.set_down(False)
    assert client.auth_test()["ok"]
    assert [(c.method, c.http_status) for c in ws.calls()] == [
        ("auth.test", 503),
        ("users.info", 503),
        ("auth.test", 200),
    ]


# ------------------------------------------------------- conversations, users


def test_dm_ids_are_stable_and_hold_messages(client: WebClient, ws: FakeWorkspace):
    first = client.conversations_open(users="U0REP1")["channel"]["id"]
    assert client.conversations_open(users=["U0REP1"])["channel"]["id"] == first
    assert first.startswith("D") and ws.dm_channel("U0REP1") == first
    client.chat_postMessage(channel=first, text="Your lead")
    client.chat_postMessage(channel="U0REP1", text="Posting to a user id lands in the DM")
    assert [m.text for m in ws.messages(first)] == [
        "Your lead",
        "Posting to a user id lands in the DM",
    ]
    info = client.conversations_info(channel=first)["channel"]
    assert info["is_im"] and not info["is_channel"] and info["user"] == "U0REP1"
    disabled = slack_error(lambda: client.conversations_open(users="U0GONE"))
    assert disabled.response["error"] == "user_disabled"


def test_members_paginate_with_cursors(client: WebClient, ws: FakeWorkspace):
    ids = [f"U0P{i}" for i in range(7)]
    for user_id in ids:
        ws.add_user(id=user_id, name=user_id.lower())
    ws.add_channel(id="C0BIG", name="big", members=ids, bot_is_member=False)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = client.conversations_members(channel="C0BIG", limit=3, cursor=cursor)
        seen += page["members"]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert (seen, pages) == (ids, 3)
    bad = slack_error(lambda: client.conversations_members(channel="C0BIG", cursor="bm9wZQ=="))
    assert bad.response["error"] == "invalid_cursor"
    info = client.conversations_info(channel="C0BIG")["channel"]
    assert (info["name"], info["is_channel"], info["is_im"]) == ("big", True, False)


def test_users_and_usergroups(client: WebClient):
    user = client.users_info(user="U0REP1")["user"]
    assert (user["name"], user["real_name"], user["tz"], user["deleted"]) == (
        "ana",
        "Ana Rep",
        "Europe/Berlin",
        False,
    )
    assert user["profile"]["real_name"] == "Ana Rep" and user["team_id"] == "T0HANDOFF"
    assert client.users_info(user="U0GONE")["user"]["deleted"] is True
    unknown = slack_error(lambda: client.users_info(user="U0WHO"))
    assert unknown.response["error"] == "user_not_found"
    reps = client.usergroups_users_list(usergroup="S0REPS")["users"]
    assert reps == ["U0REP1", "U0REP2", "U0GONE"]
    missing = slack_error(lambda: client.usergroups_users_list(usergroup="S0NOPE"))
    assert missing.response["error"] == "no_such_subteam"
    everyone = [m["id"] for page in client.users_list(limit=2) for m in page["members"]]
    assert len(everyone) == 6 and "U0BOT" in everyone


async def test_files_upload_v2_end_to_end(aclient: AsyncWebClient, ws: FakeWorkspace):
    parent = await aclient.chat_postMessage(channel="C0ALIGN", text="Weekly numbers")
    uploaded = await aclient.files_upload_v2(
        channel="C0ALIGN",
        content=b"week,leads\n47,12\n",
        filename="numbers.csv",
        title="Week 47",
        initial_comment="Here are the numbers",
        thread_ts=parent["ts"],
    )
    assert uploaded["file"]["title"] == "Week 47" and uploaded["file"]["name"] == "numbers.csv"
    [file] = ws.files
    assert file.content == b"week,leads\n47,12\n" and file.completed
    [reply] = ws.replies("C0ALIGN", parent["ts"])
    assert reply.text == "Here are the numbers" and reply.files[0]["id"] == file.id
    assert [c.method for c in ws.calls()][-2:] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    dm = (await aclient.conversations_open(users="U0MGR"))["channel"]["id"]
    await aclient.files_upload_v2(channel=dm, content=b"png", filename="chart.png")
    assert ws.messages(dm)[0].files[0]["name"] == "chart.png"


def test_mounted_under_a_prefix_hands_out_urls_under_it():
    ws = FakeWorkspace.seeded(bot_token=TOKEN)
    outer = Starlette(routes=[Mount("/fake-slack", app=create_fake_slack_app(ws))])
    with BackgroundServer(outer) as running:
        client = WebClient(token=TOKEN, base_url=running.url + "/fake-slack/api/")
        url = client.files_getUploadURLExternal(filename="a.txt", length=1)["upload_url"]
        assert url.startswith(running.url + "/fake-slack/upload/F")
        client.files_upload_v2(channel="C0LEADS", content=b"hello", filename="a.txt")
    assert ws.messages("C0LEADS")[0].files[0]["name"] == "a.txt"


# --------------------------------------------------------------------- views


def test_views_open_checks_triggers(client: WebClient, ws: FakeWorkspace):
    trigger = ws.issue_trigger("U0REP1")
    view = client.views_open(trigger_id=trigger, view=modal())["view"]
    assert view["id"].startswith("V") and view["root_view_id"] == view["id"]
    assert (view["callback_id"], view["private_metadata"]) == ("reject_lead", '{"lead": 7}')
    assert view["state"] == {"values": {}} and view["previous_view_id"] is None
    assert view["hash"] and view["app_id"] == "A0HANDOFF" and view["bot_id"] == "B0BOT"
    assert [v.id for v in ws.open_views("U0REP1")] == [view["id"]]

    for trigger_id, error in (
        (trigger, "exchanged_trigger_id"),
        (ws.issue_trigger("U0REP1", age=3.5), "expired_trigger_id"),
        ("1234.5678.made-up", "invalid_trigger_id"),
    ):
        failure = slack_error(lambda t=trigger_id: client.views_open(trigger_id=t, view=modal()))
        assert failure.response["error"] == error

    for bad_view in (modal(title="x" * 25), modal(blocks=[section("x")] * 101)):
        failure = slack_error(
            lambda v=bad_view: client.views_open(trigger_id=ws.issue_trigger("U0REP1"), view=v)
        )
        assert failure.response["error"] == "invalid_arguments"

    updated = client.views_update(view_id=view["id"], hash=view["hash"], view=modal("Step 2"))
    assert updated["view"]["title"]["text"] == "Step 2" and updated["view"]["hash"] != view["hash"]
    stale = slack_error(
        lambda: client.views_update(view_id=view["id"], hash=view["hash"], view=modal())
    )
    assert stale.response["error"] == "hash_conflict"
    gone = slack_error(lambda: client.views_update(view_id="V0NOPE", view=modal()))
    assert gone.response["error"] == "not_found"


def test_version_wakes_up_waiters(ws: FakeWorkspace, client: WebClient):
    before = ws.version
    woke: list[int] = []
    waiter = threading.Thread(target=lambda: woke.append(ws.wait_for_change(before, 5)))
    waiter.start()
    client.chat_postMessage(channel="C0LEADS", text="hello")
    waiter.join(5)
    assert woke and woke[0] > before
    assert ws.wait_for_change(ws.version, timeout=0.01) == ws.version


# ------------------------------------------------------------- interactions


class Receiver:
    """A stand-in for the bot: verifies Slack's signature and answers as told."""

    def __init__(self) -> None:
        self.verifier = SignatureVerifier(SECRET)
        self.received: list[dict[str, Any]] = []
        self.answer: Callable[[dict[str, Any]], Response] = lambda body: Response()
        self.app = Starlette(routes=[Route("/slack/events", self.events, methods=["POST"])])

    async def events(self, request: Request) -> Response:
        body = await request.body()
        if not self.verifier.is_valid_request(body, dict(request.headers)):
            return Response("invalid signature", status_code=401)
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = dict(parse_qsl(body.decode()))
        data = json.loads(form["payload"]) if "payload" in form else form
        self.received.append(data)
        return self.answer(data)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    bot = Receiver()
    with BackgroundServer(bot.app) as running:
        yield bot, running.url


@pytest.fixture
def sender(
    ws: FakeWorkspace, server: FakeSlackServer, receiver: tuple[Receiver, str]
) -> InteractionSender:
    return InteractionSender(
        ws, bot_url=receiver[1], signing_secret=SECRET, response_base_url=server.url
    )


def test_click_sends_a_signed_block_actions_payload(
    client: WebClient,
    ws: FakeWorkspace,
    sender: InteractionSender,
    receiver: tuple[Receiver, str],
):
    bot, _ = receiver
    posted = client.chat_postMessage(
        channel="C0LEADS", text="lead", blocks=card(("claim", "7"), ("reject", "7"))
    )
    response = sender.click(user="U0REP1", channel="C0LEADS", ts=posted["ts"], action_id="claim")
    assert response.status_code == 200
    [payload] = bot.received
    assert payload["type"] == "block_actions"
    assert payload["user"] == {
        "id": "U0REP1",
        "username": "ana",
        "name": "ana",
        "team_id": "T0HANDOFF",
    }
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": "C0LEADS",
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": "C0LEADS", "name": "sales-leads"}
    assert payload["message"]["ts"] == posted["ts"] and len(payload["message"]["blocks"]) == 2
    [action] = payload["actions"]
    assert (action["action_id"], action["block_id"], action["value"], action["type"]) == (
        "claim",
        "lead_actions",
        "7",
        "button",
    )
    assert action["text"]["text"] == "Claim"
    assert payload["response_url"].startswith(ws.public_url + "/response/")  # type: ignore[operator]
    # The trigger it carries opens a modal, once.
    assert client.views_open(trigger_id=payload["trigger_id"], view=modal())["ok"]

    # A payload can be built, edited (a stale card), and sent as is.
    stale = sender.block_actions_payload(user="U0REP2", channel="C0LEADS", action_id="reject")
    stale["actions"][0]["action_id"] = "claim"
    assert sender.post_payload(stale).status_code == 200
    assert bot.received[-1]["actions"][0]["action_id"] == "claim"
    assert bot.received[-1]["user"]["id"] == "U0REP2"

    with pytest.raises(LookupError, match="action_ids there"):
        sender.click(user="U0REP1", channel="C0LEADS", action_id="escalate")
    client.chat_update(channel="C0LEADS", ts=posted["ts"], text="claimed", blocks=[section("x")])
    with pytest.raises(LookupError):
        sender.click(user="U0REP2", channel="C0LEADS", ts=posted["ts"], action_id="claim")


def test_tampered_or_stale_requests_fail_verification(
    sender: InteractionSender, receiver: tuple[Receiver, str]
):
    bot, _ = receiver
    body = b"command=%2Fleadfeedback&text=stats"
    assert sender.post(body).status_code == 200
    tampered = sender.sign(body)
    assert sender.post(body + b"x", headers=tampered).status_code == 401
    stale = sender.sign(body, timestamp=int(time.time()) - 600)
    assert sender.post(body, headers=stale).status_code == 401
    assert len(bot.received) == 1


def test_response_url_replaces_deletes_and_whispers(
    client: WebClient, ws: FakeWorkspace, sender: InteractionSender, receiver: tuple[Receiver, str]
):
    bot, _ = receiver
    posted = client.chat_postMessage(channel="C0LEADS", text="lead", blocks=card(("claim", "7")))
    sender.click(user="U0REP1", channel="C0LEADS", action_id="claim")
    response_url = bot.received[-1]["response_url"]
    hook = WebhookClient(response_url)

    assert hook.send(text="Only Ana sees this").status_code == 200
    [whisper] = ws.ephemerals(channel="C0LEADS", user="U0REP1")
    assert (whisper.text, whisper.source) == ("Only Ana sees this", "response_url")

    hook.send(text="Claimed by Ana", blocks=[section("Claimed by Ana")], replace_original=True)
    message = ws.message("C0LEADS", posted["ts"])
    assert message is not None and message.text == "Claimed by Ana" and message.action_ids() == []

    hook.send(text="Posted for all", response_type="in_channel")
    assert [m.text for m in ws.messages("C0LEADS")] == ["Claimed by Ana", "Posted for all"]
    hook.send(delete_original=True)
    assert [m.text for m in ws.messages("C0LEADS")] == ["Posted for all"]
    assert [c.method for c in ws.calls()].count("response_url") == 4


def test_clicks_in_dms_and_on_ephemerals(
    client: WebClient, ws: FakeWorkspace, sender: InteractionSender, receiver: tuple[Receiver, str]
):
    bot, _ = receiver
    dm = client.conversations_open(users="U0REP2")["channel"]["id"]
    client.chat_postMessage(channel=dm, text="lead", blocks=card(("accept", "9")))
    sender.click_in_dm(user="U0REP2", action_id="accept")
    assert bot.received[-1]["channel"] == {"id": dm, "name": "directmessage"}
    with pytest.raises(LookupError):
        sender.click(user="U0REP1", channel=dm, action_id="accept")

    client.chat_postEphemeral(
        channel="C0LEADS", user="U0REP1", text="undo?", blocks=card(("undo", "1"))
    )
    sender.click(user="U0REP1", channel="C0LEADS", action_id="undo")
    payload = bot.received[-1]
    assert payload["container"]["is_ephemeral"] is True and "message" not in payload
    with pytest.raises(LookupError):
        sender.click(user="U0REP2", channel="C0LEADS", action_id="undo")
    WebhookClient(payload["response_url"]).send(text="undone", replace_original=True)
    assert ws.ephemerals(user="U0REP1")[0].text == "undone"


def test_view_submission_keeps_the_modal_open_on_errors(
    client: WebClient, ws: FakeWorkspace, sender: InteractionSender, receiver: tuple[Receiver, str]
):
    bot, _ = receiver
    view = client.views_open(trigger_id=ws.issue_trigger("U0REP1"), view=modal())["view"]
    bot.answer = lambda body: JSONResponse(
        {"response_action": "errors", "errors": {"note": "Say why"}}
    )
    sender.submit_view(
        user="U0REP1", view_id=view["id"], values={"reason": {"reason_select": "spam"}}
    )
    payload = bot.received[-1]
    assert payload["type"] == "view_submission"
    assert payload["view"]["callback_id"] == "reject_lead"
    assert payload["view"]["private_metadata"] == '{"lead": 7}'
    assert payload["view"]["state"]["values"] == {
        "reason": {
            "reason_select": {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "Spam", "emoji": True},
                    "value": "spam",
                },
            }
        },
        "note": {"note_input": {"type": "plain_text_input", "value": None}},
    }
    still = ws.view(view["id"])
    assert still is not None and still.is_open and still.errors == {"note": "Say why"}
    bot.answer = lambda body: JSONResponse(
        {"response_action": "errors", "errors": {"note_input": "keyed by action_id"}}
    )
    with pytest.raises(ValueError, match="block_ids"):
        sender.submit_view(user="U0REP1", view_id=view["id"], values={"reason": "spam"})

    bot.answer = lambda body: Response()
    sender.submit_view(
        user="U0REP1",
        view_id=view["id"],
        values={"reason": {"reason_select": "no_fit"}, "note": {"note_input": "Student"}},
    )
    assert bot.received[-1]["view"]["state"]["values"]["note"]["note_input"]["value"] == "Student"
    assert ws.open_views("U0REP1") == []
    with pytest.raises(LookupError):
        sender.submit_view(user="U0REP1", view_id=view["id"])


def test_view_submission_refuses_what_slack_would_refuse(
    client: WebClient, ws: FakeWorkspace, sender: InteractionSender
):
    view = client.views_open(trigger_id=ws.issue_trigger("U0REP1"), view=modal())["view"]
    with pytest.raises(ValueError, match="required"):
        sender.submit_view(user="U0REP1", view_id=view["id"])
    with pytest.raises(ValueError, match="not an option"):
        sender.submit_view(user="U0REP1", view_id=view["id"], values={"reason": "maybe"})
    with pytest.raises(LookupError):
        sender.submit_view(user="U0REP2", view_id=view["id"], values={"reason": "spam"})


def test_slash_command_form_and_ack_bodies(
    ws: FakeWorkspace, sender: InteractionSender, receiver: tuple[Receiver, str]
):
    bot, _ = receiver
    bot.answer = lambda body: JSONResponse({"text": "Stats for 7d"})
    sender.slash_command(user="U0MKT", channel="C0MKTG", command="/leadfeedback", text="stats 7d")
    form = bot.received[-1]
    assert {
        k: form[k] for k in ("team_id", "channel_id", "channel_name", "user_id", "user_name")
    } == {
        "team_id": "T0HANDOFF",
        "channel_id": "C0MKTG",
        "channel_name": "marketing",
        "user_id": "U0MKT",
        "user_name": "mark",
    }
    assert (form["command"], form["text"]) == ("/leadfeedback", "stats 7d")
    assert form["response_url"].startswith(ws.public_url) and form["trigger_id"]  # type: ignore[arg-type]
    [ack] = ws.ephemerals(user="U0MKT")
    assert (ack.text, ack.source, ack.channel) == ("Stats for 7d", "slash_command", "C0MKTG")

    bot.answer = lambda body: JSONResponse({"response_type": "in_channel", "text": "Shared"})
    sender.slash_command(user="U0MKT", channel="#marketing", command="/leadfeedback")
    assert [m.text for m in ws.messages("C0MKTG")] == ["Shared"]


async def test_async_twins_work_inside_the_event_loop(
    aclient: AsyncWebClient,
    ws: FakeWorkspace,
    sender: InteractionSender,
    receiver: tuple[Receiver, str],
):
    bot, _ = receiver
    await aclient.chat_postMessage(channel="C0LEADS", text="lead", blocks=card(("claim", "1")))
    assert (
        await sender.aclick(user="U0REP1", channel="C0LEADS", action_id="claim")
    ).status_code == 200
    trigger = bot.received[-1]["trigger_id"]
    view = (await aclient.views_open(trigger_id=trigger, view=modal()))["view"]
    await sender.asubmit_view(user="U0REP1", view_id=view["id"], values={"reason": "no_fit"})
    await sender.aslash_command(user="U0MGR", channel="C0ALIGN", command="/leadfeedback")
    assert [p.get("type", p.get("command")) for p in bot.received] == [
        "block_actions",
        "view_submission",
        "/leadfeedback",
    ]
    assert ws.open_views("U0REP1") == []
