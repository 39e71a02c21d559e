"""Client-side pacing under a CRM's rate limits, so a burst of writes waits instead of failing.

A 429 still happens when other apps share the portal's limit; `pause` then holds
every caller of this process for the Retry-After the CRM asked for, as the channel
pacer does for Slack.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque


class TooSoon(Exception):
    """The next call would have to wait longer than the caller allows."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the next call fits in {seconds:.1f}s")
        self.seconds = seconds


class Throttle:
    """At most `limit` calls in any `window` seconds within this process."""

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a throttle needs at least one call per positive window")
        self.limit = limit
        self.window = window
        self._hits: deque[float] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def wait(self, max_wait: float) -> None:
        """Return when one more call fits (callers are served in order).

        Raises TooSoon rather than wait longer than `max_wait`: an outbox delivery then
        gives its worker back and is retried at that moment, instead of holding a slot
        that a Slack message could use.
        """
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._hits and now - self._hits[0] >= self.window:
                    self._hits.popleft()
                delay = self._paused_until - now
                if len(self._hits) >= self.limit:
                    delay = max(delay, self.window - (now - self._hits[0]))
                if delay <= 0:
                    self._hits.append(now)
                    return
                if delay > max_wait:
                    raise TooSoon(delay)
                await asyncio.sleep(delay)

    def pause(self, seconds: float) -> None:
        """Hold every caller for `seconds` (after the CRM answered 429)."""
        self._paused_until = max(self._paused_until, time.monotonic() + max(seconds, 0.0))
