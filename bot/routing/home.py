"""The App Home tab (assign mode): a rep's leads with time left and buttons, the away toggle,
and for marketers and admins the key numbers of the last 7 days.

Published (views.publish) when what it shows changes: a lead assigned, handed over,
decided; an away spell started or ended. Not on every open.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.feedback.metrics import funnel
from bot.runtime.deliveries import DeliveryContext, Drop, Outcome, Sent
from bot.timekeeping.periods import parse_period
from messages.figures import percent
from messages.routing import app_home
from storage.kinds import HomeRef, OutboxKind, read_payload
from storage.models import Lead, LeadState, OutboxMessage
from storage.outbox import enqueue
from storage.routing_away import away_until

if TYPE_CHECKING:
    from bot.runtime.services import Services


async def queue_home(
    session: AsyncSession, *, now: datetime, user_id: str | None = None, marketers: bool = False
) -> None:
    if user_id or marketers:
        payload = HomeRef(user_id=user_id, marketers=marketers)
        await enqueue(session, kind=OutboxKind.APP_HOME, payload=payload, now=now)


async def is_rep(services: Services, user_id: str) -> bool:
    from bot.routing.assign import pool_members

    for pool in services.settings.team.routing.pools:
        if user_id in await pool_members(services, pool):
            return True
    return False


async def is_marketer(services: Services, user_id: str) -> bool:
    team = services.settings.team
    directory = services.directory
    return await directory.includes(team.marketers, user_id) or await directory.includes(
        team.admins, user_id
    )


async def home_view(services: Services, user_id: str) -> dict[str, Any]:
    now = services.clock.now()
    rep = await is_rep(services, user_id)
    numbers = await _numbers(services, now) if await is_marketer(services, user_id) else None
    async with services.db.session() as session:
        rows = await session.exec(
            select(Lead)
            .where(Lead.owner_id == user_id, Lead.state == LeadState.CLAIMED)
            .order_by(col(Lead.due_at).is_(None), col(Lead.due_at), col(Lead.id))
        )
        leads = list(rows.all())
        away = await away_until(session, user_id=user_id, now=now)
    return app_home(
        rep=rep or bool(leads),
        leads=leads,
        now=now,
        away=away is not None,
        away_until=away.until if away else None,
        numbers=numbers,
    )


async def _numbers(services: Services, now: datetime) -> dict[str, Any]:
    period = parse_period("7d", now=now, zone=services.settings.team.zone)
    async with services.db.session() as session:
        figures = await funnel(session, period.start, period.end, now=now, detail=False)
    decided = figures.accepted + figures.rejected
    return {
        "label": f"Key numbers · {period.label}",
        "mqls": figures.mqls,
        "accepted": figures.accepted,
        "rejected": figures.rejected,
        "rate": percent(figures.accepted / decided) if decided else "-",
        "met": figures.sla_met,
        "breached": figures.sla_breached,
    }


def home_delivery(services: Services) -> Any:
    async def deliver_home(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
        ref = read_payload(HomeRef, message.payload)
        users = [ref.user_id] if ref.user_id else []
        if ref.marketers:
            team = services.settings.team
            users += sorted(
                await services.directory.members(team.marketers)
                | await services.directory.members(team.admins)
            )
        if not users:
            return Drop("nobody to publish for")
        for user_id in dict.fromkeys(users):
            await ctx.client.views_publish(user_id=user_id, view=await home_view(services, user_id))
        return Sent({"published": users})

    return deliver_home
