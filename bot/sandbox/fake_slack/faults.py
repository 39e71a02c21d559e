"""Fault injection for the fake Web API: rate limits, server errors, Slack errors, slowness."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

# What Slack puts in the JSON body next to a given HTTP status.
STATUS_ERRORS = {429: "ratelimited", 500: "internal_error", 502: "bad_gateway"}
DEFAULT_STATUS_ERROR = "service_unavailable"


@dataclass(frozen=True)
class Fault:
    """One injected fault. `remaining` is None for a fault that lasts until cleared."""

    id: int
    method: str | None
    status: int | None
    error: str | None
    retry_after: int | None
    delay: float | None
    channel: str | None
    remaining: int | None
    # The call takes effect at once; only its answer is this late (a timeout that hides
    # whether Slack took the message).
    late_answer: float | None = None

    @property
    def answers(self) -> bool:
        """Whether the fault replaces the real answer (rather than only delaying it)."""
        return self.status is not None or self.error is not None

    def body(self) -> dict[str, object]:
        if self.status is not None and self.status != 200:
            return {"ok": False, "error": self.error or status_error(self.status)}
        return {"ok": False, "error": self.error}

    def headers(self) -> dict[str, str]:
        if self.status == 429:
            return {"Retry-After": str(self.retry_after if self.retry_after is not None else 1)}
        return {}


def status_error(status: int) -> str:
    return STATUS_ERRORS.get(status, DEFAULT_STATUS_ERROR)


class Faults:
    """The workspace's injected faults, consumed in the order they were injected."""

    def __init__(self, lock: threading.RLock, on_change: Callable[[], None]) -> None:
        self._lock = lock
        self._on_change = on_change
        self._faults: list[Fault] = []
        self._next_id = 1

    def inject(
        self,
        method: str | None = None,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: int | None = None,
        delay: float | None = None,
        times: int | None = 1,
        channel: str | None = None,
        late_answer: float | None = None,
    ) -> Fault:
        """Make the next `times` matching calls fail (or all of them, with `times=None`).

        `method=None` matches every Web API method; `channel` only calls about that
        channel (id or `#name`). `status` answers with that HTTP status (429 carries a
        `Retry-After` header of `retry_after` seconds, default 1); `error` answers HTTP 200
        with `{"ok": false, "error": error}`; `delay` waits that many seconds first, and on
        its own lets the real answer through afterwards; `late_answer` lets the call take
        effect at once and holds only its answer back that many seconds.
        """
        if status is None and error is None and delay is None and late_answer is None:
            raise ValueError("a fault needs a status, an error or a delay")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for until cleared")
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            fault = Fault(
                id=self._next_id,
                method=method,
                status=status,
                error=error,
                retry_after=retry_after,
                delay=delay,
                channel=channel,
                remaining=times,
                late_answer=late_answer,
            )
            self._next_id += 1
            self._faults.append(fault)
            self._on_change()
            return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._on_change()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, method: str, channel_matches: Callable[[str], bool]) -> Fault | None:
        """The first fault matching this call, with one use consumed."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.method is not None and fault.method != method:
                    continue
                if fault.channel is not None and not channel_matches(fault.channel):
                    continue
                if fault.remaining is None:
                    return fault
                if fault.remaining <= 1:
                    del self._faults[index]
                else:
                    self._faults[index] = replace(fault, remaining=fault.remaining - 1)
                self._on_change()
                return replace(fault, remaining=fault.remaining - 1)
            return None
