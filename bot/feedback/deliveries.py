"""How the feedback feature's outbox work reaches Slack: outcome replies and the digest.

The digest goes out in three steps, each its own outbox message so that a
failure in one (Slack down, a 429) never repeats another: the channel message
with the key numbers, then (once its ts is recorded) the thread reply with the
details and the chart uploaded into the thread. Every step renders from the
database when it is sent.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.feedback import reports
from bot.feedback.chart import weekday_chart
from bot.runtime.deliveries import (
    DeliveryContext,
    Drop,
    NotReady,
    Outcome,
    Sent,
    post_message,
    retry_after_seconds,
)
from bot.slack.permalinks import card_permalinks
from bot.timekeeping.periods import Period, parse_iso_week
from messages.digest import digest_details, digest_main
from messages.feedback import outcome_reply
from storage.feedback_models import DigestPost, LeadOutcome
from storage.kinds import DigestRef, OutboxKind, OutcomeRef, digest_part_key, read_payload
from storage.models import Lead, OutboxMessage
from storage.outbox import enqueue

WAIT_FOR_MAIN = timedelta(seconds=2)


async def deliver_outcome_reply(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    async with ctx.db.session() as session:
        lead = await session.get(Lead, message.lead_id) if message.lead_id else None
        outcome = await session.get(
            LeadOutcome, read_payload(OutcomeRef, message.payload).outcome_id
        )
    if lead is None or outcome is None:
        return Drop("lead or outcome no longer exists")
    if not lead.message_ts or not lead.channel_id:
        return NotReady(timedelta(seconds=5), "card not posted yet")
    reply = outcome_reply(lead, outcome)
    return Sent(
        await post_message(ctx, lead.channel_id, thread_ts=lead.message_ts, **reply.as_kwargs())
    )


async def _post_and_week(
    ctx: DeliveryContext, message: OutboxMessage
) -> tuple[DigestPost | None, Period | None]:
    async with ctx.db.session() as session:
        post = await session.get(DigestPost, read_payload(DigestRef, message.payload).post_id)
    if post is None:
        return None, None
    return post, parse_iso_week(post.week, now=ctx.clock.now(), zone=ctx.settings.team.zone)


async def deliver_digest(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    post, week = await _post_and_week(ctx, message)
    channel = ctx.settings.team.channels.alignment
    if post is None or week is None:
        return Drop("digest record no longer exists")
    if channel is None:
        return Drop("channels.alignment is not set in app.yaml")
    if post.message_ts:
        return Sent({"channel": post.channel_id, "ts": post.message_ts})
    now = ctx.clock.now()
    team = ctx.settings.team
    report = await reports.digest_report(ctx.db, week, now=now, zone=team.zone)
    posted = await post_message(ctx, channel, **digest_main(report, team).as_kwargs())

    async def record(session: AsyncSession) -> None:
        await session.exec(
            update(DigestPost)
            .where(DigestPost.id == post.id, DigestPost.message_ts.is_(None))
            .values(channel_id=posted["channel"], message_ts=posted["ts"], posted_at=now)
        )  # type: ignore[call-overload]
        sections = read_payload(DigestRef, message.payload).sections
        payload = DigestRef(post_id=post.id or 0, sections=sections)
        await _queue_part(session, OutboxKind.DIGEST_THREAD, payload, now)

    return Sent(posted, record)


async def _queue_part(
    session: AsyncSession, kind: OutboxKind, payload: DigestRef, now: datetime
) -> None:
    key = digest_part_key(kind, payload.post_id)
    await enqueue(session, kind=kind, now=now, payload=payload, dedup_key=key)


async def deliver_digest_thread(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    post, week = await _post_and_week(ctx, message)
    if post is None or week is None:
        return Drop("digest record no longer exists")
    if not (post.message_ts and post.channel_id):
        return NotReady(WAIT_FOR_MAIN, "digest message not posted yet")
    team = ctx.settings.team
    report = await reports.digest_report(ctx.db, week, now=ctx.clock.now(), zone=team.zone)
    links = await card_permalinks(ctx.client, [*report.breaches.leads, *report.overdue.leads])
    details = digest_details(
        report, team, permalinks=links, sections=read_payload(DigestRef, message.payload).sections
    )
    posted = await post_message(
        ctx, post.channel_id, thread_ts=post.message_ts, **details.as_kwargs()
    )
    now = ctx.clock.now()

    async def then_the_chart(session: AsyncSession) -> None:
        # Queued once the details are posted, so the thread reads details, then chart.
        await _queue_part(session, OutboxKind.DIGEST_CHART, DigestRef(post_id=post.id or 0), now)

    return Sent(posted, then_the_chart)


async def deliver_digest_chart(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
    post, week = await _post_and_week(ctx, message)
    if post is None or week is None:
        return Drop("digest record no longer exists")
    if not (post.message_ts and post.channel_id):
        return NotReady(WAIT_FOR_MAIN, "digest message not posted yet")
    days = await reports.digest_days(ctx.db, week, zone=ctx.settings.team.zone)
    title = f"MQLs per day, week {week.key}"
    png = await asyncio.to_thread(weekday_chart, days, title)
    async with ctx.pacer.slot(post.channel_id):
        try:
            response = await ctx.client.files_upload_v2(
                channel=post.channel_id,
                thread_ts=post.message_ts,
                file=png,
                filename=f"mqls-{week.key}.png",
                title=title,
                alt_txt=(
                    f"{title}, stacked by accepted, rejected and still open: "
                    + ", ".join(f"{d.day:%a} {d.total}" for d in days)
                ),
            )
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                await ctx.pacer.pause(post.channel_id, retry_after_seconds(exc))
            raise
    files = response.get("files") or [{}]
    return Sent({"channel": post.channel_id, "file": files[0].get("id")})
