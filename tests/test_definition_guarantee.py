"""The lead guarantee: credited back when the lead missed, disputed and decided when it met.

Through real HTTP and the fake workspace: a rep rejects with a definition-miss
reason; the marketing notice says "credited back" or offers Dispute; a marketer
explains in a modal; only the named manager decides (others are refused); an
overturn opens the lead again; every step is an event and a reply in the notice's thread.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from messages.ids import ActionId, BlockId
from storage.database import Database, upgrade_database
from storage.kinds import EventKind
from storage.models import LeadState
from tests import store
from tests.conftest import POSTGRES_URL, SIGNING_SECRET, make_settings
from tests.dispute_support import dispute_request
from tests.harness import BotServer, wait_for
from tests.test_definition_intake import CRITERIA, FITS, MISSES, text_of

LEADS, MARKETING = "C0LEADS", "C0MKTG"
MARKETER, REP, BOSS, OTHER_REP = "U0MKT", "U0REP1", "U0MGR", "U0REP2"


@pytest.fixture
def bot(database_url: str, slack: FakeSlackServer) -> Iterator[BotServer]:
    # The admins are U0MGR too, but the named manager decides: U0REP2 is named here to
    # show that a manager need not be an admin, and U0MGR (an admin) is refused.
    definition = {
        "criteria": CRITERIA,
        "managers": {"users": [OTHER_REP]},
        "review": {"enabled": False},
    }
    settings = make_settings(database_url, slack.api_url, mql_definition=definition)
    with BotServer(settings) as server:
        yield server


@pytest.fixture
def sender(workspace: FakeWorkspace, slack: FakeSlackServer, bot: BotServer) -> InteractionSender:
    return InteractionSender(
        workspace, bot_url=bot.url, signing_secret=SIGNING_SECRET, response_base_url=slack.url
    )


def reject(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, lead: dict[str, Any]
) -> tuple[int, Any]:
    """Post the lead, reject its card as "not our ICP"; the lead id and the marketing notice."""
    lead_id = bot.post_leads(lead).json()["id"]
    bot.drain()
    card = next(m for m in workspace.messages(LEADS) if lead["first_name"] in m.text)
    sender.click(user=REP, channel=LEADS, ts=card.ts, action_id=ActionId.REJECT)
    view = wait_for(lambda: workspace.open_views(REP), what="reject modal")[-1]
    values = {BlockId.REJECT_REASON: {ActionId.REJECT_REASON: "not_icp"}}
    assert sender.submit_view(user=REP, view_id=view.id, values=values).status_code == 200
    database_url = bot.settings.database_url
    wait_for(lambda: store.lead(database_url, lead_id).state == LeadState.REJECTED, what="reject")
    bot.drain()
    notice = wait_for(
        lambda: next(
            (m for m in workspace.messages(MARKETING) if lead["first_name"] in m.text), None
        ),
        what="the marketing notice",
    )
    return lead_id, notice


def refused(workspace: FakeWorkspace, user: str, words: str) -> Any:
    return wait_for(
        lambda: [e for e in workspace.ephemerals(user=user) if words in e.text],
        what=f"refusal to {user}: {words}",
    )


def test_a_lead_that_missed_is_credited_back(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id, notice = reject(bot, sender, workspace, MISSES)
    assert "credited back to sales" in text_of(notice)
    assert "misses: buyer role" in text_of(notice)
    assert ActionId.DISPUTE not in repr(notice.blocks)
    kinds = [e.kind for e in store.events(database_url, lead_id)]
    assert kinds[-1] == EventKind.CREDITED_BACK
    credited = store.events(database_url, lead_id)[-1]
    assert credited.detail == {"reason": "not_icp", "misses": [["buyer_role", "buyer role"]]}
    assert "1 credited back to sales" in stats(sender, workspace)


def test_another_reason_is_not_the_guarantees(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id = bot.post_leads(MISSES).json()["id"]
    bot.drain()
    (card,) = workspace.messages(LEADS)
    sender.click(user=REP, channel=LEADS, ts=card.ts, action_id=ActionId.REJECT)
    view = wait_for(lambda: workspace.open_views(REP), what="reject modal")[-1]
    values = {BlockId.REJECT_REASON: {ActionId.REJECT_REASON: "no_budget"}}
    sender.submit_view(user=REP, view_id=view.id, values=values)
    bot.drain()
    (notice,) = workspace.messages(MARKETING)
    assert "credited back" not in text_of(notice) and ActionId.DISPUTE not in repr(notice.blocks)
    assert EventKind.CREDITED_BACK not in [e.kind for e in store.events(database_url, lead_id)]


def dispute(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, notice: Any
) -> None:
    sender.click(user=MARKETER, channel=MARKETING, ts=notice.ts, action_id=ActionId.DISPUTE)
    view = wait_for(lambda: workspace.open_views(MARKETER), what="dispute modal")[-1]
    values = {BlockId.DISPUTE_EXPLANATION: {ActionId.DISPUTE_EXPLANATION: "Head of Ops <b>"}}
    assert sender.submit_view(user=MARKETER, view_id=view.id, values=values).status_code == 200
    bot.drain()


def the_request(workspace: FakeWorkspace) -> Any:
    dm = wait_for(lambda: workspace.dm_channel(OTHER_REP), what="the manager's DM channel")
    return wait_for(lambda: workspace.messages(dm), what="the manager's DM")[-1]


def test_dispute_then_overturn_reopens_the_lead(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id, notice = reject(bot, sender, workspace, FITS)
    assert "met every criterion" in text_of(notice)
    # A rep may not dispute: only marketers and admins.
    sender.click(user=REP, channel=MARKETING, ts=notice.ts, action_id=ActionId.DISPUTE)
    refused(workspace, REP, "Only the marketers")

    dispute(bot, sender, workspace, notice)
    request = the_request(workspace)
    assert "Head of Ops &lt;b&gt;" in text_of(request)
    (opened,) = workspace.replies(MARKETING, notice.ts)
    assert "disputed this rejection" in opened.text and f"<@{OTHER_REP}>" in opened.text
    # A second dispute of the same rejection is refused.
    sender.click(user=MARKETER, channel=MARKETING, ts=notice.ts, action_id=ActionId.DISPUTE)
    refused(workspace, MARKETER, "already disputed")

    # An admin who is not a named manager cannot decide.
    dm = workspace.dm_channel(OTHER_REP)
    assert dm is not None
    payload = sender.block_actions_payload(
        user=OTHER_REP, channel=dm, ts=request.ts, action_id=ActionId.DISPUTE_OVERTURN
    )
    # (Forged as if the request had reached the admin in the marketing channel.)
    payload["user"] = {**payload["user"], "id": BOSS}
    payload["channel"] = {"id": MARKETING, "name": "marketing"}
    payload["container"] = {**payload["container"], "channel_id": MARKETING}
    sender.post_payload(payload)
    refused(workspace, BOSS, "Only the sales managers named for disputes")
    assert store.lead(database_url, lead_id).state == LeadState.REJECTED

    # Uphold, as a client still showing the request would send it after the decision.
    stale = sender.block_actions_payload(
        user=OTHER_REP, channel=dm, ts=request.ts, action_id=ActionId.DISPUTE_UPHOLD
    )
    sender.click(user=OTHER_REP, channel=dm, ts=request.ts, action_id=ActionId.DISPUTE_OVERTURN)
    wait_for(lambda: store.lead(database_url, lead_id).state == LeadState.OPEN, what="reopened")
    bot.drain()
    lead = store.lead(database_url, lead_id)
    assert (lead.state, lead.owner_id, lead.rejection_reason) == (LeadState.OPEN, None, None)
    kinds = [e.kind for e in store.events(database_url, lead_id)]
    assert kinds[-2:] == [EventKind.DISPUTE_OPENED, EventKind.DISPUTE_OVERTURNED]
    replies = workspace.replies(MARKETING, notice.ts)
    assert "overturned the rejection" in replies[-1].text
    card = next(m for m in workspace.messages(LEADS) if "Ana" in m.text)
    assert ActionId.CLAIM in repr(workspace.message(LEADS, card.ts).blocks)
    assert any("overturned" in r.text for r in workspace.replies(LEADS, card.ts))

    assert "1 disputed: 0 upheld, 1 overturned, 0 open" in stats(sender, workspace)
    # The request no longer offers the decision; deciding again is refused, naming who decided.
    assert workspace.message(dm, request.ts).action_ids() == []  # type: ignore[union-attr]
    sender.post_payload(stale)
    refused(workspace, OTHER_REP, f"already decided by <@{OTHER_REP}>")


def test_dispute_upheld_keeps_the_rejection(
    bot: BotServer, sender: InteractionSender, workspace: FakeWorkspace, database_url: str
) -> None:
    lead_id, notice = reject(bot, sender, workspace, FITS)
    dispute(bot, sender, workspace, notice)
    request = the_request(workspace)
    dm = workspace.dm_channel(OTHER_REP)
    assert dm is not None
    sender.click(user=OTHER_REP, channel=dm, ts=request.ts, action_id=ActionId.DISPUTE_UPHOLD)
    wait_for(
        lambda: store.events(database_url, lead_id)[-1].kind == EventKind.DISPUTE_UPHELD,
        what="upheld",
    )
    bot.drain()
    assert store.lead(database_url, lead_id).state == LeadState.REJECTED
    assert store.events(database_url, lead_id)[-1].kind == EventKind.DISPUTE_UPHELD
    assert "upheld the rejection" in workspace.replies(MARKETING, notice.ts)[-1].text


def stats(sender: InteractionSender, workspace: FakeWorkspace) -> str:
    """`/leadfeedback stats` as the marketer: the answer's text and blocks."""
    before = len(workspace.ephemerals(user=MARKETER))
    sender.slash_command(user=MARKETER, channel=LEADS, command="/leadfeedback", text="stats 7d")
    answer = wait_for(lambda: workspace.ephemerals(user=MARKETER)[before:], what="stats")[-1]
    return answer.text + repr(answer.blocks)


@pytest.fixture
def two_managers(
    database_url: str, slack: FakeSlackServer, workspace: FakeWorkspace
) -> Iterator[tuple[BotServer, InteractionSender]]:
    """A bot whose disputes go to two named managers, and a sender of their clicks."""
    definition = {
        "criteria": CRITERIA,
        "managers": {"users": [OTHER_REP, BOSS]},
        "review": {"enabled": False},
    }
    settings = make_settings(database_url, slack.api_url, mql_definition=definition)
    with BotServer(settings) as server:
        yield (
            server,
            InteractionSender(
                workspace,
                bot_url=server.url,
                signing_secret=SIGNING_SECRET,
                response_base_url=slack.url,
            ),
        )


def test_a_decision_redraws_every_managers_request_and_the_notice_without_buttons(
    two_managers: tuple[BotServer, InteractionSender], workspace: FakeWorkspace, database_url: str
) -> None:
    bot, sender = two_managers
    lead_id, notice = reject(bot, sender, workspace, FITS)
    dispute(bot, sender, workspace, notice)
    mine, theirs = dispute_request(workspace, OTHER_REP), dispute_request(workspace, BOSS)
    # What a client still showing the old request would send later.
    stale = sender.block_actions_payload(
        user=BOSS, channel=theirs.channel, ts=theirs.ts, action_id=ActionId.DISPUTE_OVERTURN
    )

    sender.click(
        user=OTHER_REP, channel=mine.channel, ts=mine.ts, action_id=ActionId.DISPUTE_UPHOLD
    )
    wait_for(
        lambda: store.events(database_url, lead_id)[-1].kind == EventKind.DISPUTE_UPHELD,
        what="upheld",
    )
    bot.drain()
    decided_at = store.events(database_url, lead_id)[-1].at
    when = f"<!date^{int(decided_at.timestamp())}^{{date_short}} at {{time}}|"
    for request in (mine, theirs):
        redrawn = workspace.message(request.channel, request.ts)
        assert redrawn is not None and redrawn.action_ids() == []
        assert f"Upheld by <@{OTHER_REP}> on {when}" in text_of(redrawn)
        assert "Head of Ops &lt;b&gt;" in text_of(redrawn), "the dispute itself is still there"
    redrawn_notice = workspace.message(MARKETING, notice.ts)
    assert redrawn_notice is not None and redrawn_notice.action_ids() == []
    assert f"Upheld by <@{OTHER_REP}> on {when}" in text_of(redrawn_notice)
    assert "met every criterion" in text_of(redrawn_notice)

    sender.post_payload(stale)
    refused(workspace, BOSS, f"already decided by <@{OTHER_REP}>")
    bot.drain()
    assert store.lead(database_url, lead_id).state == LeadState.REJECTED
    redraws = [m for m in store.outbox(database_url) if m.kind == "dispute_decided"]
    assert sorted((m.payload["channel"], m.state) for m in redraws) == sorted(
        [(mine.channel, "sent"), (theirs.channel, "sent"), (MARKETING, "sent")]
    )
    assert len([c for c in workspace.calls("chat.update") if c.args.get("ts") == theirs.ts]) == 1


def test_a_request_that_reached_slack_as_the_dispute_was_decided_loses_its_buttons_too(
    two_managers: tuple[BotServer, InteractionSender], workspace: FakeWorkspace, database_url: str
) -> None:
    """Slack shows the boss's request but answers the bot late: the boss overturns from it
    before the bot knows where it is. The request is redrawn when the bot records it."""
    bot, sender = two_managers
    lead_id, notice = reject(bot, sender, workspace, FITS)
    workspace.faults.inject("chat.postMessage", channel=BOSS, late_answer=4, times=1)
    sender.click(user=MARKETER, channel=MARKETING, ts=notice.ts, action_id=ActionId.DISPUTE)
    view = wait_for(lambda: workspace.open_views(MARKETER), what="dispute modal")[-1]
    values = {BlockId.DISPUTE_EXPLANATION: {ActionId.DISPUTE_EXPLANATION: "Head of Ops"}}
    assert sender.submit_view(user=MARKETER, view_id=view.id, values=values).status_code == 200
    theirs = dispute_request(workspace, BOSS)
    sender.click(
        user=BOSS, channel=theirs.channel, ts=theirs.ts, action_id=ActionId.DISPUTE_OVERTURN
    )
    wait_for(lambda: store.lead(database_url, lead_id).state == LeadState.OPEN, what="reopened")

    def redrawn() -> Any:
        message = workspace.message(theirs.channel, theirs.ts)
        return message if message and not message.action_ids() else None

    assert f"Overturned by <@{BOSS}> on " in text_of(wait_for(redrawn, what="the late request"))
    bot.drain()
    mine = workspace.message(*_only_request(workspace, OTHER_REP))
    assert mine is not None and mine.action_ids() == []
    (late,) = [
        m
        for m in store.outbox(database_url)
        if m.kind == "dispute_decided" and m.payload["ts"] == theirs.ts
    ]
    decided_at = store.events(database_url, lead_id)[-1].at
    assert late.created_at > decided_at, "queued by the request's recording, after the decision"


def _only_request(workspace: FakeWorkspace, manager: str) -> tuple[str, str]:
    channel = workspace.dm_channel(manager)
    assert channel is not None
    (request,) = [m for m in workspace.messages(channel) if "disputed the rejection" in m.text]
    return channel, request.ts


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own, on each store, for migrating step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"handoff_migrate_{uuid.uuid4().hex[:8]}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(POSTGRES_URL, timeout=3)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_the_migration_records_the_requests_already_sent(unmigrated_url: str) -> None:
    """A dispute still open at the upgrade loses its buttons everywhere once decided."""
    upgrade_database(unmigrated_url, "0008_mql_definition")
    at = "'2026-03-09 09:00:00'"
    rows = [
        "INSERT INTO leads (id, email, fields, state, created_at) "
        f"VALUES (1, 'ana@acme.example', '{{}}', 'rejected', {at})",
        "INSERT INTO lead_events (id, lead_id, kind, at, detail) "
        f"VALUES (5, 1, 'rejected', {at}, '{{}}')",
        "INSERT INTO definition_disputes (id, lead_id, rejection_event_id, lead_created_at, "
        f"opened_by, explanation, opened_at) VALUES (3, 1, 5, {at}, 'U0MKT', 'fits', {at})",
    ]
    for n, (user, state, result) in enumerate(
        [
            ("U0REP2", "sent", '{"channel": "D0REP2", "ts": "1.000200"}'),
            ("U0MGR", "pending", "{}"),  # not posted yet: recorded when it is
        ],
        start=1,
    ):
        payload = f'{{"dispute_id": 3, "user_id": "{user}"}}'
        rows.append(
            "INSERT INTO outbox (id, kind, lead_id, payload, dedup_key, state, attempts, "
            "created_at, not_before, sent_at, result) VALUES "
            f"({n}, 'dispute_request', 1, '{payload}', 'dispute:3:request:{user}', '{state}', "
            f"1, {at}, {at}, {at if state == 'sent' else 'NULL'}, '{result}')"
        )

    async def run(statements: list[str]) -> list[Any]:
        db = Database(unmigrated_url)
        try:
            async with db.session() as session:
                found: list[Any] = []
                for statement in statements:
                    found.append(await session.exec(text(statement)))
                return [list(r.all()) for r in found if r.returns_rows]
        finally:
            await db.dispose()

    asyncio.run(run(rows))
    upgrade_database(unmigrated_url)
    (recorded,) = asyncio.run(
        run(["SELECT dispute_id, user_id, channel, ts FROM definition_dispute_requests"])
    )
    assert [tuple(row) for row in recorded] == [(3, "U0REP2", "D0REP2", "1.000200")]
