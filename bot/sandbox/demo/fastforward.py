"""Fast-forward: move the bot's clock and let its jobs see every moment on the way.

In `handoff run` the scheduler runs each sweep every minute or so, so a sweep runs
soon after each moment something falls due: the digest's hour, the survey's opening,
its reminder and close, each lead's next SLA step. A jump skips those minutes, and the
sweeps' catch-up rules then drop what a bot that was down would drop (yesterday's
digest, all but the most urgent SLA step). So the demo walks the jump: it stops at each
such moment, runs every job and delivers what they queued, and goes on to where the
jump lands (see clock.landing). Moments within one sweep interval share a stop.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from bot.runtime.jobs import JobName
from bot.runtime.services import Services
from bot.sandbox.fake_slack import FakeWorkspace
from bot.settings import TeamConfig
from storage.models import OPEN_STATES, Lead, OutboxMessage, OutboxState
from storage.surveys import unclosed_surveys

from .clock import landing, scheduled_moments
from .context import Demo

logger = logging.getLogger(__name__)

SWEEP_INTERVAL = timedelta(minutes=1)
# A jump of 31 days over many leads has hundreds of moments; past this many stops the
# sweeps' own catch-up takes over, as after a restart.
MAX_STOPS = 60
MAX_HELD_MOMENTS = 500
# How long a stop waits for what its jobs queued (and what those deliveries queued in
# turn: the digest's thread reply and chart) to reach the workspace.
SETTLE_SECONDS = 15.0
SETTLE_POLL_SECONDS = 0.05

# What the page calls each job; a job added later shows its name in words.
JOB_WORDS = {
    JobName.SLA_SWEEP: "response-deadline reminders",
    JobName.WEEKLY_DIGEST: "weekly digest",
    JobName.SURVEY: "monthly survey",
    JobName.RETENTION: "personal-data retention",
    JobName.DEFINITION_REVIEW: "monthly MQL definition review",
}


async def fast_forward(demo: Demo, by: timedelta) -> dict[str, Any]:
    """Walk the bot's clock forward by `by` (see the module doc); what the page shows."""
    async with demo.walking:
        return await _walk(demo, by)


async def _walk(demo: Demo, by: timedelta) -> dict[str, Any]:
    services = demo.services
    team = services.settings.team
    target = landing(team, demo.time.now(), by)
    before = message_counts(demo.workspace)
    failures: dict[str, str] = {}
    stops = 0
    while stops < MAX_STOPS:
        stop = await _next_stop(services, team, demo.time.now(), target)
        if stop is None:
            break
        demo.time.move_to(stop)
        await _run_jobs(services, failures)
        stops += 1
    now = demo.time.move_to(target)
    await _run_jobs(services, failures)
    services.outbox.wake()
    after = message_counts(demo.workspace)
    return {
        "ok": True,
        "now": now.timestamp(),
        "stops": stops,
        "jobs": [_job_result(name, failures.get(name)) for name in services.registry.jobs.names],
        "new_messages": [
            {"channel": channel, "count": count - before.get(channel, 0)}
            for channel, count in after.items()
            if count > before.get(channel, 0)
        ],
    }


def message_counts(workspace: FakeWorkspace) -> dict[str, int]:
    """Messages per channel, thread replies included."""
    with workspace.lock:
        return {
            channel.id: sum(1 + message.reply_count for message in workspace.messages(channel.id))
            for channel in workspace.channels
        }


def _job_result(name: str, error: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "name": name,
        "label": JOB_WORDS.get(name, name.replace("_", " ")),
        "ok": error is None,
    }
    if error is not None:
        result["error"] = error
    return result


async def _next_stop(
    services: Services, team: TeamConfig, now: datetime, target: datetime
) -> datetime | None:
    """The next moment before `target` at which something falls due, or None."""
    moments = [m for m in scheduled_moments(team, now, target) if m < target]
    moments += await _held_moments(services, now, target)
    if not moments:
        return None
    first = min(moments)
    return max(m for m in moments if m <= first + SWEEP_INTERVAL)


async def _held_moments(services: Services, after: datetime, before: datetime) -> list[datetime]:
    """Moments the database holds: SLA steps and the open survey's reminder and close."""
    async with services.db.session() as session:
        steps = await session.exec(
            select(Lead.sla_next_at)
            .where(
                col(Lead.sla_next_at) > after,
                col(Lead.sla_next_at) < before,
                col(Lead.state).in_(OPEN_STATES),
            )
            .order_by(col(Lead.sla_next_at))
            .limit(MAX_HELD_MOMENTS)
        )
        moments = [moment for moment in steps.all() if moment is not None]
        for survey in await unclosed_surveys(session):
            moments += [m for m in (survey.remind_at, survey.closes_at) if m is not None]
    return [moment for moment in moments if after < moment < before]


async def _run_jobs(services: Services, failures: dict[str, str]) -> None:
    """Every job once, then deliver what they queued, so it carries this moment's time."""
    for name in services.registry.jobs.names:
        # One failing sweep must not keep the others from running.
        try:
            await services.registry.jobs.run(name)
        except Exception as exc:
            logger.exception("demo fast-forward: job %s failed", name)
            failures.setdefault(name, type(exc).__name__)
    await _settle(services)


async def _settle(services: Services) -> None:
    """Deliver what is due before the clock moves on, whether we or the outbox worker
    send it: a lease taken at this moment must not look expired after the next jump."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while loop.time() < deadline:
        if await services.outbox.drain_once():
            continue
        if not await _due_count(services):
            return
        await asyncio.sleep(SETTLE_POLL_SECONDS)  # the worker holds it; wait for its answer
    logger.warning("demo fast-forward: deliveries still due after %.0fs", SETTLE_SECONDS)


async def _due_count(services: Services) -> int:
    async with services.db.session() as session:
        due = await session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.state == OutboxState.PENDING,
                col(OutboxMessage.not_before) <= services.clock.now(),
            )
        )
        return int(due.one())
