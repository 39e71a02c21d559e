"""The lead guarantee: a definition-miss rejection is checked against the lead's stored fit.

If the lead missed a criterion, the rejection is marketing's miss: credited back
to sales (an event records it, and the numbers count it). If it met every
criterion, marketing may dispute the rejection and a named manager decides.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import TeamConfig
from storage.events import record_event
from storage.kinds import EventKind
from storage.models import Lead, LeadEvent


class Guarantee(StrEnum):
    NONE = "none"  # not a definition-miss reason, or no fit stored
    CREDITED = "credited"  # the lead missed a criterion: marketing's miss
    DISPUTABLE = "disputable"  # the lead met every criterion


def guarantee_of(lead: Lead, reason_id: str | None, team: TeamConfig) -> Guarantee:
    reason = team.reason(reason_id) if reason_id else None
    if reason is None or not reason.definition_miss or lead.fit_version is None:
        return Guarantee.NONE
    return Guarantee.CREDITED if lead.fit_missed else Guarantee.DISPUTABLE


async def after_rejection(
    session: AsyncSession, team: TeamConfig, *, lead_id: int, reason_id: str, now: datetime
) -> LeadEvent | None:
    """Credit a definition-miss rejection of a lead below the definition back to sales."""
    lead = await session.get(Lead, lead_id)
    if lead is None or guarantee_of(lead, reason_id, team) is not Guarantee.CREDITED:
        return None
    return await record_event(
        session,
        lead_id=lead_id,
        kind=EventKind.CREDITED_BACK,
        at=now,
        detail={"reason": reason_id, "misses": (lead.fit or {}).get("misses", [])},
    )
