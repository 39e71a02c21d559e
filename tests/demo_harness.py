"""The demo server (`handoff demo` minus the command line) on a free port, in a thread.

Like tests.harness.BotServer, it gets its own event loop so that a test talks to it
over HTTP the way the page does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import select

from bot.sandbox.demo import Demo, build_demo, listening_socket, serve_demo
from bot.sandbox.fake_slack import Message
from storage.models import Lead
from tests.harness import wait_for

LEADS, MARKETING = "C0LEADS", "C0MKTG"
ANA, BEN, MARIA, MARK = "U0REP1", "U0REP2", "U0MGR", "U0MKT"


class DemoServer:
    def __init__(
        self, database_url: str, *, config_path: str | Path | None = None, crm: str | None = None
    ) -> None:
        self._sock = listening_socket("127.0.0.1", 0)
        self.port = self._sock.getsockname()[1]
        self.database_url = database_url
        self.demo: Demo = build_demo(database_url, port=self.port, config_path=config_path, crm=crm)
        self.url = self.demo.url
        self.workspace = self.demo.workspace
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> DemoServer:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(serve_demo(self.demo, self._sock, on_ready=ready.set))
                loop.run_until_complete(self.demo.services.db.dispose())
            except BaseException as exc:  # reported to the test by __enter__
                failure.append(exc)
            finally:
                ready.set()
                loop.close()

        self._thread = threading.Thread(target=run, name=f"demo-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(15)
        if failure:
            raise failure[0]
        wait_for(lambda: self.demo.services.slack.auth_ok, what="the bot's auth.test")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.demo.server is not None:
            self.demo.server.should_exit = True
        if self._thread is not None:
            self._thread.join(20)
        self._sock.close()

    def call(self, coroutine_factory: Callable[[], Any]) -> Any:
        """Run a coroutine on the demo's loop."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine_factory(), self._loop).result(15)

    def lead_states(self) -> list[str]:
        """The stored leads' states, read through the demo's own database engine (usable
        where the test's thread already runs an event loop, as Playwright's does)."""

        async def read() -> list[str]:
            async with self.demo.services.db.session() as session:
                leads = await session.exec(select(Lead).order_by(Lead.id))
                return [lead.state for lead in leads.all()]

        return self.call(read)

    # ------------------------------------------------------------ the page's API

    def state(self, user: str) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/demo/api/state", params={"as": user}, timeout=10)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{self.url}/demo/api/{path}", json=body, timeout=15)

    def send_lead(self, index: int | None = None) -> dict[str, Any]:
        response = self.post("lead", {} if index is None else {"index": index})
        assert response.status_code == 200, response.text
        return response.json()

    # -------------------------------------------------------------- inspection

    def cards(self) -> list[Message]:
        return [m for m in self.workspace.messages(LEADS) if m.blocks]

    def wait_for_cards(self, count: int) -> list[Message]:
        return wait_for(
            lambda: self.cards() if len(self.cards()) >= count else None,
            what=f"{count} cards in #sales-leads",
        )

    def card_saying(self, ts: str, fragment: str) -> Message:
        def check() -> Message | None:
            message = self.workspace.message(LEADS, ts)
            return message if message and fragment in repr(message.blocks) else None

        return wait_for(check, what=f"card {ts} saying {fragment!r}")


def ephemeral_texts(state: dict[str, Any], channel: str = LEADS) -> list[str]:
    return [m["text"] for m in state["messages"][channel] if m["ephemeral"]]
