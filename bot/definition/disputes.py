"""Disputes of definition-miss rejections: who may open and decide them, in one unit of work each.

A marketer (or admin) disputes the rejection of a lead that met every criterion;
only the managers named in `mql_definition.managers` (else the admins) decide.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.definition.guarantee import Guarantee, guarantee_of
from bot.definition.people import is_manager, is_marketer, managers
from bot.runtime.services import Services
from bot.sla.policy import restart_clock
from messages.metadata import DisputeModalMetadata, RejectionRef
from storage.definition_disputes import check_disputable, decide_dispute, open_dispute
from storage.definition_models import DefinitionDispute
from storage.definition_review import DefinitionRefused
from storage.models import Lead
from storage.sla import ClockRestart


async def check_dispute(services: Services, ref: RejectionRef, user_id: str) -> tuple[Lead, str]:
    """The lead and the reason's label, if this person may dispute this rejection now."""
    if not await is_marketer(services, user_id):
        raise DefinitionRefused(DefinitionRefused.NOT_A_MARKETER)
    team = services.settings.team
    async with services.db.session() as session:
        lead = await check_disputable(session, lead_id=ref.lead_id, event_id=ref.event_id)
        session.expunge(lead)
    if guarantee_of(lead, lead.rejection_reason, team) is not Guarantee.DISPUTABLE:
        raise DefinitionRefused(DefinitionRefused.NOT_DISPUTABLE)
    return lead, team.reason_label(lead.rejection_reason)


async def open_and_ask(
    services: Services, metadata: DisputeModalMetadata, user_id: str, explanation: str
) -> None:
    """Store the dispute; each manager gets it in a DM, the notice's thread hears of it."""
    ref = RejectionRef(lead_id=metadata.lead_id, event_id=metadata.event_id)
    await check_dispute(services, ref, user_id)
    deciders = sorted(await services.directory.members(managers(services)))
    async with services.db.session() as session:
        await open_dispute(
            session,
            lead_id=metadata.lead_id,
            event_id=metadata.event_id,
            user_id=user_id,
            explanation=explanation,
            notice=(metadata.channel_id, metadata.ts),
            managers=deciders,
            now=services.clock.now(),
        )


async def decide(services: Services, dispute_id: int, user_id: str, *, overturn: bool) -> None:
    if not await is_manager(services, user_id):
        raise DefinitionRefused(DefinitionRefused.NOT_A_MANAGER)
    now = services.clock.now()
    async with services.db.session() as session:
        clock = None
        if overturn:
            clock = await _clock_after_overturn(session, services, dispute_id, now)
        await decide_dispute(
            session, dispute_id=dispute_id, user_id=user_id, now=now, overturn=clock
        )


async def _clock_after_overturn(
    session: AsyncSession, services: Services, dispute_id: int, now: datetime
) -> ClockRestart:
    """An overturned lead is work handed back to sales: the whole response window of its
    policy (its routing tier's, in assign mode) from the moment of the overturn."""
    dispute = await session.get(DefinitionDispute, dispute_id)
    lead = await session.get(Lead, dispute.lead_id) if dispute else None
    if lead is None:
        raise DefinitionRefused(DefinitionRefused.NO_LONGER_REJECTED)
    return restart_clock(now, services.settings.team, lead.routing_tier)
