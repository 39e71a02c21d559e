"""Composing the demo: the real bot, the fake workspace mounted beside it, the page.

The bot is built by the same `create_app` as `handoff run`. It reaches the fake
workspace over real HTTP on the same port (`/fake-slack/api/`), and the page's clicks
reach the bot as signed requests to `/slack/events`, so nothing in the loop is
short-circuited for the demo. Only the clock differs: it runs in real time and the
visitor can move it forward.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import uvicorn
from starlette.routing import Mount

from bot.app import create_app
from bot.sandbox.fake_slack import FakeWorkspace, InteractionSender, create_fake_slack_app
from bot.timekeeping.clock import ManualClock

from .clock import DemoTime
from .context import Demo
from .crm import build_demo_crm
from .routes import demo_routes
from .samples import SampleFeeder
from .team import DEMO_BOT_TOKEN, DEMO_INTAKE_TOKEN, DEMO_SIGNING_SECRET, demo_settings, demo_team

logger = logging.getLogger(__name__)
FAKE_SLACK_PREFIX = "/fake-slack"
DEFAULT_HOST = "127.0.0.1"


def build_demo(
    database_url: str,
    *,
    port: int,
    host: str = DEFAULT_HOST,
    config_path: str | Path | None = None,
    start: datetime | None = None,
    crm: str | None = None,
) -> Demo:
    """The demo app for a server on host:port (bind the socket first; see listening_socket).

    The bot's clock runs in real time from now, or from `start` (tests pick a weekday).
    `crm` ("hubspot" or "salesforce") connects the bot to a fake CRM on the same port.
    """
    url = f"http://{host}:{port}"
    fake_url = url + FAKE_SLACK_PREFIX
    workspace = FakeWorkspace.seeded(bot_token=DEMO_BOT_TOKEN)
    fake_slack = create_fake_slack_app(workspace, public_url=fake_url)
    team = demo_team(config_path, workspace)
    settings = demo_settings(
        team.team, database_url=database_url, api_url=f"{fake_url}/api/", port=port
    )
    clock = ManualClock(start, running=True)
    demo_crm, crm_routes = None, []
    if crm is not None:
        demo_crm, crm_routes = build_demo_crm(crm, base_url=url, clock=clock, workspace=workspace)
        settings = demo_crm.settings(settings)
    demo = Demo(
        url=url,
        workspace=workspace,
        time=DemoTime(clock),
        sender=InteractionSender(
            workspace,
            bot_url=url,
            signing_secret=DEMO_SIGNING_SECRET,
            response_base_url=fake_url,
        ),
        samples=SampleFeeder(f"{url}/api/leads", DEMO_INTAKE_TOKEN),
        team_source=team.source,
        crm=demo_crm,
    )
    demo.handoff = create_app(
        settings,
        clock=clock,
        extra_routes=[Mount(FAKE_SLACK_PREFIX, app=fake_slack), *crm_routes, *demo_routes(demo)],
    )
    return demo


def listening_socket(host: str, port: int) -> socket.socket:
    """Bound and listening before the app starts, so the bot's first calls to the fake
    workspace (auth.test at start-up) queue instead of being refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


async def serve_demo(
    demo: Demo,
    sock: socket.socket,
    *,
    leads: int = 0,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve until stopped (Ctrl-C, or `demo.server.should_exit = True`)."""
    config = uvicorn.Config(
        demo.handoff.http,
        lifespan="on",
        log_level="warning",
        access_log=False,
        # The page's event stream never ends by itself; don't wait long for it.
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    demo.server = server
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            await serving  # raises what stopped it
            return
        await asyncio.sleep(0.01)
    if on_ready is not None:
        on_ready()
    feeding = asyncio.create_task(_feed(demo, leads))
    try:
        await serving
    finally:
        feeding.cancel()


async def _feed(demo: Demo, leads: int) -> None:
    for _ in range(leads):
        sent = await demo.samples.send()
        if sent.http_status >= 300:
            logger.warning("sample lead refused (%s): %s", sent.http_status, sent.answer)
