"""The demo server (`handoff demo` minus the command line) on a free port, in a thread,
and what the browser tests need around it: Chromium, a visitor's tab, axe-core.

Like tests.harness.BotServer, the server gets its own event loop so that a test talks
to it over HTTP the way the page does.

The browser tests need /usr/bin/chromium (`apt-get install chromium`), and the
accessibility checks npm (axe-core is installed from the npm registry into a cache on
first use). Without them those tests are skipped, except where
HANDOFF_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import select

from bot.sandbox.demo import Demo, build_demo, listening_socket, serve_demo
from bot.sandbox.fake_slack import Message
from storage.models import Lead
from tests.harness import wait_for

LEADS, MARKETING, ALIGNMENT = "C0LEADS", "C0MKTG", "C0ALIGN"
ANA, BEN, MARIA, MARK = "U0REP1", "U0REP2", "U0MGR", "U0MKT"
BERLIN = ZoneInfo("Europe/Berlin")
# Sunday 1 February 2026, 07:00 in Berlin: the next day is digest day (Monday 09:00) and
# the first business day of February, when the month's survey opens (10:00).
SUNDAY_MORNING = datetime(2026, 2, 1, 7, 0, tzinfo=BERLIN).astimezone(UTC)
# Wednesday 11 February 2026, 10:30 in Berlin: no digest or survey falls due for days.
# The default start, so no test depends on the day it runs (a real "now" on the first
# business day of a month would open the survey and DM the reps mid-test).
QUIET_MORNING = datetime(2026, 2, 11, 10, 30, tzinfo=BERLIN).astimezone(UTC)


class DemoServer:
    def __init__(
        self,
        database_url: str,
        *,
        config_path: str | Path | None = None,
        start: datetime = QUIET_MORNING,
        crm: str | None = None,
    ) -> None:
        self._sock = listening_socket("127.0.0.1", 0)
        self.port = self._sock.getsockname()[1]
        self.database_url = database_url
        self.demo: Demo = build_demo(
            database_url, port=self.port, config_path=config_path, start=start, crm=crm
        )
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
        # A fast-forward walks every stop and renders the digest's chart: generous on a
        # busy machine (this is how long to wait, not a speed requirement).
        return httpx.post(f"{self.url}/demo/api/{path}", json=body, timeout=60)

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


# ------------------------------------------------------------------------- browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_BROWSER = os.environ.get("HANDOFF_REQUIRE_BROWSER") == "1"
TIMEOUT_MS = 10_000


def no_browser(reason: str) -> None:
    """Skip, or fail where CI requires the browser tests."""
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason}; HANDOFF_REQUIRE_BROWSER=1 requires the browser tests", False)
    pytest.skip(reason)


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright, for one test module."""
    if not CHROMIUM.exists():
        no_browser(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        no_browser("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        except Error as exc:
            no_browser(f"Chromium at {CHROMIUM} did not start: {exc}")
        yield browser
        browser.close()


@dataclass
class Visitor:
    """One browser tab on the demo, with everything the page did that a test must see."""

    page: Any
    demo: DemoServer
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, user: str) -> None:
        self.page.goto(f"{self.demo.url}/?as={user}")
        self.expect(self.page.locator("body")).to_have_attribute("data-as", user)

    def act_as(self, user: str) -> None:
        self.page.select_option("#as", user)
        self.expect(self.page.locator("body")).to_have_attribute("data-as", user)

    def message(self, ts: str) -> Any:
        return self.page.locator(f'#messages .msg[data-ts="{ts}"]')

    def ephemerals(self) -> Any:
        return self.page.locator("#messages .msg.ephemeral")

    def cards(self) -> Any:
        return self.page.locator("#messages .msg:not(.ephemeral)")

    def focused(self, selector: str) -> bool:
        """Whether the element with the keyboard focus matches `selector` (or is inside it)."""
        return self.page.evaluate(
            "(s) => !!document.activeElement && !!document.activeElement.closest(s)", selector
        )

    @staticmethod
    def expect(locator: Any) -> Any:
        from playwright.sync_api import expect

        return expect(locator)


@contextmanager
def visiting(
    browser: Any, demo: DemoServer, *, width: int = 1400, height: int = 900, axe: bool = False
) -> Iterator[Visitor]:
    """A fresh tab (and storage) on `demo`; fails the test if the page threw.

    axe=True lets Playwright inject axe-core's script despite the page's
    Content-Security-Policy (script-src 'self'); the other tests keep the policy.
    """
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=axe)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    seen = Visitor(page=page, demo=demo)

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    try:
        yield seen
    finally:
        context.close()
    assert seen.errors == [], "the page threw JavaScript errors"


def box(locator: Any) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not rendered"
    return found


def inside(inner: dict[str, float], outer: dict[str, float], slack: float = 0.5) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


# ------------------------------------------------------------------------ axe-core

# axe-core runs in the page; it is an npm package, installed on first use into a cache
# outside the repository (so neither node_modules nor its 650 kB script is committed).
AXE_VERSION = "4.14.1"
AXE_IMPACTS_THAT_FAIL = ("serious", "critical")


def axe_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "handoff-tests" / f"axe-core-{AXE_VERSION}"


def axe_script() -> Path:
    """axe.min.js of AXE_VERSION, installed with `npm install --no-save` if missing."""
    folder = axe_cache()
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        no_browser("npm is missing, so axe-core can't be installed (apt-get install npm)")
    folder.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund"]
    done = subprocess.run(
        [*command, "--prefix", str(folder), f"axe-core@{AXE_VERSION}"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0 or not script.exists():
        no_browser(f"npm install axe-core@{AXE_VERSION} failed: {done.stderr.strip()[-400:]}")
    return script


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


def axe_violations(page: Any, script: Path) -> list[dict[str, Any]]:
    """Every axe violation on the page as it is now (the tab must bypass the CSP)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(script))
    return page.evaluate(AXE_RUN)


def serious(violations: list[dict[str, Any]]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][:3]}"
        for v in violations
        if v["impact"] in AXE_IMPACTS_THAT_FAIL
    ]
