"""What both fake CRMs share: call records, injected faults, and a sliding-window limiter.

Like the fake Slack workspace's `Faults`, a fault matches an endpoint name (or every
endpoint), answers with a status and the vendor's error body, or only delays, and is
used up after `times` matching calls (or lasts until cleared with `times=None`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Call:
    """One request as the fake saw it (the Authorization header is never kept)."""

    endpoint: str
    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int
    at: float  # time.monotonic()


@dataclass(frozen=True)
class Fault:
    """One injected fault. `remaining` is None for a fault that lasts until cleared."""

    id: int
    endpoint: str | None
    status: int | None
    body: Any
    retry_after: float | None
    delay: float | None
    remaining: int | None
    # The request is carried out first and only its answer is lost (a gateway's 502 or a
    # timeout after the CRM wrote): what makes a client's retry a second write.
    after: bool = False

    @property
    def answers(self) -> bool:
        """Whether the fault replaces the real answer (before the request is carried out)."""
        return self.status is not None and not self.after


class Faults:
    """Injected faults, consumed in the order they were injected."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._faults: list[Fault] = []
        self._next_id = 1

    def inject(
        self,
        endpoint: str | None = None,
        *,
        status: int | None = None,
        body: Any = None,
        retry_after: float | None = None,
        delay: float | None = None,
        times: int | None = 1,
        after: bool = False,
    ) -> Fault:
        """Make the next `times` calls to `endpoint` fail (every endpoint if None).

        `status` answers with that HTTP status and `body` (default: the vendor's error
        body for that status); `delay` waits first and, alone, lets the real answer
        through afterwards. `retry_after` adds a Retry-After header. With `after`, the
        request is carried out and then answered with `status` (the answer was lost).
        """
        if after and status is None:
            raise ValueError("a fault after the request needs a status")
        if status is None and delay is None:
            raise ValueError("a fault needs a status or a delay")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for until cleared")
        with self._lock:
            fault = Fault(self._next_id, endpoint, status, body, retry_after, delay, times, after)
            self._next_id += 1
            self._faults.append(fault)
            return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, endpoint: str) -> Fault | None:
        """The first fault matching this endpoint, with one use consumed."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.endpoint is not None and fault.endpoint != endpoint:
                    continue
                if fault.remaining is None:
                    return fault
                if fault.remaining <= 1:
                    del self._faults[index]
                else:
                    self._faults[index] = replace(fault, remaining=fault.remaining - 1)
                return fault
            return None


@dataclass(frozen=True)
class Verdict:
    """A limiter's answer: allowed, and what is left of the window."""

    allowed: bool
    limit: int
    remaining: int
    window_seconds: float
    retry_after: float


class SlidingWindow:
    """At most `limit` requests in any `window_seconds` (a rolling window, in real time)."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("a limit needs at least one request and a positive window")
        self.limit = limit
        self.window_seconds = window_seconds
        self._hits: deque[float] = deque()
        self._lock = threading.Lock()

    def used(self, now: float | None = None) -> int:
        """Requests counted in the current window."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            return sum(1 for hit in self._hits if moment - hit < self.window_seconds)

    def hit(self, now: float | None = None) -> Verdict:
        moment = time.monotonic() if now is None else now
        with self._lock:
            while self._hits and moment - self._hits[0] >= self.window_seconds:
                self._hits.popleft()
            if len(self._hits) >= self.limit:
                wait = self.window_seconds - (moment - self._hits[0])
                return Verdict(False, self.limit, 0, self.window_seconds, max(wait, 0.0))
            self._hits.append(moment)
            remaining = self.limit - len(self._hits)
            return Verdict(True, self.limit, remaining, self.window_seconds, 0.0)


def salesforce_id(prefix: str, number: int) -> str:
    """An 18-character Salesforce id: key prefix, zero-padded counter, case checksum.

    The three checksum characters encode which of the 15 characters are upper case,
    five at a time, as Salesforce does; our ids are digits, so they're always "AAA",
    but the shape (and length) is what matters to code that stores them.
    """
    base = f"{prefix}{number:0{15 - len(prefix)}d}"
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = ""
    for chunk in range(3):
        bits = 0
        for offset, char in enumerate(base[chunk * 5 : chunk * 5 + 5]):
            if char.isupper():
                bits |= 1 << offset
        suffix += alphabet[bits]
    return base + suffix
