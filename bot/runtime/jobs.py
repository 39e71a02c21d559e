"""Periodic jobs. The scheduler only says "look now"; the database says what is due.

Each job is a sweep that asks the database, with the injected clock, what has
become due and records what it did under a unique key. So a job may run late,
twice, or on several replicas at once without sending anything twice, and a
bot that was down catches up on its first sweep after start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

logger = logging.getLogger(__name__)

# A sweep closes over what it needs (the app's services), so jobs know nothing of them.
Sweep = Callable[[], Awaitable[None]]
# Wraps each run of a job by name (bot/runtime/telemetry.py times it and binds a job id).
Observe = Callable[[str], AbstractContextManager[None]]


class JobName(StrEnum):
    SLA_SWEEP = "sla_sweep"
    WEEKLY_DIGEST = "weekly_digest"
    SURVEY = "survey"
    RETENTION = "retention"
    CRM_POLL = "crm_poll"
    CRM_ACTIVITY = "crm_activity"
    DEFINITION_REVIEW = "definition_review"


@dataclass(frozen=True)
class Job:
    name: str
    sweep: Sweep
    every: timedelta


class Jobs:
    def __init__(self, *, observe: Observe = lambda _: contextlib.nullcontext()) -> None:
        self._observe = observe
        self._jobs: dict[str, Job] = {}
        self._scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task[None]] = set()

    def add(self, name: str, sweep: Sweep, *, every: timedelta) -> None:
        if name in self._jobs:
            raise ValueError(f"job {name!r} registered twice")
        self._jobs[name] = Job(name, sweep, every)

    @property
    def names(self) -> list[str]:
        return list(self._jobs)

    async def run(self, name: str) -> None:
        await self._jobs[name].sweep()

    def start(self) -> None:
        scheduler = AsyncIOScheduler(timezone="UTC")
        for job in self._jobs.values():
            scheduler.add_job(
                self._guarded(job),
                IntervalTrigger(seconds=job.every.total_seconds()),
                id=job.name,
                max_instances=1,
                coalesce=True,
                # First sweep at start-up: catch up on whatever fell due while down.
                next_run_time=datetime.now(UTC),
            )
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self) -> None:
        """No new runs; a sweep still running is cancelled and awaited, so that its
        database session is rolled back and returned before the engine goes away."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        running = list(self._running)
        for task in running:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*running, return_exceptions=True)

    def _guarded(self, job: Job) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                with self._observe(job.name):
                    await job.sweep()
            except Exception:
                # The next run retries; nothing was half-done because each sweep commits per item.
                logger.exception("job %s failed", job.name)
            finally:
                if task is not None:
                    self._running.discard(task)

        return run
