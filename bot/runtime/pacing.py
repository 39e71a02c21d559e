"""Slack allows about one message a second per channel; this spaces our posts accordingly.

The spacing is shared by every replica on the store (storage/pacing.py): a post
takes the channel's slot with a conditional UPDATE, and a 429 moves the slot past
its Retry-After for all of them. Within one process, the tasks posting to one
channel queue on a lock first, so only one of them asks the store at a time.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from storage import pacing
from storage.database import Database

# Seconds between posts to one channel: Slack's documented "about one a second".
INTERVAL = 1.0
# How many posts may go at once before the spacing applies. Slack allows "short
# bursts"; we spend none of them by default, so the replicas' clocks and the
# network's jitter have the whole burst as their margin.
BURST = 1
# How long before its moment a slot may be taken (see storage/pacing.py's take_slot).
AHEAD = 0.5
# The longest nap before asking the store again (a pause may be lifted by hand).
MAX_NAP = 5.0


class ChannelPacer:
    """Per-channel spacing and pauses (after a 429), shared through the store."""

    def __init__(
        self,
        db: Database,
        interval: float = INTERVAL,
        *,
        burst: int = BURST,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.interval = interval
        self.burst = burst
        self._now = now
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @asynccontextmanager
    async def slot(self, channel: str) -> AsyncIterator[None]:
        """Wait for the channel's slot, take it, then post inside the block."""
        async with self._locks[channel]:
            # Polls rather than waits on an event: the slot is freed by another replica.
            while True:
                taken, when = await self._take(channel)
                if taken:
                    break
                await asyncio.sleep(min(max(0.0, when - self._now()), MAX_NAP))
        # Taken up to AHEAD early: the post goes out at its moment, not a round trip late.
        if (wait := when - self._now()) > 0:
            await asyncio.sleep(wait)
        yield

    async def _take(self, channel: str) -> tuple[bool, float]:
        tolerance = max(0, self.burst - 1) * self.interval
        async with self.db.session() as session:
            return await pacing.take_slot(
                session,
                channel,
                now=self._now(),
                interval=self.interval,
                tolerance=tolerance,
                ahead=min(AHEAD, self.interval),
            )

    async def pause(self, channel: str, seconds: float) -> None:
        """No replica posts to `channel` for `seconds` (a 429's Retry-After)."""
        async with self.db.session() as session:
            await pacing.hold_until(session, channel, self._now() + seconds)

    async def paused_for(self, channel: str) -> float:
        async with self.db.session() as session:
            free_at = await pacing.free_at(session, channel)
        return max(0.0, free_at - self._now())
