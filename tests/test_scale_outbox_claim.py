"""Workers take outbox rows in one statement on PostgreSQL, and never the same row twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from storage import outbox
from storage.database import Database
from storage.kinds import OutboxKind
from storage.models import OutboxMessage

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


async def queue(db: Database, count: int) -> None:
    work = [outbox.Work(OutboxKind.POST_CARD, dedup_key=f"claim-test-{n}") for n in range(count)]
    async with db.session() as session:
        await outbox.enqueue_many(session, work, now=NOW)


async def claim_until_empty(db: Database) -> list[int]:
    taken: list[int] = []
    while True:
        async with db.session() as session:
            rows = await outbox.claim_due(session, now=NOW, limit=10, lease_for=LEASE)
        if not rows:
            return taken
        taken += [row.id or 0 for row in rows]
        await asyncio.sleep(0)  # let the other worker in between batches


@pytest.mark.postgres
@pytest.mark.asyncio
async def test_two_workers_on_postgres_never_lease_the_same_row(postgres_url: str) -> None:
    replicas = [Database(postgres_url) for _ in range(2)]
    try:
        await queue(replicas[0], 300)
        results = await asyncio.gather(*(claim_until_empty(db) for db in replicas * 2))
        async with replicas[0].session() as session:
            rows = (await session.exec(select(OutboxMessage))).all()
    finally:
        for db in replicas:
            await db.dispose()
    taken = [row_id for batch in results for row_id in batch]
    assert len(taken) == len(set(taken)) == 300
    assert all(len(batch) > 0 for batch in results[:2])  # both replicas got work
    assert {row.attempts for row in rows} == {1}
    assert all(row.lease_until == NOW + LEASE for row in rows)


@pytest.mark.postgres
@pytest.mark.asyncio
async def test_a_claim_on_postgres_is_one_statement(postgres_url: str) -> None:
    db = Database(postgres_url)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    try:
        await queue(db, 25)
        event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
        async with db.session() as session:
            rows = await outbox.claim_due(session, now=NOW, limit=10, lease_for=LEASE)
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    finally:
        await db.dispose()
    assert [row.id for row in rows] == list(range(1, 11))  # oldest first
    claims = [s for s in statements if "outbox" in s]
    assert len(claims) == 1
    assert "FOR UPDATE SKIP LOCKED" in claims[0]
    assert "RETURNING" in claims[0]


@pytest.mark.asyncio
async def test_a_claim_skips_leased_and_later_rows(database_url: str) -> None:
    db = Database(database_url)
    try:
        await queue(db, 3)
        later = outbox.Work(OutboxKind.POST_CARD, dedup_key="later", not_before=NOW + LEASE)
        async with db.session() as session:
            await outbox.enqueue_many(session, [later], now=NOW)
        async with db.session() as session:
            first = await outbox.claim_due(session, now=NOW, limit=2, lease_for=LEASE)
        async with db.session() as session:
            second = await outbox.claim_due(session, now=NOW, limit=10, lease_for=LEASE)
        async with db.session() as session:
            third = await outbox.claim_due(session, now=NOW, limit=10, lease_for=LEASE)
    finally:
        await db.dispose()
    assert [m.id for m in first] == [1, 2]
    assert [m.id for m in second] == [3]
    assert third == []
    assert [m.attempts for m in first + second] == [1, 1, 1]
