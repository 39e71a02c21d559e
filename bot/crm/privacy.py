"""A CRM's privacy deletion (HubSpot's `contact.privacyDeletion`) erases the lead here too.

The same erasure as `DELETE /api/leads/{ref}` and `handoff forget` (bot/leads/erasure.py):
the person's data goes, the counts stay, the Slack messages are rewritten.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.leads.erasure import forget
from storage.crm_leads import lead_by_record


async def erase_records(
    session: AsyncSession, provider: str, record_ids: list[str], *, now: datetime
) -> int:
    """Erase the leads stored for these CRM records; returns how many were erased now."""
    erased = 0
    for record_id in record_ids:
        lead = await lead_by_record(session, record_id)
        if lead is None or lead.id is None:
            continue
        event = await forget(
            session, lead.id, now=now, by=provider, why=f"privacy deletion in {provider}"
        )
        erased += event is not None
    return erased
