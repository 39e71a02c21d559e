"""Clicks Slack was told we took: the bot finishes them before it stops.

Bolt acks an interaction, answers Slack, and then runs the listener as a task of
its own that nothing awaits. A SIGTERM in between (a deploy, a scale-down) would
close the database under that task, and a click Slack had already shown as taken
would be lost. Bolt calls a start handler and a completion handler around each
such run, inside its task; these mark the task, and stopping waits for the marked
ones (bounded) before the outbox and the store close.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.listener.async_listener_completion_handler import (
    AsyncListenerCompletionHandler,
)
from slack_bolt.listener.async_listener_start_handler import AsyncListenerStartHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

logger = logging.getLogger(__name__)


class ListenersInFlight:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    def install(self, bolt: AsyncApp) -> None:
        runner = bolt.listener_runner
        runner.listener_start_handler = _Started(self._running, runner.listener_start_handler)
        runner.listener_completion_handler = _Finished(
            self._running, runner.listener_completion_handler
        )

    def __len__(self) -> int:
        return len(self._running)

    async def settle(self, within: float) -> int:
        """Wait for the listeners running now; how many still run after `within` seconds."""
        # A listener acked a moment ago may not have taken its first step yet.
        await asyncio.sleep(0)
        running = set(self._running)
        if running:
            logger.info("waiting for %d acked interaction(s) to finish", len(running))
            await asyncio.wait(running, timeout=within)
        left = sum(1 for task in running if not task.done())
        if left:
            logger.warning("stopping with %d acked interaction(s) unfinished", left)
        return left


class _Started(AsyncListenerStartHandler):
    def __init__(self, running: set[asyncio.Task[Any]], bolt: AsyncListenerStartHandler) -> None:
        self._running, self._bolt = running, bolt

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        await self._bolt.handle(request=request, response=response)


class _Finished(AsyncListenerCompletionHandler):
    def __init__(
        self, running: set[asyncio.Task[Any]], bolt: AsyncListenerCompletionHandler
    ) -> None:
        self._running, self._bolt = running, bolt

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        task = asyncio.current_task()
        self._running.discard(task)  # type: ignore[arg-type]
        await self._bolt.handle(request=request, response=response)
