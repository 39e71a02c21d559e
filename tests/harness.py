"""Running the real bot on a real port, in a thread with its own event loop.

The bot gets its own loop so that tests (sync or async) talk to it over HTTP
exactly as Slack and marketing automation do, and so that a test can stop it
and start a fresh one on the same database (a restart).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn

from bot.app import HandoffApp, create_app
from bot.settings import Settings
from bot.timekeeping.clock import Clock
from storage.database import Database
from storage.outbox import in_flight


class BotServer:
    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.handoff: HandoffApp | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> BotServer:
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                db = Database(self.settings.database_url)
                self.handoff = create_app(self.settings, db=db, clock=self.clock)
                config = uvicorn.Config(self.handoff.http, log_level="warning", lifespan="on")
                self._server = uvicorn.Server(config)
                self._server.config.install_signal_handlers = False  # type: ignore[attr-defined]
                ready.set()
                loop.run_until_complete(self._server.serve(sockets=[self._sock]))
                loop.run_until_complete(db.dispose())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
            finally:
                loop.close()

        self._thread = threading.Thread(target=serve, name=f"bot-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        deadline = time.monotonic() + 10
        while not (self._server and self._server.started):
            if time.monotonic() > deadline:
                raise RuntimeError("bot server did not start")
            time.sleep(0.01)
        if self.settings.socket_mode:
            wait_for(lambda: self.socket_state == "connected", what="Socket Mode's hello")
        return self

    @property
    def socket_state(self) -> str | None:
        """The bot's Socket Mode connection as /healthz reports it (None over HTTP)."""
        return self.handoff.services.slack.socket if self.handoff else None

    def __exit__(self, *exc: Any) -> None:
        if self._server:
            self._server.should_exit = True
        if self._thread:
            self._thread.join(20)

    def call(self, coroutine_factory: Callable[[], Any], *, timeout: float = 10) -> Any:
        """Run a coroutine on the bot's own loop (e.g. to read its in-memory state)."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(coroutine_factory(), self._loop)
        return future.result(timeout)

    def drain(self, *, rounds: int = 200) -> int:
        """Deliver every outbox row that is due, on the bot's own loop, until none is left.

        Returns how many attempts it made. Tests call this instead of sleeping to
        show that "nothing more happened": once it returns, whatever the bot was
        going to post by now has been posted, and the rows say what became of it.
        """
        assert self.handoff is not None
        services = self.handoff.services

        async def busy() -> int:
            async with services.db.session() as session:
                return await in_flight(session, now=services.clock.now())

        attempted = 0
        for _ in range(rounds):
            # A pass posts up to ten rows, paced to a second each in one channel.
            done = self.call(services.outbox.drain_once, timeout=60)
            attempted += done
            # Rows the bot's own worker took a moment ago are still on their way.
            if done == 0 and self.call(busy) == 0:
                return attempted
            if done == 0:
                time.sleep(0.02)
        raise AssertionError(f"the outbox was still busy after {rounds} rounds")

    def post_leads(self, body: Any, *, token: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {token or self.settings.intake_token.get_secret_value()}"
        }  # type: ignore[union-attr]
        headers.update(kwargs.pop("headers", {}))
        return httpx.post(f"{self.url}/api/leads", json=body, headers=headers, timeout=10, **kwargs)


def wait_for(
    predicate: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition"
) -> Any:
    """Poll until predicate() is truthy; the bot works asynchronously after each request."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
