"""Two assigners on one PostgreSQL database routing the same 200 leads at once: each lead is
assigned once, and the rotation stays fair (the pool's version gates every decision).

Two apps, each with its own engine (its own connection pool) and Slack client, as
two replicas have; they race over the same leads from opposite ends.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.app import create_app
from bot.routing.assign import route_lead
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from storage.database import Database
from storage.models import Lead, LeadState
from storage.routing_models import Assignment, RoutingPool
from tests.conftest import make_settings

LEADS = 200
REPS = ["U0REP1", "U0REP2", "U0REP3", "U0REP4"]
ROUTING = {
    "mode": "assign",
    "working_hours": None,
    "sticky_within": None,
    "pools": [{"id": "reps", "members": {"users": REPS}}],
    "rules": [{"pool": "reps"}],
}


async def _store_leads(db: Database) -> list[int]:
    now = datetime.now(UTC)
    async with db.session() as session:
        leads = [
            Lead(email=f"buyer{n}@example{n}.com", created_at=now, state=LeadState.OPEN)
            for n in range(LEADS)
        ]
        session.add_all(leads)
        await session.flush()
        return [lead.id or 0 for lead in leads]


@pytest.mark.postgres
def test_two_assigners_give_each_lead_once_and_keep_the_rotation_fair(
    postgres_url: str, workspace: FakeWorkspace, slack: FakeSlackServer
) -> None:
    for n in (3, 4):
        workspace.add_user(id=f"U0REP{n}", name=f"rep{n}")
    settings = make_settings(postgres_url, slack.api_url, routing=ROUTING)

    async def race() -> tuple[list[Assignment], list[Lead], RoutingPool | None]:
        first = create_app(settings, db=Database(postgres_url))
        second = create_app(settings, db=Database(postgres_url))
        try:
            ids = await _store_leads(first.services.db)

            async def assigner(app: object, order: list[int]) -> int:
                won = 0
                for lead_id in order:
                    won += await route_lead(app.services, lead_id) is not None  # type: ignore[attr-defined]
                return won

            wins = await asyncio.gather(assigner(first, ids), assigner(second, ids[::-1]))
            # Both replicas did real work, and together exactly one decision per lead.
            assert min(wins) > 0 and sum(wins) == LEADS
            async with first.services.db.session() as session:
                records = list((await session.exec(select(Assignment))).all())
                leads = list((await session.exec(select(Lead))).all())
                pool = await session.get(RoutingPool, "reps")
            return records, leads, pool
        finally:
            await first.services.db.dispose()
            await second.services.db.dispose()

    records, leads, pool = asyncio.run(race())
    per_lead = Counter(r.lead_id for r in records)
    assert len(per_lead) == LEADS and set(per_lead.values()) == {1}
    assert all(lead.state == LeadState.CLAIMED and lead.routing == "assigned" for lead in leads)
    assert all(lead.owner_id == r.assignee_id for lead, r in _pairs(leads, records))
    given = Counter(r.assignee_id for r in records)
    assert given == {rep: LEADS // len(REPS) for rep in REPS}
    assert pool is not None and pool.version == LEADS


def _pairs(leads: list[Lead], records: list[Assignment]) -> list[tuple[Lead, Assignment]]:
    by_lead = {r.lead_id: r for r in records}
    return [(lead, by_lead[lead.id or 0]) for lead in leads]
