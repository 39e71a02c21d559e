"""Card updates are coalesced, and a late one never repaints an older state.

Driven through the fake workspace over real HTTP: the transitions are written to
the store the way a click writes them, and the bots' outbox workers redraw cards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.sandbox.fake_slack import FakeWorkspace, Message
from bot.settings import Settings
from messages.ids import ActionId
from storage.database import Database
from storage.kinds import OutboxKind
from storage.models import OutboxState
from storage.transitions import claim_lead, release_lead
from tests import store
from tests.harness import BotServer, wait_for

LEADS = "C0LEADS"
ANA, BEN = "U0REP1", "U0REP2"
LEAD = {"email": "ana.buyer@example.com", "source": "webinar", "company": "Acme"}


def in_one_transaction(database_url: str, *steps: Callable[[AsyncSession], Awaitable[Any]]) -> None:
    async def go() -> None:
        db = Database(database_url)
        try:
            async with db.session() as session:
                for step in steps:
                    await step(session)
        finally:
            await db.dispose()

    asyncio.run(go())


def claim(user: str) -> Callable[[AsyncSession], Awaitable[Any]]:
    return lambda s: claim_lead(s, lead_id=1, user_id=user, now=datetime.now(UTC))


def release(user: str) -> Callable[[AsyncSession], Awaitable[Any]]:
    return lambda s: release_lead(s, lead_id=1, user_id=user, now=datetime.now(UTC))


def buttons(message: Message) -> list[str]:
    return [
        e.get("action_id") for b in message.blocks if b["type"] == "actions" for e in b["elements"]
    ]


def card_updates(workspace: FakeWorkspace, ts: str) -> list[Any]:
    return [c for c in workspace.calls("chat.update") if c.ok and c.args.get("ts") == ts]


def update_rows_done(database_url: str) -> bool:
    rows = [r for r in store.outbox(database_url) if r.kind == OutboxKind.UPDATE_CARD]
    return bool(rows) and all(r.state == OutboxState.SENT for r in rows)


@pytest.fixture
def posted_card(bot: BotServer, workspace: FakeWorkspace) -> Message:
    assert bot.post_leads(LEAD).status_code == 201
    bot.drain()
    return workspace.messages(LEADS)[0]


def test_several_queued_updates_become_one_chat_update_of_the_latest_state(
    bot: BotServer, workspace: FakeWorkspace, database_url: str, posted_card: Message
) -> None:
    # Claimed, released, claimed by someone else: three updates queued in one go.
    in_one_transaction(database_url, claim(ANA), release(ANA), claim(BEN))
    wait_for(lambda: update_rows_done(database_url), what="the three update rows done")
    bot.drain()

    assert len(card_updates(workspace, posted_card.ts)) == 1
    card = workspace.message(LEADS, posted_card.ts)
    assert card is not None and BEN in repr(card.blocks) and ANA not in repr(card.blocks)
    lead = store.lead(database_url, 1)
    assert lead.card_drawn_version == lead.card_version == 3
    assert lead.card_drawing_until is None


def test_an_update_with_nothing_new_makes_no_slack_call(
    bot: BotServer, workspace: FakeWorkspace, database_url: str, posted_card: Message
) -> None:
    in_one_transaction(database_url, claim(ANA))
    wait_for(lambda: update_rows_done(database_url), what="the update row done")
    bot.drain()
    assert store.lead(database_url, 1).card_drawn_version == 1
    assert len(card_updates(workspace, posted_card.ts)) == 1


@pytest.fixture
def second_replica(settings: Settings, bot: BotServer) -> Iterator[BotServer]:
    with BotServer(settings) as other:
        yield other


def test_a_slow_redraw_is_never_overtaken_by_a_newer_one(
    bot: BotServer,
    second_replica: BotServer,
    workspace: FakeWorkspace,
    database_url: str,
    posted_card: Message,
) -> None:
    # The first redraw (claimed) reaches Slack two seconds late. The release
    # committed meanwhile must not be drawn before it, or the late "claimed"
    # would land last and stay on the card.
    workspace.faults.inject("chat.update", delay=2.0, times=1)
    in_one_transaction(database_url, claim(ANA))
    wait_for(
        lambda: store.lead(database_url, 1).card_drawing_until is not None,
        what="a replica redrawing the claimed card",
    )
    in_one_transaction(database_url, release(ANA))
    wait_for(lambda: update_rows_done(database_url), timeout=30, what="both redraws")
    for replica in (bot, second_replica):
        replica.drain()

    card = workspace.message(LEADS, posted_card.ts)
    assert card is not None
    assert ActionId.CLAIM in buttons(card)  # open again, as the store says
    assert ANA not in repr(card.blocks)
    updates = card_updates(workspace, posted_card.ts)
    assert len(updates) == 2
    lead = store.lead(database_url, 1)
    assert lead.state == "open" and lead.card_drawn_version == lead.card_version == 2
