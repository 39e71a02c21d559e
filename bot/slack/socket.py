"""Slack over Socket Mode: Bolt's aiohttp adapter, run inside the app's lifespan.

With an app-level token (SLACK_APP_TOKEN) the bot opens a WebSocket to Slack instead
of waiting for Slack's HTTP requests, so it needs no public URL. The same Bolt app
and listeners answer either way; only the transport differs: Slack authenticates
the WebSocket (no request signatures), and the ack goes back over the socket.

Bolt's aiohttp adapter (`slack_bolt.adapter.socket_mode.aiohttp`), not its websockets
one: aiohttp is already what AsyncWebClient speaks HTTP with, so Socket Mode adds no
dependency; it honours HTTPS_PROXY (the websockets client cannot use a proxy, and a
team behind a firewall is who needs Socket Mode most); and its monitor pings the
connection and reconnects when pongs stop, besides acting on Slack's `disconnect`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.errors import slack_error

logger = logging.getLogger(__name__)

# Slack's answers to apps.connections.open that no retry will change: a person must
# create or fix the app-level token.
REFUSED_TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "not_allowed_token_type",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "missing_scope",
    }
)
PING_INTERVAL_SECONDS = 10.0
SLACK_TIMEOUT_SECONDS = 10


class SocketState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"


class AppTokenRefused(Exception):
    """Slack refused the app-level token (`error` is Slack's code, e.g. invalid_auth)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


async def check_app_token(api_url: str, app_token: str) -> None:
    """Ask Slack for a Socket Mode URL once; raise AppTokenRefused if the token is refused.

    The URL is thrown away (each is single-use and expires); network errors propagate.
    """
    client = AsyncWebClient(base_url=api_url, timeout=SLACK_TIMEOUT_SECONDS)
    try:
        await client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        raise AppTokenRefused(slack_error(exc) or f"HTTP {exc.response.status_code}") from None


class _ReportingClient(SocketModeClient):
    """The SDK's aiohttp client, telling us what it is doing and giving up on a bad token."""

    def __init__(self, report: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._report = report
        self._ever_connected = False

    async def connect(self) -> None:
        # Every (re)connection goes through here: the first, after `disconnect`, after
        # a stale ping, after the server closed the socket.
        if not self.closed:
            self._report(
                SocketState.RECONNECTING if self._ever_connected else SocketState.CONNECTING
            )
        await super().connect()

    async def issue_new_wss_url(self) -> str:
        try:
            return await super().issue_new_wss_url()
        except SlackApiError as exc:
            error = slack_error(exc) or f"HTTP {exc.response.status_code}"
            self._report(f"error: {error}")
            if error in REFUSED_TOKEN_ERRORS:
                # Retrying every few seconds forever would only fill the log.
                logger.error("Slack refused SLACK_APP_TOKEN (%s); Socket Mode stops", error)
                self.closed = True
            raise

    def mark_connected(self) -> None:
        self._ever_connected = True
        self._report(SocketState.CONNECTED)


class _Handler(AsyncSocketModeHandler):
    """Bolt's handler (its `handle` runs the app and sends the ack) on our client."""

    def __init__(self, app: AsyncApp, app_token: str, client: SocketModeClient) -> None:
        # Not super().__init__: it would build a second client with its own session.
        self.app, self.app_token, self.client = app, app_token, client
        client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]


class SocketMode:
    """Connects when the app starts, reconnects as Slack asks, closes when the app stops.

    `report` receives the connection state for /healthz: connecting, connected,
    reconnecting, stopped, or "error: CODE" when Slack refuses the token.
    """

    def __init__(
        self,
        bolt: AsyncApp,
        app_token: str,
        api_url: str,
        report: Callable[[str], None],
        *,
        ping_interval: float = PING_INTERVAL_SECONDS,
    ) -> None:
        self._bolt = bolt
        self._app_token = app_token
        self._api_url = api_url
        self._report = report
        self._ping_interval = ping_interval
        self._handler: _Handler | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # The SDK client opens an aiohttp session and a task when built: inside the loop.
        client = _ReportingClient(
            self._report,
            app_token=self._app_token,
            logger=logging.getLogger("slack_sdk.socket_mode"),
            web_client=AsyncWebClient(base_url=self._api_url, timeout=SLACK_TIMEOUT_SECONDS),
            ping_interval=self._ping_interval,
        )

        async def on_message(_: Any, message: dict[str, Any], __: str | None) -> None:
            if message.get("type") == "hello":
                client.mark_connected()

        client.message_listeners.append(on_message)
        self._handler = _Handler(self._bolt, self._app_token, client)
        self._task = asyncio.create_task(self._handler.connect_async(), name="slack-socket")

    async def stop(self) -> None:
        if self._handler is not None:
            await self._handler.close_async()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._report(SocketState.STOPPED)
