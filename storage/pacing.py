"""Per-channel pacing shared by every replica: one row per channel, taken by a conditional UPDATE.

Slack allows about one message a second per channel. Each replica pacing itself
would let N replicas post N times too fast, so the channel's next free moment is a
row in the store. A post takes the slot with one UPDATE whose condition is "the
slot is free now"; its row count says who got it. A 429's Retry-After moves the
same moment forward, so the pause holds for every replica.

Moments are Unix seconds (a float): the arithmetic is then the same plain SQL on
SQLite and PostgreSQL, and the replicas' wall clocks are what Slack's limit runs on.
"""

from sqlalchemy import case, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession


class ChannelSlot(SQLModel, table=True):
    """When the channel may next be posted to (Unix seconds)."""

    __tablename__ = "channel_slots"

    channel: str = Field(primary_key=True, max_length=100)
    free_at: float = Field(default=0.0, nullable=False)


async def take_slot(
    session: AsyncSession,
    channel: str,
    *,
    now: float,
    interval: float,
    tolerance: float = 0.0,
    ahead: float = 0.0,
) -> tuple[bool, float]:
    """Take the channel's next slot; (True, when to post) or (False, when to ask again).

    `tolerance` lets a post go that much before its slot (a burst): with an interval
    of 1 s and a tolerance of 2 s, three posts may go at once, then one a second.
    `ahead` lets a slot be taken that much before it comes, so that the store's round
    trip is not spent out of the channel's budget: the taker waits for the moment.
    """
    later = case((ChannelSlot.free_at > now, ChannelSlot.free_at), else_=now) + interval
    taken = (
        await session.exec(
            update(ChannelSlot)
            .where(ChannelSlot.channel == channel, ChannelSlot.free_at <= now + tolerance + ahead)
            .values(free_at=later)
            .returning(ChannelSlot.free_at)
        )
    ).first()
    if taken is not None:
        return True, max(now, taken[0] - interval - tolerance)
    free_at = (
        await session.exec(select(ChannelSlot.free_at).where(ChannelSlot.channel == channel))
    ).first()
    if free_at is None:
        await _add_channel(session, channel)
        return False, now
    return False, free_at - tolerance - ahead


async def hold_until(session: AsyncSession, channel: str, until: float) -> None:
    """No post to the channel before `until` (a 429's Retry-After), for every replica."""
    await _add_channel(session, channel)
    await session.exec(
        update(ChannelSlot)
        .where(ChannelSlot.channel == channel, ChannelSlot.free_at < until)
        .values(free_at=until)
    )


async def free_at(session: AsyncSession, channel: str) -> float:
    found = (
        await session.exec(select(ChannelSlot.free_at).where(ChannelSlot.channel == channel))
    ).first()
    return found or 0.0


async def _add_channel(session: AsyncSession, channel: str) -> None:
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    await session.exec(
        insert(ChannelSlot)
        .values(channel=channel, free_at=0.0)
        .on_conflict_do_nothing(index_elements=["channel"])
    )
