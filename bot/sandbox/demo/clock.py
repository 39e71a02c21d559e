"""The demo's clock: real time plus what the visitor fast-forwarded."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from bot.timekeeping.clock import ManualClock


class DemoTime:
    """The bot's clock in the demo: real time plus what the visitor fast-forwarded.

    The fake workspace stamps messages with real time; `at` maps such a moment to the
    demo time it was then, so the page shows each message at the bot's time.
    """

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        # (real epoch from which, seconds ahead of real time), oldest first.
        self._shifts: list[tuple[float, float]] = [(0.0, 0.0)]

    @property
    def version(self) -> int:
        return len(self._shifts) - 1

    @property
    def offset(self) -> float:
        return self._shifts[-1][1]

    def now(self) -> datetime:
        return self.clock.now()

    def fast_forward(self, delta: timedelta) -> datetime:
        now = self.clock.advance(delta)
        self._shifts.append((time.time(), self.offset + delta.total_seconds()))
        return now

    def at(self, real_epoch: float) -> float:
        """The demo time (epoch seconds) at real moment `real_epoch`."""
        offset = 0.0
        for since, shift in self._shifts:
            if since > real_epoch:
                break
            offset = shift
        return real_epoch + offset
