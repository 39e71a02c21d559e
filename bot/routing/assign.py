"""Deciding who gets a lead: read the pool's state, skip who is unavailable, choose, write.

The decision is made from a snapshot (Slack's facts about each member, the
database's rotation, caps, away spells) and written by storage/routing.py in one
transaction gated by the pool's version; when another replica decided first the
write raises RotationMoved and the decision is made again from the new state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.routing.availability import Person, SkipReason, skip_reason
from bot.routing.choosing import Rotation, calibrate, cap_reached, next_member
from bot.routing.rules import match_rule
from bot.routing.sticky import sticky_owner
from bot.settings.routing import Pool
from storage.models import Lead, LeadState
from storage.routing import (
    AssignmentKind,
    Decision,
    LeadMoved,
    RotationMoved,
    assigned_since,
    lock_pool,
    route_new_lead,
    undecided_loads,
)
from storage.routing_away import away_users
from storage.routing_models import Assignment

if TYPE_CHECKING:
    from bot.runtime.services import Services

logger = logging.getLogger(__name__)

# The pool's lock makes a retry rare (a row that moved under an unexpected writer).
MAX_TRIES = 50


async def pool_members(services: Services, pool: Pool) -> list[str]:
    """The pool's members in a stable order: listed users first, then the group's, sorted."""
    users = list(dict.fromkeys(pool.members.users))
    if pool.members.usergroup:
        group = await services.directory.group_members(pool.members.usergroup)
        users += sorted(u for u in group if u not in users)
    return users


async def people(services: Services, user_ids: Iterable[str]) -> dict[str, Person]:
    found = {}
    for user_id in user_ids:
        user = await services.directory.person(user_id)
        if user is None:
            found[user_id] = Person(user_id, deleted=True)
            continue
        profile = user.get("profile") or {}
        found[user_id] = Person(
            user_id,
            tz=user.get("tz"),
            deleted=bool(user.get("deleted")),
            status_text=profile.get("status_text") or "",
            status_emoji=profile.get("status_emoji") or "",
            status_expiration=int(profile.get("status_expiration") or 0),
        )
    return found


def period_starts(now: datetime, zone_name: str) -> tuple[datetime, datetime]:
    """The start of today and of this ISO week in the team's time zone (caps count from there)."""
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(zone_name))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day - timedelta(days=local.weekday())


@dataclass(frozen=True)
class Roster:
    """What Slack says about a pool's members, read before the database transaction."""

    pool: Pool
    members: list[str]
    facts: dict[str, Person]


async def roster(services: Services, pool: Pool, exclude: frozenset[str] = frozenset()) -> Roster:
    members = await pool_members(services, pool)
    return Roster(pool, members, await people(services, [m for m in members if m not in exclude]))


async def decide(
    session: AsyncSession,
    services: Services,
    roster: Roster,
    *,
    now: datetime,
    rule_index: int | None,
    tier: str | None,
    exclude: frozenset[str] = frozenset(),
    kind: AssignmentKind = AssignmentKind.ASSIGNED,
) -> Decision:
    """Who in the pool gets the lead now, and why each other member was skipped.

    In the caller's transaction, which this locks the pool's row in: the decision is
    made from the state the previous decider wrote, and written before the lock goes.
    """
    team = services.settings.team
    routing = team.routing
    pool, members = roster.pool, roster.members
    day, week = period_starts(now, team.timezone)
    state = await lock_pool(session, pool.id)
    away = await away_users(session, members, now)
    today = await assigned_since(session, members, day)
    this_week = await assigned_since(session, members, week) if pool.cap.week else {}
    loads = await undecided_loads(session, members) if pool.method == "load_balanced" else {}
    skipped: dict[str, str] = {}
    available: list[str] = []
    for user in members:
        if user in exclude:
            skipped[user] = SkipReason.HAD_IT
            continue
        reason = skip_reason(
            roster.facts[user],
            now,
            hours=routing.working_hours,
            own_hours=routing.reps.get(user),
            team_zone=team.timezone,
            away=user in away,
            at_cap=cap_reached(
                pool.cap, today=today.get(user, 0), this_week=this_week.get(user, 0)
            ),
            check_status=routing.ooo_status,
        )
        if reason is None:
            available.append(user)
        else:
            skipped[user] = reason
    rotation = Rotation(counts=state.counts, present=state.present, last=state.last)
    counts = calibrate(available, rotation, pool.weights)
    chosen = next_member(
        pool.method, available, counts, last=state.last, weights=pool.weights, open_leads=loads
    )
    if chosen is None:
        fallback = pool.fallback if pool.fallback not in exclude else None
        kind = AssignmentKind.FALLBACK if fallback else AssignmentKind.UNROUTED
        chosen = fallback
    return Decision(
        kind=kind,
        assignee_id=chosen,
        pool_id=pool.id,
        rule_index=rule_index,
        tier=tier,
        candidates=members,
        skipped=skipped,
        version=state.version,
        counts=counts,
        absent=[u for u in members if u not in available],
    )


async def route_lead(services: Services, lead_id: int) -> Assignment | None:
    """Assign a new lead before its card is posted (assign mode); None if nothing to do."""
    team = services.settings.team
    if team.routing.mode != "assign":
        return None
    now = services.clock.now()
    async with services.db.session() as session:
        lead = await session.get(Lead, lead_id)
    if lead is None or lead.routing is not None or lead.state != LeadState.OPEN:
        return None
    if lead.message_ts is not None:
        return None
    match = match_rule(lead, team.routing)
    sticky = None
    if match is not None:
        sticky = await _sticky(services, lead, match.index, match.rule.tier, now)
    pool = team.routing.pool(match.rule.pool) if match else None
    members = await roster(services, pool) if pool and sticky is None else None
    for _ in range(MAX_TRIES):
        try:
            async with services.db.session() as session:
                if sticky is not None:
                    decision = sticky
                elif match is None or members is None:
                    decision = Decision(
                        kind=AssignmentKind.UNROUTED,
                        assignee_id=None,
                        note="no routing rule matched",
                    )
                else:
                    decision = await decide(
                        session,
                        services,
                        members,
                        now=now,
                        rule_index=match.index,
                        tier=match.rule.tier,
                    )
                record = await route_new_lead(session, lead_id=lead_id, decision=decision, now=now)
            services.outbox.wake()
            return record
        except RotationMoved:
            continue
        except LeadMoved:
            return None
    raise RuntimeError(f"lead {lead_id}: the pool kept moving; routing retries with the card")


async def _sticky(
    services: Services, lead: Lead, rule_index: int, tier: str | None, now: datetime
) -> Decision | None:
    routing = services.settings.team.routing
    if routing.sticky_within is None:
        return None
    async with services.db.session() as session:
        owner = await sticky_owner(session, lead, since=now - routing.sticky_within)
    if owner is None:
        return None
    facts = await people(services, [owner])
    if facts[owner].deleted:
        return None
    async with services.db.session() as session:
        if await away_users(session, [owner], now):
            return None
    return Decision(
        kind=AssignmentKind.STICKY,
        assignee_id=owner,
        rule_index=rule_index,
        tier=tier,
        candidates=[owner],
        note="owns another lead of this account",
    )
