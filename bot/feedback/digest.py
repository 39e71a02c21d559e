"""The weekly alignment digest: when it is due, and asking for it exactly once per week.

Schedule: on `digest.day` at or after `digest.at`, team time zone, the digest
of the last full Monday-Sunday week is due. The sweep runs every minute (and
once at start-up); the first sweep that finds it due inserts the week's
DigestPost row, whose unique (week, trigger) key makes every other sweep, on
this replica or another, a no-op, and queues the post in the same transaction.
A bot that was down at the scheduled time posts when it starts, if that is
still the same day; a bot that starts on a later day does not post last
week's digest any more (a Thursday digest about the week before last would be
noise). `digest post` (or `handoff digest --post`) posts by hand: once per
week as well, under its own key, whether or not the scheduled one ran.

Other capabilities add sections (Registry.digest_sections). They are gathered
when the digest is requested, before the write transaction (a section may read
the database itself), and travel with the queued post to the thread reply.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.settings import DigestConfig
from bot.timekeeping.periods import Period, digest_week
from bot.timekeeping.weekdays import WEEKDAYS
from storage.feedback_models import DigestPost, DigestTrigger
from storage.kinds import DigestRef, OutboxKind, digest_key, digest_part_key
from storage.models import OutboxMessage, OutboxState
from storage.outbox import enqueue

if TYPE_CHECKING:
    from bot.runtime.services import Services

logger = logging.getLogger(__name__)

SWEEP_EVERY = timedelta(minutes=1)


def due_week(now: datetime, config: DigestConfig, zone: ZoneInfo) -> Period | None:
    """The week whose digest is due at `now`, or None (same-day catch-up only)."""
    local = now.astimezone(zone)
    if local.weekday() != WEEKDAYS.index(config.day):
        return None
    if local.time() < config.at:
        return None
    return digest_week(now, zone)


async def sweep(services: Services) -> None:
    team = services.settings.team
    if not team.digest.enabled or team.channels.alignment is None:
        return
    week = due_week(services.clock.now(), team.digest, team.zone)
    if week is not None:
        await request_digest(services, week, trigger=DigestTrigger.SCHEDULED)


@dataclass(frozen=True)
class DigestRequest:
    post: DigestPost
    queued: bool  # False: this week's digest (for this trigger) was asked for before


async def request_digest(
    services: Services,
    week: Period,
    *,
    trigger: DigestTrigger,
    requested_by: str | None = None,
) -> DigestRequest:
    """Record the week's digest under its unique key and queue it; a repeat changes nothing."""
    async with services.db.session() as session:
        existing = await find_post(session, week.key, trigger)
    if existing is not None:
        return DigestRequest(existing, queued=False)
    sections = await gather_sections(services, week)
    now = services.clock.now()
    async with services.db.session() as session:
        connection = await session.connection()
        insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        inserted = await session.exec(
            insert(DigestPost)
            .values(week=week.key, trigger=str(trigger), requested_by=requested_by, created_at=now)
            .on_conflict_do_nothing()
        )  # type: ignore[call-overload]
        post = await find_post(session, week.key, trigger)
        assert post is not None
        if not inserted.rowcount:
            return DigestRequest(post, queued=False)
        await enqueue(
            session,
            kind=OutboxKind.DIGEST_POST,
            now=now,
            payload=DigestRef(post_id=post.id or 0, sections=sections),
            dedup_key=digest_key(week.key, None if trigger == DigestTrigger.SCHEDULED else trigger),
        )
    services.outbox.wake()
    logger.info("digest for %s (%s) queued", week.key, trigger)
    return DigestRequest(post, queued=True)


async def find_post(session: AsyncSession, week: str, trigger: str) -> DigestPost | None:
    statement = select(DigestPost).where(DigestPost.week == week, DigestPost.trigger == trigger)
    return (await session.exec(statement)).first()


async def gather_sections(services: Services, week: Period) -> list[dict[str, Any]]:
    """Blocks from other features for the thread reply, in registration order."""
    blocks: list[dict[str, Any]] = []
    for section in services.registry.digest_sections:
        try:
            blocks.extend(await section(week.start, week.end))
        except Exception:
            # One feature's broken section must not cost the team its digest.
            logger.exception("digest section %s failed; posting without it", section)
    return blocks


# --- `handoff digest` -------------------------------------------------------------------

CLI_DELIVERY_SECONDS = 60.0


async def digest_text(
    services: Services, week: Period, *, with_chart: bool = False, permalinks: bool = True
) -> tuple[str, bytes | None]:
    """The digest as `handoff digest` prints it (message, then thread reply), and its chart.

    Without `permalinks` no Slack call is made (cards are named, not linked)."""
    from bot.feedback import reports
    from bot.feedback.chart import weekday_chart
    from bot.slack.permalinks import card_permalinks
    from messages.digest import digest_details, digest_main

    team = services.settings.team
    report = await reports.digest_report(
        services.db, week, now=services.clock.now(), zone=team.zone
    )
    listed = [*report.breaches.leads, *report.overdue.leads]
    links = await card_permalinks(services.client, listed) if permalinks else {}
    sections = await gather_sections(services, week)
    details = digest_details(report, team, permalinks=links, sections=sections)
    png = None
    if with_chart:
        title = f"MQLs per day, week {week.key}"
        png = await asyncio.to_thread(weekday_chart, report.days, title)
    text = (
        blocks_as_text(digest_main(report, team).blocks)
        + "\n-- in the thread --\n\n"
        + blocks_as_text(details.blocks)
    )
    return text, png


async def post_by_hand(services: Services, week: Period, *, requested_by: str = "cli") -> str:
    """Queue the week's manual digest and deliver it now (with whatever else is due)."""
    request = await request_digest(
        services, week, trigger=DigestTrigger.MANUAL, requested_by=requested_by
    )
    if not request.queued:
        return (
            f"The digest for {week.key} was already posted by hand "
            f"on {request.post.created_at:%Y-%m-%d %H:%M} UTC; nothing was posted.\n"
        )
    deadline = asyncio.get_running_loop().time() + CLI_DELIVERY_SECONDS
    while not await _delivered(services, request.post.id or 0):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(
                f"the digest for {week.key} was not delivered within {CLI_DELIVERY_SECONDS:.0f}s;"
                " `handoff run` will post it"
            )
        if not await services.outbox.drain_once():
            await asyncio.sleep(0.2)
    channel = services.settings.team.channels.alignment
    return f"Posted the digest for {week.key} to {channel}.\n"


async def _delivered(services: Services, post_id: int) -> bool:
    """Whether the message, its thread reply and its chart have all been sent."""
    keys = [
        digest_part_key(k, post_id) for k in (OutboxKind.DIGEST_THREAD, OutboxKind.DIGEST_CHART)
    ]
    async with services.db.session() as session:
        states = (
            await session.exec(select(OutboxMessage.state).where(OutboxMessage.dedup_key.in_(keys)))
        ).all()
    return len(states) == len(keys) and all(state == OutboxState.SENT for state in states)


# --- text for the terminal ---------------------------------------------------------------

_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]*)>")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


def blocks_as_text(blocks: list[dict[str, Any]]) -> str:
    """A digest as plain text for `handoff digest` (mrkdwn tokens made readable)."""
    lines: list[str] = []
    for block in blocks:
        texts: list[str] = []
        if isinstance(block.get("text"), dict):
            texts.append(block["text"]["text"])
        texts += [f["text"] for f in block.get("fields", [])]
        texts += [e["text"] for e in block.get("elements", []) if "text" in e]
        if block.get("type") == "divider":
            texts.append("-" * 40)
        for text in texts:
            lines.append(_plain(text))
        lines.append("")
    return "\n".join(lines).strip() + "\n"


def _plain(text: str) -> str:
    text = _DATE.sub(r"\1", text)
    text = _LINK.sub(r"\2 (\1)", text)
    text = _MENTION.sub(r"@\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
