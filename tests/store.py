"""Reading the database from a test, the way an auditor would."""

import asyncio
from typing import Any

from sqlmodel import select

from storage.database import Database
from storage.models import Lead, LeadEvent, OutboxMessage


def _run(database_url: str, query: Any) -> Any:
    async def go() -> Any:
        db = Database(database_url)
        try:
            async with db.session() as session:
                return await query(session)
        finally:
            await db.dispose()

    return asyncio.run(go())


def leads(database_url: str) -> list[Lead]:
    async def query(session: Any) -> list[Lead]:
        return list((await session.exec(select(Lead).order_by(Lead.id))).all())

    return _run(database_url, query)


def lead(database_url: str, lead_id: int) -> Lead:
    found = [item for item in leads(database_url) if item.id == lead_id]
    assert found, f"lead {lead_id} not stored"
    return found[0]


def events(database_url: str, lead_id: int | None = None) -> list[LeadEvent]:
    async def query(session: Any) -> list[LeadEvent]:
        statement = select(LeadEvent).order_by(LeadEvent.id)
        if lead_id is not None:
            statement = statement.where(LeadEvent.lead_id == lead_id)
        return list((await session.exec(statement)).all())

    return _run(database_url, query)


def outbox(database_url: str) -> list[OutboxMessage]:
    async def query(session: Any) -> list[OutboxMessage]:
        return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())

    return _run(database_url, query)


def expire_leases(database_url: str) -> None:
    """As if the outbox leases had run out (a test cannot wait their two minutes)."""

    async def query(session: Any) -> None:
        from sqlalchemy import update

        await session.exec(update(OutboxMessage).values(lease_until=None))

    _run(database_url, query)
