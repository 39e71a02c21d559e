"""`handoff outbox`: what waits to reach Slack, what failed, and retrying or dropping by hand.

Works against the configured database while the bot runs: each change is one conditional
UPDATE (storage/outbox_ops.py), and a running bot picks up a row made due within a second.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click
from rich.table import Table
from rich.text import Text

from bot.cli.base import fail, load, out
from bot.timekeeping.clock import SystemClock
from bot.timekeeping.durations import format_duration

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from storage.models import OutboxMessage
    from storage.outbox_ops import Refused

logger = logging.getLogger(__name__)
T = TypeVar("T")

FAILED_MEANS = (
    "Failed means: dropped by the bot (e.g. Slack refused it for good, or it was no longer "
    "meaningful), or still waiting after 3 or more failed attempts. Rows an operator dropped "
    "with `handoff outbox drop` are not failed."
)


@click.group(invoke_without_command=True, epilog=FAILED_MEANS)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.pass_context
def outbox(ctx: click.Context, limit: int) -> None:
    """List waiting and failed Slack work, newest problem first; or retry or drop a row."""
    if ctx.invoked_subcommand is not None:
        return
    from storage.outbox_ops import problem_rows

    now = SystemClock().now()
    rows, total = _run(ctx, lambda session: problem_rows(session, limit=limit))
    if not rows:
        out.print("Nothing waits and nothing failed: the outbox is clear.")
        return
    out.print(_table(rows, now))
    if total > len(rows):
        out.print(f"Showing {len(rows)} of {total}; --limit shows more.")


@outbox.command("retry", epilog=FAILED_MEANS)
@click.argument("message_id", metavar="ID", type=int, required=False)
@click.option("--all-failed", is_flag=True, help="Every failed row (see below), at once.")
@click.pass_context
def retry(ctx: click.Context, message_id: int | None, all_failed: bool) -> None:
    """Make a waiting or dropped row due now, its attempts reset (a dropped row waits again).

    Deliveries look again at what they post, so a row that is no longer meaningful
    (its lead decided, its survey closed) is dropped again rather than posted.
    """
    from storage.outbox_ops import retry_failed, retry_row

    if (message_id is None) == (not all_failed):
        fail(["give one row ID, or --all-failed"], "handoff outbox retry needs one of them:")
    now = SystemClock().now()
    if all_failed:
        count = _run(ctx, lambda session: retry_failed(session, now=now))
        logger.info("outbox: %s failed rows made due again by hand", count)
        out.print(f"Failed rows due again: {count}.")
        return
    assert message_id is not None
    refused = _run(ctx, lambda session: retry_row(session, message_id, now=now))
    if refused is not None:
        _refuse(message_id, refused, "retried")
    logger.info("outbox #%s made due again by hand", message_id)
    out.print(f"Outbox row {message_id} is due again.")


@outbox.command("drop")
@click.argument("message_id", metavar="ID", type=int)
@click.option("--reason", required=True, help="Why; kept with the row and in the log.")
@click.pass_context
def drop(ctx: click.Context, message_id: int, reason: str) -> None:
    """Mark a waiting row dropped: it is never delivered (until retried).

    The reason is kept in the row's last error. A row about a lead also adds an
    "outbox_dropped" event to the lead's audit trail, with the reason; a row about no
    lead (a digest, a survey DM) keeps the reason in its last error and the log only.
    """
    from storage.models import OutboxMessage
    from storage.outbox_ops import drop_by_hand

    reason = reason.strip()
    if not reason:
        fail(["--reason must say why"], "Cannot drop the row:")
    now = SystemClock().now()
    dropped = _run(ctx, lambda session: drop_by_hand(session, message_id, now=now, reason=reason))
    if not isinstance(dropped, OutboxMessage):
        _refuse(message_id, dropped, "dropped")
    logger.warning(
        "outbox #%s (%s, lead %s) dropped by hand: %s",
        message_id,
        dropped.kind,
        dropped.lead_id,
        reason,
    )
    where = f" and on lead {dropped.lead_id}'s audit trail" if dropped.lead_id else ""
    kept = f"the reason is kept in the row{where}"
    out.print(f"Outbox row {message_id} ({dropped.kind}) is dropped; {kept}.")


def _refuse(message_id: int, refused: Refused, verb: str) -> NoReturn:
    from storage.outbox_ops import Refused

    why = {
        Refused.UNKNOWN: f"there is no outbox row {message_id}",
        Refused.SENT: f"outbox row {message_id} was sent already; a sent row cannot be {verb}",
        Refused.DROPPED: f"outbox row {message_id} is dropped already",
        Refused.IN_FLIGHT: (
            f"outbox row {message_id} is being delivered right now; look again in a minute"
        ),
    }[refused]
    fail([why], f"Outbox row {message_id} was not {verb}:")


def _run(ctx: click.Context, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """One unit of work against the configured database; exit 2 when it cannot be read."""
    from sqlalchemy.exc import ProgrammingError

    from storage.database import store_unavailable

    settings = load(ctx.find_root().obj["config"])

    async def go() -> T:
        from storage.database import Database

        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                return await work(session)
        finally:
            await db.dispose()

    try:
        return asyncio.run(go())
    except ProgrammingError as exc:
        fail([str(exc.orig)], "Cannot read the outbox; is the database migrated?")
    except Exception as exc:
        if not store_unavailable(exc):
            raise
        why = str(getattr(exc, "orig", None) or exc) or type(exc).__name__
        fail([why], "Cannot read the outbox; is the database migrated and answering?")


def _table(rows: list[OutboxMessage], now: datetime) -> Table:
    from storage.outbox_ops import is_failing

    table = Table(title="Outbox: waiting and failed rows, newest problem first")
    for column in ("id", "kind", "lead", "state", "attempts", "last error", "next attempt", "age"):
        table.add_column(column, overflow="fold", justify="right" if column == "id" else "left")
    for row in rows:
        state = "dropped" if row.state == "dropped" else "failing" if is_failing(row) else "waiting"
        next_attempt = "—" if state == "dropped" else _when(row.not_before, now)
        table.add_row(
            str(row.id),
            row.kind,
            str(row.lead_id) if row.lead_id is not None else "—",
            state,
            str(row.attempts),
            # Text, not markup: Slack's and the CRM's error texts may contain [brackets].
            Text(row.last_error or ""),
            next_attempt,
            format_duration(now - row.created_at),
            style="red" if state != "waiting" else None,
        )
    return table


def _when(moment: datetime, now: datetime) -> str:
    return "now" if moment <= now else f"in {format_duration(moment - now)}"
