"""POST /api/leads/{ref}/outcome over real HTTP: errors, idempotency, the thread reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.sandbox.fake_slack import FakeWorkspace
from tests import store
from tests.conftest import INTAKE_TOKEN
from tests.harness import BotServer, wait_for

LEADS = "C0LEADS"


def report(
    bot: BotServer,
    ref: str | int,
    body: Any,
    *,
    token: str | None = INTAKE_TOKEN,
    content_type: str = "application/json",
) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    content = body if isinstance(body, bytes) else httpx.Request("POST", "/", json=body).content
    return httpx.post(
        f"{bot.url}/api/leads/{ref}/outcome", content=content, headers=headers, timeout=10
    )


def new_lead(bot: BotServer, workspace: FakeWorkspace, **fields: Any) -> tuple[int, str]:
    response = bot.post_leads({"email": "buyer@example.com", "source": "ads", **fields})
    assert response.status_code == 201
    card = wait_for(lambda: workspace.messages(LEADS), what="the card")[0]
    return response.json()["id"], card.ts


def thread(workspace: FakeWorkspace, ts: str) -> list[str]:
    return [reply.text for reply in workspace.replies(LEADS, ts)]


def test_unauthorised_unknown_and_unreadable_reports(
    bot: BotServer, workspace: FakeWorkspace
) -> None:
    lead_id, _ = new_lead(bot, workspace)
    won = {"type": "won", "amount": 100, "currency": "EUR"}
    assert report(bot, lead_id, won, token=None).status_code == 401
    wrong = report(bot, lead_id, won, token="not-the-intake-token")
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert report(bot, lead_id, won, content_type="text/plain").status_code == 415
    assert report(bot, lead_id, b"x" * 20_000).status_code == 413

    missing = report(bot, 999_999, won)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert report(bot, "crm-unknown", won).status_code == 404
    assert report(bot, "99999999999", won).status_code == 404  # past a 32-bit id

    broken = report(bot, lead_id, b'{"type": ')
    assert broken.status_code == 422 and broken.json()["error"] == "invalid_json"
    assert [m.kind for m in store.outbox(bot.settings.database_url)] == ["post_card"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"type": "sold"}, "type", "'opportunity_created', 'won' or 'lost'"),
        ({"type": "won"}, "(body)", "a won outcome needs amount and currency"),
        ({"type": "won", "amount": 10}, "(body)", "amount and currency go together"),
        ({"type": "won", "amount": 1.005, "currency": "EUR"}, "amount", "decimal places"),
        ({"type": "won", "amount": -5, "currency": "EUR"}, "amount", "greater than or equal"),
        ({"type": "won", "amount": 5, "currency": "EURO"}, "currency", "pattern"),
        ({"type": "lost"}, "(body)", "a lost outcome needs a reason"),
        ({"type": "lost", "reason": "x", "amount": 1, "currency": "EUR"}, "(body)", "no amount"),
        ({"type": "opportunity_created", "reason": "x"}, "(body)", "only for lost"),
        (
            {"type": "won", "amount": 5, "currency": "EUR", "deal": 1},
            "deal",
            "not an outcome field",
        ),
        ({"type": "won", "amount": 5, "currency": "EUR", "at": "2025-03-01"}, "at", "timezone"),
        (["won"], "(body)", "valid dictionary"),
    ],
)
def test_each_invalid_outcome_names_its_field(
    bot: BotServer, workspace: FakeWorkspace, body: Any, field: str, message: str
) -> None:
    lead_id, _ = new_lead(bot, workspace)
    response = report(bot, lead_id, body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e["field"] == field and message in e["message"] for e in errors), errors


def test_outcomes_in_the_future_or_before_the_lead_are_refused(
    bot: BotServer, workspace: FakeWorkspace
) -> None:
    lead_id, _ = new_lead(bot, workspace)
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    early = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    future = report(bot, lead_id, {"type": "opportunity_created", "at": soon})
    assert future.status_code == 422 and "future" in future.json()["message"]
    before = report(bot, lead_id, {"type": "opportunity_created", "at": early})
    assert before.status_code == 422 and "before the lead arrived" in before.json()["message"]


def test_each_outcome_once_with_one_thread_reply(bot: BotServer, workspace: FakeWorkspace) -> None:
    lead_id, ts = new_lead(bot, workspace, external_id="hs-77")
    opportunity = report(
        bot, "hs-77", {"type": "opportunity_created", "amount": 9000, "currency": "eur"}
    )
    assert opportunity.status_code == 201
    body = opportunity.json()
    assert (body["lead_id"], body["type"], body["status"]) == (
        lead_id,
        "opportunity_created",
        "created",
    )
    assert (body["amount"], body["currency"]) == ("9000.00", "EUR")
    wait_for(
        lambda: any(
            "Opportunity created in the CRM: EUR 9,000" in t for t in thread(workspace, ts)
        ),
        what="opportunity reply",
    )

    won = {"type": "won", "amount": "12000.50", "currency": "EUR"}
    first = report(bot, lead_id, won)
    assert first.status_code == 201
    wait_for(
        lambda: any("Won in the CRM: EUR 12,000.50" in t for t in thread(workspace, ts)),
        what="won reply",
    )
    again = report(bot, lead_id, {**won, "amount": 1})
    assert again.status_code == 200
    assert again.json() == {**first.json(), "status": "duplicate"}  # the stored record, unchanged

    lost = report(bot, lead_id, {"type": "lost", "reason": "Budget cut"})
    assert lost.status_code == 409 and lost.json()["error"] == "conflict"
    bot.drain()
    replies = thread(workspace, ts)
    assert sum("Won in the CRM" in t for t in replies) == 1
    assert not any("Lost" in t for t in replies)
    kinds = [m.kind for m in store.outbox(bot.settings.database_url)]
    assert kinds.count("outcome_reply") == 2


def test_an_outcome_for_a_lead_whose_card_is_not_posted_waits_for_it(
    bot: BotServer, workspace: FakeWorkspace
) -> None:
    workspace.set_down(True)
    response = bot.post_leads({"email": "early@example.com", "source": "ads"})
    lead_id = response.json()["id"]
    assert report(bot, lead_id, {"type": "opportunity_created"}).status_code == 201
    workspace.set_down(False)
    card = wait_for(lambda: workspace.messages(LEADS), timeout=20, what="the card")[0]
    wait_for(
        lambda: any("Opportunity created" in t for t in thread(workspace, card.ts)),
        timeout=20,
        what="the reply in the card's thread",
    )
