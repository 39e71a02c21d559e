"""Who is away (`/handoff away`, the App Home toggle): skipped by every pool until back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.routing import upsert
from storage.routing_models import RepAway


async def away_users(session: AsyncSession, user_ids: Iterable[str], now: datetime) -> set[str]:
    rows = await session.exec(
        select(RepAway.user_id).where(
            col(RepAway.user_id).in_(list(user_ids)),
            (col(RepAway.until).is_(None)) | (col(RepAway.until) > now),
        )
    )
    return set(rows.all())


async def set_away(
    session: AsyncSession, *, user_id: str, now: datetime, until: datetime | None
) -> None:
    await upsert(session, RepAway, {"user_id": user_id, "since": now, "until": until}, ["user_id"])


async def away_until(session: AsyncSession, *, user_id: str, now: datetime) -> RepAway | None:
    """The rep's away spell if it is still on."""
    away = await session.get(RepAway, user_id, populate_existing=True)
    if away is None or (away.until is not None and away.until <= now):
        return None
    return away


async def set_back(session: AsyncSession, *, user_id: str) -> bool:
    """End an away spell; False when the rep was not away."""
    away = await session.get(RepAway, user_id)
    if away is None:
        return False
    await session.delete(away)
    return True
