"""Coalesced card redraws: one replica at a time redraws a lead's card, never to an older state.

Every queued card update bumps `leads.card_version` (storage/outbox.py), in the
transaction of the change it is about. A redraw first takes the lead's drawing
lease with a conditional UPDATE, so two replicas never have chat.update calls
for one card in flight at once (a slow call landing after a quicker, newer one
would repaint the older state). Holding the lease, it reads the lead; when the
version it would draw is already on the card, the row is done without a Slack
call: several queued updates of one lead become one chat.update of its latest state.
"""

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import case, or_, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Lead

# Longer than a chat.update takes; a replica that died mid-redraw frees the card after it.
DRAWING_LEASE = timedelta(seconds=30)


class NoRedraw(StrEnum):
    GONE = "gone"  # the lead no longer exists
    BUSY = "busy"  # another replica is redrawing this card now
    UNPOSTED = "unposted"  # the card is not posted yet
    CURRENT = "current"  # the card already shows this version or a newer one


async def start_redraw(
    session: AsyncSession, lead_id: int, *, now: datetime, lease_for: timedelta = DRAWING_LEASE
) -> Lead | NoRedraw:
    """The lead to draw, its drawing lease held by the caller; or why there is nothing to draw."""
    taken = await session.exec(
        update(Lead)
        .where(
            Lead.id == lead_id,
            or_(Lead.card_drawing_until.is_(None), Lead.card_drawing_until < now),
        )
        .values(card_drawing_until=now + lease_for)
        .execution_options(synchronize_session=False)
    )
    lead = await session.get(Lead, lead_id)
    if lead is None:
        return NoRedraw.GONE
    if taken.rowcount != 1:
        return NoRedraw.BUSY
    if not lead.message_ts or not lead.channel_id:
        why = NoRedraw.UNPOSTED
    elif lead.card_drawn_version >= lead.card_version:
        why = NoRedraw.CURRENT
    else:
        return lead
    await end_redraw(session, lead_id)
    return why


async def end_redraw(session: AsyncSession, lead_id: int, *, drew: int | None = None) -> None:
    """Free the drawing lease; `drew` the version now on the card, if the redraw happened."""
    values: dict[str, object] = {"card_drawing_until": None}
    if drew is not None:
        values["card_drawn_version"] = case(
            (Lead.card_drawn_version < drew, drew), else_=Lead.card_drawn_version
        )
    await session.exec(
        update(Lead)
        .where(Lead.id == lead_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
