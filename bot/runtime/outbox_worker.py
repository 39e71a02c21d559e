"""Delivers the outbox to Slack: retries, backoff, Retry-After, and several replicas at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.runtime.deliveries import (
    Delivery,
    DeliveryContext,
    Drop,
    Failed,
    NotReady,
    Outcome,
    Sent,
    retry_after_seconds,
)
from bot.runtime.logs import bind_outbox_id
from bot.runtime.once import delivering
from bot.slack.errors import slack_error
from storage import outbox
from storage.database import store_unavailable
from storage.models import OutboxMessage

logger = logging.getLogger(__name__)

BATCH = 10
LEASE = timedelta(minutes=2)
IDLE_POLL_SECONDS = 1.0
MAX_BACKOFF = timedelta(minutes=5)
# Errors that a person must fix (a wrong channel, a revoked token). They are
# retried slowly rather than dropped: the lead is stored and the card goes out
# once the configuration is fixed.
CONFIG_BACKOFF = timedelta(minutes=10)
# A row of a kind this process cannot deliver: a capability not wired, or an older
# replica during a rolling deploy meeting a kind a newer one queued. It waits for a
# process that knows the kind; soon enough that a newer replica takes it quickly.
UNKNOWN_KIND_RETRY = timedelta(minutes=1)
RECORD_RETRY_FIRST, RECORD_RETRY_MAX = 0.5, 30.0


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2 ** min(attempts, 10)), MAX_BACKOFF)


class OutboxWorker:
    def __init__(
        self, ctx: DeliveryContext, deliveries: Mapping[str, Delivery], *, concurrency: int = 4
    ) -> None:
        self.ctx = ctx
        self.deliveries = deliveries
        self._wake = asyncio.Event()
        self._stopping = False
        self._capacity = concurrency
        self._concurrency = asyncio.Semaphore(concurrency)

    def wake(self) -> None:
        """Deliver now instead of at the next poll (called after a commit that queued work)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Keep up to `concurrency` deliveries in flight, taking more as each one ends.

        A slow destination (a CRM that hangs until its timeout, a channel waiting out
        Slack's pace) holds only its own slot: the rest of the queue keeps moving
        instead of waiting for the slowest row of a batch.
        """
        in_flight: set[asyncio.Task[None]] = set()
        while not self._stopping:
            leased: list[OutboxMessage] = []
            free = self._capacity - len(in_flight)
            if free > 0:
                try:
                    leased = await self._lease(self.ctx.clock.now(), min(free, BATCH))
                except Exception:
                    logger.exception("outbox pass failed; retrying")
            for message in leased:
                task = asyncio.create_task(self._attempt(message), name=f"outbox-{message.id}")
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            if not leased and not self._stopping:
                await self._idle(in_flight)
        if in_flight:
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _idle(self, in_flight: set[asyncio.Task[None]]) -> None:
        """Wait for new work, a freed slot or the poll interval, whichever comes first."""
        wake = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait(
                {wake, *in_flight}, timeout=IDLE_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            wake.cancel()
        self._wake.clear()

    async def drain_once(self) -> int:
        """Attempt every due message once and wait for them; returns how many were attempted."""
        leased = await self._lease(self.ctx.clock.now(), BATCH)
        await asyncio.gather(*(self._attempt(message) for message in leased))
        return len(leased)

    async def _lease(self, now: datetime, limit: int) -> list[OutboxMessage]:
        async with self.ctx.db.session() as session:
            return await outbox.claim_due(session, now=now, limit=limit, lease_for=LEASE)

    async def _attempt(self, message: OutboxMessage) -> None:
        async with self._concurrency:
            delivery = self.deliveries.get(message.kind)
            message_id = message.id or 0
            bind_outbox_id(message_id)  # each attempt runs in its own task (gather)
            if delivery is None:
                logger.error(
                    "outbox #%s has kind %r, which this process cannot deliver; it stays pending",
                    message_id,
                    message.kind,
                )
                await self._reschedule(
                    message,
                    UNKNOWN_KIND_RETRY,
                    f"no delivery for kind {message.kind!r} in this process",
                    count_attempt=False,
                )
                return
            try:
                with delivering(message):
                    outcome = await delivery(self.ctx, message)
            except SlackApiError as exc:
                await self._retry_after_error(message, exc)
                return
            except (SlackRequestError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                await self._reschedule(message, backoff(message.attempts), f"network: {exc!r}")
                return
            except Exception as exc:
                logger.exception("outbox %s #%s failed", message.kind, message_id)
                await self._reschedule(message, backoff(message.attempts), f"bug: {exc!r}")
                return
        if isinstance(outcome, Sent):
            await self._record_delivered(message, outcome)
        else:
            await self._record(message, outcome)

    async def _record_delivered(self, message: OutboxMessage, outcome: Sent) -> None:
        """Slack has the message: record that until the store answers.

        Giving up here would leave the row to be attempted again; keeping the result
        and retrying the commit is what makes the post happen once. Only when the
        worker is stopping does it give up, and then the next attempt finds the post
        by its metadata (bot/runtime/once.py) instead of posting it again.
        """
        delay = RECORD_RETRY_FIRST
        while True:
            try:
                await self._record(message, outcome)
                return
            except Exception as exc:
                if not store_unavailable(exc):
                    raise
                if self._stopping:
                    logger.error(
                        "outbox #%s was delivered but the store does not answer; its next "
                        "attempt will find the post instead of repeating it",
                        message.id,
                    )
                    return
                logger.warning(
                    "outbox #%s was delivered; the store does not answer (%s), "
                    "recording it again in %.1fs",
                    message.id,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECORD_RETRY_MAX)

    async def _record(self, message: OutboxMessage, outcome: Outcome) -> None:
        message_id = message.id or 0
        now = self.ctx.clock.now()
        async with self.ctx.db.session() as session:
            if isinstance(outcome, Sent):
                if outcome.apply is not None:
                    await outcome.apply(session)
                await outbox.mark_sent(session, message_id, now=now, result=outcome.result)
                logger.debug(
                    "outbox %s #%s sent (lead %s)", message.kind, message_id, message.lead_id
                )
            elif isinstance(outcome, NotReady):
                await outbox.reschedule(
                    session,
                    message_id,
                    not_before=now + outcome.retry_in,
                    error=outcome.why,
                    count_attempt=False,
                )
            elif isinstance(outcome, Drop):
                # Kept as a row (state dropped, last_error why) and said in the log.
                logger.info("outbox %s #%s dropped: %s", message.kind, message_id, outcome.why)
                await outbox.mark_dropped(session, message_id, now=now, why=outcome.why)
            elif isinstance(outcome, Failed):
                delay = outcome.retry_in or backoff(message.attempts)
                if outcome.permanent:
                    logger.error("outbox %s #%s: %s", message.kind, message_id, outcome.why)
                    delay = max(delay, CONFIG_BACKOFF)
                await outbox.reschedule(
                    session, message_id, not_before=now + delay, error=outcome.why
                )

    async def _retry_after_error(self, message: OutboxMessage, exc: SlackApiError) -> None:
        status = exc.response.status_code
        error = slack_error(exc)
        if status == 429:
            delay = timedelta(seconds=retry_after_seconds(exc))
            await self._reschedule(message, delay, f"rate limited (429), retry after {delay}")
        elif status >= 500:
            await self._reschedule(message, backoff(message.attempts), f"Slack answered {status}")
        else:
            logger.error("Slack refused %s #%s: %s", message.kind, message.id, error)
            delay = min(backoff(message.attempts), CONFIG_BACKOFF)
            await self._reschedule(message, delay, f"Slack error: {error}")

    async def _reschedule(
        self, message: OutboxMessage, delay: timedelta, why: str, *, count_attempt: bool = True
    ) -> None:
        async with self.ctx.db.session() as session:
            await outbox.reschedule(
                session,
                message.id or 0,
                not_before=self.ctx.clock.now() + delay,
                error=why,
                count_attempt=count_attempt,
            )
