"""The bot's notion of now.

Everything that compares against deadlines takes a Clock instead of calling
datetime.now(), so tests and the demo's fast-forward can move time without
sleeping or patching.
"""

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (tests) or runs offset from real time (demo)."""

    def __init__(self, start: datetime | None = None, *, running: bool = False) -> None:
        self._lock = threading.Lock()
        self._running = running
        self._anchor_real = datetime.now(UTC)
        self._anchor = start.astimezone(UTC) if start else self._anchor_real

    def now(self) -> datetime:
        with self._lock:
            if self._running:
                return self._anchor + (datetime.now(UTC) - self._anchor_real)
            return self._anchor

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._anchor += delta
            return (
                self._anchor
                if not self._running
                else self._anchor + (datetime.now(UTC) - self._anchor_real)
            )

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._anchor = moment.astimezone(UTC)
            self._anchor_real = datetime.now(UTC)
