"""How the routing capability wires itself into an app (see bot/app.py)."""

from __future__ import annotations

from functools import partial

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.routing import deliveries
from bot.routing.assign import route_lead
from bot.routing.home import home_delivery, queue_home
from bot.routing.numbers import digest_section, run_reps
from bot.runtime.deliveries import DeliveryContext, Outcome
from bot.runtime.registry import Registry
from bot.runtime.services import Services
from bot.runtime.subcommands import Audience, Subcommand
from storage.kinds import OutboxKind
from storage.models import Lead, LeadState, OutboxMessage
from storage.routing import queue_first_dm


def register(registry: Registry, services: Services) -> None:
    registry.subcommands.add(
        Subcommand(
            "reps",
            "reps [7d|30d|90d|quarter|YYYY-MM]",
            "Per rep: leads assigned, accepted, rejected, handed over, breached, and the "
            "median time to decision (marketers, admins and sales managers)",
            Audience.MANAGERS,
            partial(run_reps, services),
            ["reps", "reps 7d"],
        )
    )
    registry.deliver(OutboxKind.ROUTING_DM, deliveries.deliver_dm)
    registry.deliver(OutboxKind.ROUTING_REASSIGN, deliveries.reassign_delivery(services))
    registry.deliver(OutboxKind.ROUTING_BREACH_NOTICE, deliveries.deliver_breach_notice)
    registry.deliver(OutboxKind.APP_HOME, home_delivery(services))
    if services.settings.team.routing.mode != "assign":
        return  # claim mode: cards post exactly as they always have
    registry.digest_sections.append(partial(digest_section, services))

    async def assign_first(ctx: DeliveryContext, message: OutboxMessage) -> Outcome | None:
        # Before the card is posted, so it shows the assignee from its first moment.
        if message.lead_id is not None:
            await route_lead(services, message.lead_id)
        return None

    async def dm_after_card(session: AsyncSession, message: OutboxMessage) -> None:
        if message.lead_id is not None:
            await queue_first_dm(session, lead_id=message.lead_id, now=services.clock.now())

    async def home_after_update(session: AsyncSession, message: OutboxMessage) -> None:
        # A claim, decision or SLA step changed the lead: its owner's Home shows it.
        lead = await session.get(Lead, message.lead_id) if message.lead_id else None
        if lead is None or lead.routing is None:
            return
        now = services.clock.now()
        await queue_home(session, now=now, user_id=lead.owner_id)
        if lead.state in (LeadState.ACCEPTED, LeadState.REJECTED):
            await queue_home(session, now=now, marketers=True)

    registry.before(OutboxKind.POST_CARD, assign_first)
    registry.after(OutboxKind.POST_CARD, dm_after_card)
    registry.after(OutboxKind.UPDATE_CARD, home_after_update)
