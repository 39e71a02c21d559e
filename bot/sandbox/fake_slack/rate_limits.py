"""Slack's per-channel limit on chat.postMessage: about one message a second, short bursts.

Slack documents it as "1 message per second per channel, with short bursts over 1
allowed", answered beyond with HTTP 429, `{"ok": false, "error": "ratelimited"}` and
a Retry-After header in whole seconds. Off unless a test or benchmark turns it on
(`FakeWorkspace.limit_post_rate`), since most tests post with pacing off.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class PostRateLimit:
    """A generic cell rate: `burst` posts at once, then one every 1/`per_second` seconds."""

    def __init__(
        self,
        per_second: float = 1.0,
        burst: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("per_second must be positive and burst at least 1")
        self.interval = 1.0 / per_second
        self.tolerance = (burst - 1) * self.interval
        self._clock = clock
        self._due: dict[str, float] = {}  # channel -> its theoretical next arrival
        self.refused = 0

    def admit(self, channel: str) -> int | None:
        """None when a post to `channel` may go now (and count it), else Retry-After seconds."""
        now = self._clock()
        due = max(self._due.get(channel, now), now)
        if due - now > self.tolerance:
            self.refused += 1
            return max(1, math.ceil(due - self.tolerance - now))
        self._due[channel] = due + self.interval
        return None
