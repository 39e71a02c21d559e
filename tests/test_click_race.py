"""A click that races the transaction recording its card's ts is applied, not refused.

On PostgreSQL a statement sees the rows committed when it began. A Claim sent the
moment Slack shows the card can run its conditional UPDATE just before the outbox
commits the card's ts (the UPDATE matches nothing: "not posted"), and read the lead
just after (posted and open). CI met this once: the rep was told "This lead is open
again: claim it first". The interleaving is forced here: the transaction that
records the ts commits right after the claim's UPDATE has run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, update
from sqlalchemy.util import await_only

from bot.leads.clicks import once_posted
from storage.database import Database
from storage.lead_input import LeadIn
from storage.leads import ingest_leads
from storage.models import Lead, LeadState
from storage.transitions import TransitionRefused, claim_lead
from tests.feedback_data import NOW

pytestmark = pytest.mark.postgres
ANA, BEN = "U0REP1", "U0REP2"


@pytest.fixture
async def db(postgres_url: str) -> AsyncIterator[Database]:
    database = Database(postgres_url)
    try:
        yield database
    finally:
        await database.dispose()


async def an_unposted_lead(db: Database) -> int:
    async with db.session() as session:
        [stored] = await ingest_leads(
            session,
            [LeadIn(email="ana.buyer@example.com", source="webinar")],
            now=NOW,
            dedup_window=timedelta(days=30),
        )
    return stored.id


async def recording_the_card(postgres_url: str, lead_id: int) -> Any:
    """The outbox's record of the posted card, written and not yet committed."""
    connection = await asyncpg.connect(postgres_url.replace("postgresql://", "postgres://"))
    recording = connection.transaction()
    await recording.start()
    await connection.execute(
        "UPDATE leads SET channel_id = 'C0LEADS', message_ts = '1.000100' WHERE id = $1", lead_id
    )
    return connection, recording


def commit_after_the_first_claim_update(db: Database, recording: Any) -> list[str]:
    """Commit `recording` the moment the first UPDATE of leads has run: the race, forced."""
    seen: list[str] = []

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE LEADS") and not seen:
            seen.append(statement)
            await_only(recording.commit())

    event.listen(db.engine.sync_engine, "after_cursor_execute", after)
    return seen


async def test_a_claim_that_misses_the_recording_by_a_moment_is_applied(
    db: Database, postgres_url: str
) -> None:
    lead_id = await an_unposted_lead(db)
    connection, recording = await recording_the_card(postgres_url, lead_id)
    try:
        seen = commit_after_the_first_claim_update(db, recording)
        transition = await once_posted(
            db, lambda s: claim_lead(s, lead_id=lead_id, user_id=ANA, now=NOW)
        )
    finally:
        await connection.close()
    assert seen, "the claim's UPDATE never ran"
    assert transition.lead.state == LeadState.CLAIMED
    assert transition.lead.owner_id == ANA


async def test_the_refusal_says_only_the_posting_was_in_the_way(
    db: Database, postgres_url: str
) -> None:
    lead_id = await an_unposted_lead(db)
    connection, recording = await recording_the_card(postgres_url, lead_id)
    try:
        commit_after_the_first_claim_update(db, recording)
        with pytest.raises(TransitionRefused) as refused:
            async with db.session() as session:
                await claim_lead(session, lead_id=lead_id, user_id=ANA, now=NOW)
    finally:
        await connection.close()
    assert refused.value.lead is not None and refused.value.lead.message_ts == "1.000100"
    assert refused.value.card_pending


async def test_a_claim_on_a_lead_someone_else_holds_is_refused_at_once(db: Database) -> None:
    lead_id = await an_unposted_lead(db)
    async with db.session() as session:
        await session.exec(
            update(Lead)
            .where(Lead.id == lead_id)
            .values(
                channel_id="C0LEADS", message_ts="1.000100", state=LeadState.CLAIMED, owner_id=BEN
            )
        )
    with pytest.raises(TransitionRefused) as refused:
        await once_posted(db, lambda s: claim_lead(s, lead_id=lead_id, user_id=ANA, now=NOW))
    assert not refused.value.card_pending
    assert refused.value.lead is not None and refused.value.lead.owner_id == BEN
