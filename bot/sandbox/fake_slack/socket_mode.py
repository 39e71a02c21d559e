"""Socket Mode in the fake workspace: tickets, the WebSocket, envelopes, acks and retries.

What Slack documents (docs.slack.dev/apis/events-api/using-socket-mode) and what real
traffic shows (slackapi/python-slack-sdk's test envelopes, bolt-js issue 2487):

- `apps.connections.open` (app-level token) answers `{ok, url}`; the URL carries a
  one-time `ticket`. On connect Slack sends `hello` (`num_connections`, `debug_info`,
  `connection_info.app_id`).
- Everything arrives as an envelope `{envelope_id, type, payload,
  accepts_response_payload}`, `type` one of `events_api`, `interactive`,
  `slash_commands`; `events_api` envelopes also carry `retry_attempt` and
  `retry_reason` (0 and "" on the first delivery).
- The app acks with `{envelope_id}` plus, where the envelope accepts one, a `payload`
  (a slash command's answer, a view submission's `response_action`), within about
  three seconds.
- An unacknowledged Events API envelope is delivered again, at most three more times,
  with `retry_attempt` counting up and `retry_reason: "timeout"`, as a new envelope.
  Slack spaces Events API retries out (at once, then minutes later); the fake retries
  as soon as each ack deadline passes so a test does not wait minutes. Interactive
  payloads and slash commands are not redelivered: the user sees an error instead.
- `{"type": "disconnect", "reason": "refresh_requested" | "warning" | ...}` asks the app
  to open a new connection; the old one gets no new envelopes.

The hub lives on the fake server's event loop; `deliver` may be called from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

ACK_TIMEOUT_SECONDS = 3.0
MAX_EVENT_RETRIES = 3
LINK_PATH = "/link/"
_HOST = "applink-fake-1"


class EnvelopeType(StrEnum):
    EVENTS_API = "events_api"
    INTERACTIVE = "interactive"
    SLASH_COMMANDS = "slash_commands"


@dataclass(frozen=True)
class SentEnvelope:
    """One envelope as it went out, and what became of its ack."""

    envelope_id: str
    type: EnvelopeType
    payload: dict[str, Any]
    retry_attempt: int
    connection_id: str
    acked: bool = False  # an ack arrived in time
    late: bool = False  # no ack in time (or the ack was counted late on purpose)
    ack_payload: dict[str, Any] | None = None


@dataclass(frozen=True)
class SocketConnection:
    id: str
    opened_at: float
    closed: bool = False
    told_to_disconnect: str | None = None  # the reason of the disconnect message sent


@dataclass(frozen=True)
class Ack:
    """The outcome of a delivery: the acked envelope's payload, or no ack in time."""

    acked: bool
    payload: dict[str, Any] | None
    attempts: int


def accepts_response_payload(kind: EnvelopeType, payload: dict[str, Any]) -> bool:
    """Slash commands and view submissions may answer in their ack; clicks and events may not."""
    if kind is EnvelopeType.SLASH_COMMANDS:
        return True
    return kind is EnvelopeType.INTERACTIVE and payload.get("type") == "view_submission"


def websocket_url(base_url: str, ticket: str, app_id: str) -> str:
    """Where `apps.connections.open` sends the app: ws(s):// on this fake's own address."""
    scheme, rest = base_url.split("://", 1)
    ws_scheme = "wss" if scheme == "https" else "ws"
    return f"{ws_scheme}://{rest.rstrip('/')}{LINK_PATH}?ticket={ticket}&app_id={app_id}"


@dataclass
class _Link:
    info: SocketConnection
    socket: WebSocket
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, message: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.socket.send_text(json.dumps(message))


class SocketModeHub:
    """The workspace's Socket Mode side: tickets, open connections, envelopes in flight."""

    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.ack_timeout = ACK_TIMEOUT_SECONDS
        self._lock = threading.Lock()
        self._tickets: set[str] = set()
        self._links: list[_Link] = []
        self._sent: list[SentEnvelope] = []
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._late_acks = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Condition | None = None

    # ------------------------------------------------------------ inspection

    def connections(self) -> list[SocketConnection]:
        with self._lock:
            return [link.info for link in self._links]

    def open_connections(self) -> list[SocketConnection]:
        return [c for c in self.connections() if not c.closed]

    def envelopes(self, kind: EnvelopeType | None = None) -> list[SentEnvelope]:
        with self._lock:
            return [e for e in self._sent if kind is None or e.type is kind]

    # -------------------------------------------------------------- controls

    def issue_ticket(self) -> str:
        ticket = secrets.token_urlsafe(12)
        with self._lock:
            self._tickets.add(ticket)
        return ticket

    def count_next_acks_as_late(self, count: int = 1) -> None:
        """The next `count` acks arrive after Slack stopped waiting (as if the app was slow)."""
        with self._lock:
            self._late_acks += count

    def disconnect(self, reason: str = "refresh_requested", timeout: float = 5.0) -> None:
        """Send `disconnect` on every open connection, as Slack does before it refreshes one."""
        self._run(self._disconnect(reason), timeout)

    def deliver(self, kind: EnvelopeType, payload: dict[str, Any], timeout: float = 30) -> Ack:
        """Send `payload` to the app and wait for its ack (from any thread but the hub's)."""
        return self._run(self._deliver(kind, payload), timeout)

    async def adeliver(self, kind: EnvelopeType, payload: dict[str, Any]) -> Ack:
        loop = self._require_loop()
        future = asyncio.run_coroutine_threadsafe(self._deliver(kind, payload), loop)
        return await asyncio.wrap_future(future)

    # ----------------------------------------------------------- the socket

    async def serve(self, websocket: WebSocket) -> None:
        """One app connection: check the ticket, say hello, then read acks until it closes."""
        self._bind_loop()
        ticket = websocket.query_params.get("ticket", "")
        with self._lock:
            known = ticket in self._tickets
            self._tickets.discard(ticket)  # a ticket opens one connection
        if not known:
            await websocket.close(code=1008, reason="invalid ticket")
            return
        await websocket.accept()
        link = _Link(SocketConnection(id=uuid.uuid4().hex[:8], opened_at=time.time()), websocket)
        with self._lock:
            self._links.append(link)
            count = sum(not item.info.closed for item in self._links)
        await link.send(
            {
                "type": "hello",
                "num_connections": count,
                "debug_info": {
                    "host": _HOST,
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )
        await self._notify()
        try:
            while True:
                self._take_ack(await websocket.receive_text())
        except WebSocketDisconnect:
            pass
        finally:
            with self._lock:
                link.info = replace(link.info, closed=True)
            await self._notify()

    def _take_ack(self, text: str) -> None:
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            return  # Slack ignores what it cannot read; the envelope then times out
        future = self._pending.get(message.get("envelope_id") if isinstance(message, dict) else "")
        if future is None or future.done():
            return
        with self._lock:
            if self._late_acks:
                self._late_acks -= 1
                return
        future.set_result(message)

    # ---------------------------------------------------------- deliveries

    async def _deliver(self, kind: EnvelopeType, payload: dict[str, Any]) -> Ack:
        attempts = MAX_EVENT_RETRIES + 1 if kind is EnvelopeType.EVENTS_API else 1
        accepts = accepts_response_payload(kind, payload)
        for attempt in range(attempts):
            link = await self._next_link()
            envelope: dict[str, Any] = {
                "envelope_id": str(uuid.uuid4()),
                "type": str(kind),
                "payload": payload,
                "accepts_response_payload": accepts,
            }
            if kind is EnvelopeType.EVENTS_API:
                envelope["retry_attempt"] = attempt
                envelope["retry_reason"] = "timeout" if attempt else ""
            answer = await self._send_and_wait(link, envelope, kind, attempt)
            if answer is not None:
                return Ack(True, answer.get("payload") if accepts else None, attempt + 1)
        return Ack(False, None, attempts)

    async def _send_and_wait(
        self, link: _Link | None, envelope: dict[str, Any], kind: EnvelopeType, attempt: int
    ) -> dict[str, Any] | None:
        envelope_id = envelope["envelope_id"]
        record = SentEnvelope(
            envelope_id, kind, envelope["payload"], attempt, link.info.id if link else ""
        )
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[envelope_id] = future
        try:
            if link is not None:
                with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                    await link.send(envelope)
            answer = await asyncio.wait_for(future, self.ack_timeout)
            record = replace(record, acked=True, ack_payload=answer.get("payload"))
            return answer
        except TimeoutError:
            record = replace(record, late=True)
            return None
        finally:
            self._pending.pop(envelope_id, None)
            with self._lock:
                self._sent.append(record)

    async def _next_link(self) -> _Link | None:
        """The newest connection not told to go; waits one ack window for a reconnecting app."""
        assert self._ready is not None

        def usable() -> _Link | None:
            with self._lock:
                live = [
                    link
                    for link in self._links
                    if not link.info.closed and link.info.told_to_disconnect is None
                ]
            return live[-1] if live else None

        async with self._ready:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait_for(usable), self.ack_timeout)
        return usable()

    async def _disconnect(self, reason: str) -> None:
        with self._lock:
            targets = [link for link in self._links if not link.info.closed]
            for link in targets:
                link.info = replace(link.info, told_to_disconnect=reason)
        for link in targets:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await link.send(
                    {"type": "disconnect", "reason": reason, "debug_info": {"host": _HOST}}
                )

    # -------------------------------------------------------------- plumbing

    def _bind_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._ready = loop, asyncio.Condition()

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("no app has connected over Socket Mode yet")
        return self._loop

    async def _notify(self) -> None:
        assert self._ready is not None
        async with self._ready:
            self._ready.notify_all()

    def _run(self, coroutine: Any, timeout: float) -> Any:
        try:
            loop = self._require_loop()
        except RuntimeError:
            coroutine.close()
            raise
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)
