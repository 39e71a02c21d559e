"""Slack allows about one message a second per channel; this spaces our posts accordingly."""

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ChannelPacer:
    """Per-channel spacing and pauses (after a 429), within one process.

    Several replicas each pace themselves; Slack's 429 answers, which the
    outbox honours, cover what they add up to.
    """

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._free_at: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, channel: str) -> AsyncIterator[None]:
        async with self._locks[channel]:
            wait = self._free_at.get(channel, 0.0) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._free_at[channel] = max(
                    self._free_at.get(channel, 0.0), time.monotonic() + self.interval
                )

    def pause(self, channel: str, seconds: float) -> None:
        self._free_at[channel] = max(self._free_at.get(channel, 0.0), time.monotonic() + seconds)

    def paused_for(self, channel: str) -> float:
        return max(0.0, self._free_at.get(channel, 0.0) - time.monotonic())
