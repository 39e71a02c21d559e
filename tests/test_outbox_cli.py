"""`handoff outbox`: listing, retrying and dropping rows by hand, on SQLite and PostgreSQL.

Rows are set up in the database as the worker would leave them; the commands run
through click's CliRunner against that database, and the rows are read back after.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import update
from sqlmodel import select

from bot.cli import main
from bot.cli.base import out
from bot.runtime.logs import HANDLER_NAME
from storage.database import Database
from storage.kinds import DigestRef, EventKind, EventRef, OutboxKind
from storage.lead_input import parse_leads
from storage.leads import ingest_leads
from storage.models import OutboxMessage, OutboxState
from storage.outbox import enqueue
from storage.outbox_ops import DROPPED_BY_HAND
from tests import store

ROOT = Path(__file__).parent.parent
NOW = datetime.now(UTC)


@dataclass
class Rows:
    """One row in each state `handoff outbox` tells apart."""

    lead_id: int
    waiting: int  # queued a minute ago, not attempted yet
    failing: int  # attempted 4 times, failing
    dropped: int  # dropped by the worker: failed
    by_hand: int  # dropped by an operator: not failed
    sent: int
    digest: int  # waiting, about no lead


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(handler)
    root.setLevel(level)


def handoff(database_url: str, *args: str) -> Result:
    env = {"DATABASE_URL": database_url, "HANDOFF_CONFIG": str(ROOT / "app.yaml"), "COLUMNS": "200"}
    # The console took its width when it was imported, whatever COLUMNS says now.
    out.width = 200
    return CliRunner().invoke(main, list(args), env=env)


async def _setup(database_url: str) -> Rows:
    db = Database(database_url)
    try:
        async with db.session() as session:
            leads, _ = parse_leads([{"email": "ana@example.com", "source": "webinar"}])
            (outcome,) = await ingest_leads(
                session, leads, now=NOW - timedelta(hours=2), dedup_window=timedelta(days=1)
            )
        lead_id = outcome.id
        ids: dict[str, int] = {}
        states: dict[str, dict[str, Any]] = {
            "failing": {"attempts": 4, "last_error": "Slack error: channel_not_found"},
            "dropped": {
                "state": OutboxState.DROPPED,
                "sent_at": NOW - timedelta(minutes=30),
                "last_error": "lead no longer exists",
            },
            "by_hand": {
                "state": OutboxState.DROPPED,
                "sent_at": NOW - timedelta(minutes=20),
                "last_error": DROPPED_BY_HAND + "duplicate",
            },
            "sent": {"state": OutboxState.SENT, "sent_at": NOW - timedelta(minutes=10)},
        }
        async with db.session() as session:
            for offset, name in enumerate(["failing", "dropped", "by_hand", "sent", "waiting"]):
                await enqueue(
                    session,
                    kind=OutboxKind.THREAD_REPLY if name != "waiting" else OutboxKind.UPDATE_CARD,
                    lead_id=lead_id,
                    payload=None if name == "waiting" else EventRef(event_id=offset + 1),
                    now=NOW - timedelta(minutes=50 - offset * 10),
                )
            await enqueue(
                session, kind=OutboxKind.DIGEST_POST, payload=DigestRef(post_id=1), now=NOW
            )
        async with db.session() as session:
            by_order = sorted((await session.exec(select(OutboxMessage.id))).all())
        card = by_order[0]  # the lead's own card, queued by the intake
        names = ["card", "failing", "dropped", "by_hand", "sent", "waiting", "digest"]
        ids = dict(zip(names, by_order, strict=True))
        async with db.session() as session:
            await session.exec(
                update(OutboxMessage)
                .where(OutboxMessage.id == card)
                .values(state=OutboxState.SENT, sent_at=NOW - timedelta(hours=1))
            )
            for name, values in states.items():
                await session.exec(
                    update(OutboxMessage).where(OutboxMessage.id == ids[name]).values(**values)
                )
    finally:
        await db.dispose()
    del ids["card"]
    return Rows(lead_id=lead_id, **ids)


@pytest.fixture
def rows(database_url: str) -> Rows:
    return asyncio.run(_setup(database_url))


def row(database_url: str, message_id: int) -> OutboxMessage:
    return next(r for r in store.outbox(database_url) if r.id == message_id)


def listed_ids(result: Result) -> list[int]:
    cells = [line.split("│")[1].strip() for line in result.stdout.splitlines() if "│" in line]
    return [int(cell) for cell in cells if cell.isdigit()]


def test_lists_waiting_and_failed_rows_newest_problem_first(database_url: str, rows: Rows) -> None:
    result = handoff(database_url, "outbox")
    assert result.exit_code == 0, result.output
    shown = listed_ids(result)
    # Newest first: the digest (now), the waiting card update, the drop, the failing reply.
    assert shown == [rows.digest, rows.waiting, rows.dropped, rows.failing]
    assert rows.by_hand not in shown and rows.sent not in shown
    assert "channel_not_found" in result.stdout and "failing" in result.stdout
    limited = handoff(database_url, "outbox", "--limit", "1")
    assert listed_ids(limited) == [rows.digest]
    assert "Showing 1 of 4" in limited.stdout
    assert "Failed means" in handoff(database_url, "outbox", "--help").stdout


def test_retry_makes_one_row_due_again_with_attempts_reset(database_url: str, rows: Rows) -> None:
    result = handoff(database_url, "outbox", "retry", str(rows.dropped))
    assert result.exit_code == 0, result.output
    again = row(database_url, rows.dropped)
    assert (again.state, again.attempts, again.last_error) == (OutboxState.PENDING, 0, None)
    assert again.sent_at is None and again.not_before <= datetime.now(UTC)
    failing = handoff(database_url, "outbox", "retry", str(rows.failing))
    # Attempted before: 1, so that its next attempt looks for an earlier post first.
    assert failing.exit_code == 0 and row(database_url, rows.failing).attempts == 1


def test_retry_all_failed_leaves_what_an_operator_dropped(database_url: str, rows: Rows) -> None:
    result = handoff(database_url, "outbox", "retry", "--all-failed")
    assert result.exit_code == 0, result.output
    assert "Failed rows due again: 2." in result.stdout
    assert row(database_url, rows.dropped).state == OutboxState.PENDING
    assert row(database_url, rows.failing).attempts == 1
    assert row(database_url, rows.by_hand).state == OutboxState.DROPPED
    assert row(database_url, rows.sent).state == OutboxState.SENT
    assert "failed rows made due again by hand" in result.stderr
    assert "due again: 0." in handoff(database_url, "outbox", "retry", "--all-failed").stdout


def test_drop_records_the_reason_on_the_leads_audit_trail(database_url: str, rows: Rows) -> None:
    result = handoff(database_url, "outbox", "drop", str(rows.waiting), "--reason", "Ana asked")
    assert result.exit_code == 0, result.output
    dropped = row(database_url, rows.waiting)
    assert dropped.state == OutboxState.DROPPED
    assert dropped.last_error == DROPPED_BY_HAND + "Ana asked"
    (event,) = [e for e in store.events(database_url, rows.lead_id) if e.kind == "outbox_dropped"]
    assert event.kind == EventKind.OUTBOX_DROPPED
    assert event.detail == {"outbox_id": rows.waiting, "kind": "update_card", "reason": "Ana asked"}
    assert "dropped by hand: Ana asked" in result.stderr  # and the log line
    assert rows.waiting not in listed_ids(handoff(database_url, "outbox"))


def test_a_row_without_a_lead_keeps_the_reason_in_its_last_error(
    database_url: str, rows: Rows
) -> None:
    before = len(store.events(database_url))
    result = handoff(database_url, "outbox", "drop", str(rows.digest), "--reason", "posted by hand")
    assert result.exit_code == 0, result.output
    assert row(database_url, rows.digest).last_error == DROPPED_BY_HAND + "posted by hand"
    assert len(store.events(database_url)) == before


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["retry", "{sent}"], "was sent already; a sent row cannot be retried"),
        (["drop", "{sent}", "--reason", "x"], "was sent already; a sent row cannot be dropped"),
        (["drop", "{by_hand}", "--reason", "x"], "is dropped already"),
        (["retry", "999999"], "there is no outbox row 999999"),
        (["drop", "999999", "--reason", "x"], "there is no outbox row 999999"),
        (["drop", "{waiting}", "--reason", "  "], "--reason must say why"),
        (["retry"], "give one row ID, or --all-failed"),
        (["retry", "{waiting}", "--all-failed"], "give one row ID, or --all-failed"),
    ],
)
def test_refusals_exit_2_and_say_why(
    database_url: str, rows: Rows, args: list[str], says: str
) -> None:
    ids = {"sent": rows.sent, "by_hand": rows.by_hand, "waiting": rows.waiting}
    result = handoff(database_url, "outbox", *(a.format(**ids) for a in args))
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert row(database_url, rows.sent).state == OutboxState.SENT
    assert row(database_url, rows.waiting).state == OutboxState.PENDING


def test_a_row_being_delivered_is_neither_retried_nor_dropped(
    database_url: str, rows: Rows
) -> None:
    async def lease() -> None:
        db = Database(database_url)
        try:
            async with db.session() as session:
                await session.exec(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == rows.failing)
                    .values(lease_until=datetime.now(UTC) + timedelta(minutes=2))
                )
        finally:
            await db.dispose()

    asyncio.run(lease())
    for args in (["retry", str(rows.failing)], ["drop", str(rows.failing), "--reason", "x"]):
        result = handoff(database_url, "outbox", *args)
        assert result.exit_code == 2 and "being delivered right now" in result.stderr
    # The worker's own drop is retried; the row it is delivering is left to it.
    assert "due again: 1." in handoff(database_url, "outbox", "retry", "--all-failed").stdout
    assert row(database_url, rows.failing).attempts == 4


def test_an_empty_outbox_says_so(database_url: str) -> None:
    result = handoff(database_url, "outbox")
    assert result.exit_code == 0 and "the outbox is clear" in result.stdout


@pytest.mark.parametrize("store_kind", ["sqlite", "postgres"])
def test_a_store_that_does_not_answer_exits_2(store_kind: str, tmp_path: Path) -> None:
    url = (
        f"sqlite:///{tmp_path}/never-migrated.db"
        if store_kind == "sqlite"
        else "postgresql://postgres@127.0.0.1:1/none"
    )
    result = handoff(url, "outbox")
    assert result.exit_code == 2, result.output
    assert "Cannot read the outbox" in result.stderr
