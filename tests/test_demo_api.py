"""`handoff demo`'s own API, without a browser: every page action through the real bot.

The demo runs on SQLite only (its database is a temporary file), so these tests use
the SQLite fixture rather than both stores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.sandbox.demo.samples import load_samples
from messages.ids import ActionId, BlockId, CallbackId
from tests import store
from tests.demo_harness import (
    ANA,
    BEN,
    LEADS,
    MARIA,
    MARK,
    MARKETING,
    DemoServer,
    ephemeral_texts,
)
from tests.harness import wait_for


@pytest.fixture
def demo(sqlite_url: str, tmp_path: Path) -> Iterator[DemoServer]:
    # A config path that does not exist: the built-in demo team, whatever app.yaml says.
    with DemoServer(sqlite_url, config_path=tmp_path / "no-app.yaml") as server:
        yield server


def card_in_state(state: dict[str, Any], ts: str) -> dict[str, Any]:
    return next(m for m in state["messages"][LEADS] if m["ts"] == ts)


def claimed_by_ana(demo: DemoServer) -> bool:
    return any(lead.state == "claimed" for lead in store.leads(demo.database_url))


def test_state_shows_the_persons_sidebar_and_no_modal(demo: DemoServer) -> None:
    state = demo.state(ANA)
    assert [c["id"] for c in state["channels"]] == [LEADS, MARKETING, "C0ALIGN"]
    assert [c["name"] for c in state["channels"]] == [
        "sales-leads",
        "marketing",
        "revenue-alignment",
    ]
    assert [p["id"] for p in state["people"]] == [ANA, BEN, MARIA, MARK]
    assert state["me"] == ANA and state["view"] is None
    assert state["messages"] == {LEADS: [], MARKETING: [], "C0ALIGN": []}
    assert state["users"][ANA]["real_name"] == "Ana Rep"
    assert state["usergroups"]["S0REPS"]["handle"] == "sales-reps"
    assert state["team"]["config"].startswith("built-in demo team")
    assert httpx.get(f"{demo.url}/demo/api/state", params={"as": "U0GONE"}).status_code == 400


def test_the_page_is_served_with_a_strict_content_security_policy(demo: DemoServer) -> None:
    page = httpx.get(f"{demo.url}/")
    assert page.status_code == 200
    assert '<script type="module" src="/demo/static/app.js">' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    for name in ("app.js", "render.js", "focus.js", "style.css"):
        assert httpx.get(f"{demo.url}/demo/static/{name}").status_code == 200


def test_send_a_sample_lead_posts_to_the_real_intake_api(demo: DemoServer) -> None:
    first = demo.send_lead()
    second = demo.send_lead()
    samples = load_samples()
    assert first["http_status"] == 201 and first["answer"]["status"] == "created"
    assert first["lead"]["email"] == samples[0]["email"]
    assert second["lead"]["email"] == samples[1]["email"]
    cards = demo.wait_for_cards(2)
    assert [lead.email for lead in store.leads(demo.database_url)] == [
        samples[0]["email"],
        samples[1]["email"],
    ]
    card = card_in_state(demo.state(BEN), cards[0].ts)
    assert card["bot"] and not card["ephemeral"]
    assert ActionId.CLAIM in json.dumps(card["blocks"])


def test_a_sample_sent_again_is_a_new_lead_not_a_duplicate(demo: DemoServer) -> None:
    again = [demo.send_lead(index=3) for _ in range(2)]
    assert [a["answer"]["status"] for a in again] == ["created", "created"]
    assert again[0]["lead"]["email"] != again[1]["lead"]["email"]
    assert demo.post("lead", {"index": 99}).status_code == 422


def test_click_claims_and_a_stale_claim_gets_a_private_refusal(demo: DemoServer) -> None:
    demo.send_lead()
    (card,) = demo.wait_for_cards(1)
    # Slack is slow to update the card, so Ben still sees a Claim button after Ana won.
    demo.workspace.faults.inject("chat.update", delay=3)
    click = {"channel": LEADS, "ts": card.ts, "action_id": ActionId.CLAIM}
    assert demo.post("click", {"as": ANA, **click}).json() == {"ok": True, "bot_status": 200}
    wait_for(lambda: claimed_by_ana(demo), what="Ana's claim stored")
    assert demo.post("click", {"as": BEN, **click}).json()["ok"]

    (refusal,) = wait_for(lambda: ephemeral_texts(demo.state(BEN)), what="Ben's refusal")
    assert refusal.endswith("This lead is already claimed by <@U0REP1>.")
    assert ephemeral_texts(demo.state(ANA)) == []
    demo.card_saying(card.ts, "Claimed by <@U0REP1>")
    assert store.lead(demo.database_url, 1).owner_id == ANA


def test_a_button_that_is_not_there_is_a_conflict(demo: DemoServer) -> None:
    demo.send_lead()
    (card,) = demo.wait_for_cards(1)
    response = demo.post(
        "click", {"as": ANA, "channel": LEADS, "ts": card.ts, "action_id": ActionId.ACCEPT}
    )
    assert response.status_code == 409
    assert "lead_accept" in response.json()["error"]


def test_reject_through_the_modal_with_the_bots_field_errors(demo: DemoServer) -> None:
    demo.send_lead()
    (card,) = demo.wait_for_cards(1)
    click = {"as": ANA, "channel": LEADS, "ts": card.ts, "action_id": ActionId.REJECT}
    assert demo.post("click", click).json()["ok"]
    view = wait_for(lambda: demo.state(ANA)["view"], what="the reject modal")
    assert view["callback_id"] == CallbackId.REJECT_MODAL
    assert demo.state(BEN)["view"] is None

    reason = {BlockId.REJECT_REASON: {ActionId.REJECT_REASON: None}}
    empty = demo.post("submit", {"as": ANA, "view_id": view["id"], "values": reason})
    assert empty.status_code == 422 and "required" in empty.json()["error"]

    values: dict[str, Any] = {
        BlockId.REJECT_REASON: {ActionId.REJECT_REASON: "other"},
        BlockId.REJECT_COMMENT: {ActionId.REJECT_COMMENT: ""},
    }
    assert demo.post("submit", {"as": ANA, "view_id": view["id"], "values": values}).json()["ok"]
    errors = demo.state(ANA)["view"]["errors"]
    assert set(errors) == {BlockId.REJECT_COMMENT}

    values[BlockId.REJECT_COMMENT] = {ActionId.REJECT_COMMENT: "Wanted the e-book only"}
    assert demo.post("submit", {"as": ANA, "view_id": view["id"], "values": values}).json()["ok"]
    assert demo.state(ANA)["view"] is None
    demo.card_saying(card.ts, "Rejected by <@U0REP1>")
    notice = wait_for(lambda: demo.workspace.messages(MARKETING), what="the marketing notice")
    assert "Wanted the e-book only" in json.dumps(notice[0].blocks)
    assert store.lead(demo.database_url, 1).rejection_reason == "other"


def test_closing_a_modal_changes_nothing(demo: DemoServer) -> None:
    demo.send_lead()
    (card,) = demo.wait_for_cards(1)
    demo.post("click", {"as": ANA, "channel": LEADS, "ts": card.ts, "action_id": ActionId.REJECT})
    view = wait_for(lambda: demo.state(ANA)["view"], what="the reject modal")
    assert demo.post("close-view", {"as": BEN, "view_id": view["id"]}).status_code == 404
    assert demo.post("close-view", {"as": ANA, "view_id": view["id"]}).json() == {"ok": True}
    assert demo.state(ANA)["view"] is None
    assert store.lead(demo.database_url, 1).state == "open"


def test_message_box_runs_the_slash_command_or_posts_a_message(demo: DemoServer) -> None:
    answer = demo.post("command", {"as": MARK, "channel": MARKETING, "text": "/leadfeedback help"})
    assert answer.json() == {"ok": True, "bot_status": 200}
    help_text = wait_for(
        lambda: ephemeral_texts(demo.state(MARK), MARKETING), what="the help answer"
    )
    assert help_text[0].startswith("/leadfeedback")
    assert ephemeral_texts(demo.state(ANA), MARKETING) == []

    unknown = demo.post("command", {"as": MARK, "channel": MARKETING, "text": "/giphy cats"})
    assert unknown.status_code == 422 and "/leadfeedback help" in unknown.json()["error"]
    assert demo.post("command", {"as": MARK, "channel": MARKETING, "text": "  "}).status_code == 422

    async def open_dm() -> str:
        answer = await demo.demo.services.client.conversations_open(users=ANA)
        return answer["channel"]["id"]

    intruder = demo.post("command", {"as": MARK, "channel": demo.call(open_dm), "text": "psst"})
    assert intruder.status_code == 404

    said = demo.post("command", {"as": MARK, "channel": MARKETING, "text": "Hi *team*"})
    assert said.status_code == 200
    (message,) = [m for m in demo.state(ANA)["messages"][MARKETING] if not m["ephemeral"]]
    assert (message["user"], message["text"], message["bot"]) == (MARK, "Hi *team*", False)


def test_messages_are_stamped_with_the_demo_time(demo: DemoServer) -> None:
    demo.send_lead()
    demo.wait_for_cards(1)
    demo.post("fast-forward", {"by": "1d"})
    demo.send_lead()
    demo.wait_for_cards(2)
    first, second = (m["time"] for m in demo.state(ANA)["messages"][LEADS] if not m["ephemeral"])
    assert second - first >= 86400
    lead = store.leads(demo.database_url)[1]
    assert abs(lead.created_at.timestamp() - second) < 60


def test_uploaded_images_are_shown_and_other_files_only_downloaded(demo: DemoServer) -> None:
    client = demo.demo.services.client
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    html = b"<script>alert(1)</script>"

    async def upload() -> list[str]:
        ids = []
        for name, content in (("chart.png", png), ("page.html", html)):
            answer = await client.files_upload_v2(channel=LEADS, filename=name, content=content)
            ids.append(answer["files"][0]["id"])
        return ids

    image_id, page_id = demo.call(upload)
    files = [f for m in demo.state(ANA)["messages"][LEADS] for f in m["files"]]
    assert [(f["name"], f["is_image"]) for f in files] == [
        ("chart.png", True),
        ("page.html", False),
    ]
    image = httpx.get(f"{demo.url}/demo/api/files/{image_id}")
    assert image.content == png and image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline")
    page = httpx.get(f"{demo.url}/demo/api/files/{page_id}")
    assert page.headers["content-type"] == "application/octet-stream"
    assert page.headers["content-disposition"].startswith("attachment")
    assert httpx.get(f"{demo.url}/demo/api/files/F404").status_code == 404


def test_actions_accept_json_only_and_check_who_acts(demo: DemoServer) -> None:
    form = httpx.post(
        f"{demo.url}/demo/api/lead", content="{}", headers={"Content-Type": "text/plain"}
    )
    assert form.status_code == 415
    stranger = demo.post("command", {"as": "U0GONE", "channel": LEADS, "text": "hi"})
    assert stranger.status_code == 422 and "as" in stranger.json()["error"]


def test_threads_carry_replies_and_the_viewers_threaded_ephemerals(demo: DemoServer) -> None:
    demo.send_lead()
    (card,) = demo.wait_for_cards(1)
    demo.post("click", {"as": ANA, "channel": LEADS, "ts": card.ts, "action_id": ActionId.CLAIM})
    wait_for(lambda: demo.workspace.replies(LEADS, card.ts), what="the claim's thread reply")
    client = demo.demo.services.client

    async def whisper() -> None:
        await client.chat_postEphemeral(
            channel=LEADS, user=BEN, text="in thread", thread_ts=card.ts
        )
        await client.chat_postEphemeral(channel=LEADS, user=BEN, text="lost", thread_ts="1.000001")

    demo.call(whisper)
    for_ana = card_in_state(demo.state(ANA), card.ts)
    assert [r["text"] for r in for_ana["replies"]] == [
        ":raising_hand: <@U0REP1> claimed this lead."
    ]
    assert for_ana["reply_count"] == 1
    ben = demo.state(BEN)
    assert [r["text"] for r in card_in_state(ben, card.ts)["replies"]][1:] == ["in thread"]
    assert ephemeral_texts(ben) == ["lost"]
