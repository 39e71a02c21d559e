"""Time to first touch: the CRM's first sales activity after the card (a claim is not a
contact; published lead-response studies measure contact)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.feedback.metrics.definitions import MEDIAN, P90, arrived, duration_percentiles
from storage.crm_models import FIRST_TOUCH_SECONDS, HAS_FIRST_TOUCH
from storage.models import Lead


@dataclass(frozen=True)
class FirstTouch:
    touched: int = 0  # leads of the period with a first touch
    median: float | None = None  # seconds
    p90: float | None = None


def touched_count(start: datetime, end: datetime, source: str | None = None) -> Any:
    """How many of the period's leads have a first touch (ix_leads_first_touch_cohort)."""
    return (
        select(func.count()).select_from(Lead).where(HAS_FIRST_TOUCH, *arrived(start, end, source))
    )


async def first_touch(
    session: AsyncSession, start: datetime, end: datetime, *, source: str | None = None
) -> FirstTouch:
    """Median and p90 of time to first touch over the period's touched leads."""
    count = (await session.exec(touched_count(start, end, source))).one()
    if not count:
        return FirstTouch()
    found = await duration_percentiles(
        session, FIRST_TOUCH_SECONDS, HAS_FIRST_TOUCH, start, end, source, int(count)
    )
    return FirstTouch(int(count), found[MEDIAN], found[P90])
