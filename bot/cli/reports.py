"""`handoff digest` and `handoff sla`: the weekly digest and the open leads, from a terminal."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click
from pydantic import SecretStr
from rich.table import Table

from bot.cli.base import fail, load, out
from bot.cli.errors import store_errors
from bot.settings import Settings, missing_for_run
from bot.timekeeping.clock import SystemClock

# `handoff digest` without --post builds the app only to read; it never calls Slack
# with these, so printing works on a machine that has no Slack credentials.
OFFLINE_BOT_TOKEN = "xoxb-offline-never-sent"
OFFLINE_SIGNING_SECRET = "offline-never-used"


@click.command()
@click.option("--week", "week_text", required=True, help="ISO week to report on, e.g. 2025-W09.")
@click.option(
    "--post", is_flag=True, help="Post it to channels.alignment (by hand: once per week)."
)
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Also write the chart (PNG) to this file.",
)
@click.pass_context
def digest(ctx: click.Context, week_text: str, post: bool, chart: Path | None) -> None:
    """Render the weekly alignment digest of one ISO week: print it, or post it."""
    from bot.timekeeping.periods import PeriodError

    settings = load(ctx.obj["config"])
    missing = [n for n in missing_for_run(settings) if n != "HANDOFF_INTAKE_TOKEN"]
    if post and missing:
        fail([f"{name} is not set" for name in missing], "handoff digest --post needs Slack:")
    try:
        with store_errors(settings.database_url):
            text = asyncio.run(_digest(settings, week_text, post=post, chart=chart))
    except PeriodError as exc:
        fail([f"--week: {exc}"], "Cannot render the digest:")
    except TimeoutError as exc:
        fail([str(exc)], "The digest is queued but Slack did not take it:")
    out.print(text, markup=False, highlight=False, end="")


async def _digest(settings: Settings, week_text: str, *, post: bool, chart: Path | None) -> str:
    from bot.app import create_app
    from bot.feedback.digest import digest_text, post_by_hand
    from bot.timekeeping.periods import parse_iso_week
    from storage.database import Database

    offline = not post and (settings.slack_bot_token is None or settings.socket_mode)
    if offline:
        # Printing reads the store only; card links are left out rather than asked of Slack.
        settings = settings.model_copy(
            update={
                "slack_bot_token": SecretStr(OFFLINE_BOT_TOKEN),
                "slack_signing_secret": SecretStr(OFFLINE_SIGNING_SECRET),
                "slack_app_token": None,
            }
        )
    db = Database(settings.database_url)
    await db.upgrade()
    services = create_app(settings, db=db).services
    try:
        week = parse_iso_week(week_text, now=services.clock.now(), zone=settings.team.zone)
        if post:
            return await post_by_hand(services, week)
        text, png = await digest_text(
            services, week, with_chart=chart is not None, permalinks=not offline
        )
    finally:
        await db.dispose()
    if chart is not None and png is not None:
        await asyncio.to_thread(chart.write_bytes, png)
        text += f"\nChart written to {chart}.\n"
    return text


@click.command("sla")
@click.option("--limit", type=int, default=200, show_default=True, help="Show at most this many.")
@click.pass_context
def sla(ctx: click.Context, limit: int) -> None:
    """List open leads with their response deadlines and who is on the hook."""
    from dataclasses import astuple

    from rich.text import Text
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from bot.sla.report import sla_rows

    settings = load(ctx.obj["config"])
    now = SystemClock().now()
    try:
        with store_errors(settings.database_url):
            leads, history = asyncio.run(_open_leads(settings, limit))
    except (OperationalError, ProgrammingError) as exc:
        fail(
            [str(exc.orig)], "Cannot read the leads; is the database migrated (handoff db upgrade)?"
        )
    if history:
        # Imported with --no-cards: no card, no deadline, nobody to nudge; the numbers
        # count them as open (undecided) all the same.
        out.print(
            f"{history} open leads were imported as history (--no-cards): no card and no "
            "deadline, so none is listed here; /leadfeedback stats counts them as open."
        )
    if not leads:
        out.print("No open leads: nothing is waiting for a response.")
        return
    table = Table(title=f"Open leads, soonest deadline first (times in {settings.team.timezone})")
    for column in ("lead", "company", "state", "owner", "deadline", "left", "on the hook", "next"):
        table.add_column(column, overflow="fold")
    for row in sla_rows(leads, settings.team, now):
        # Text, not markup: lead names come from outside and may contain [brackets].
        table.add_row(
            *(Text(value) for value in astuple(row)),
            style="red" if row.left.startswith("overdue") else None,
        )
    out.print(table)


async def _open_leads(settings: Settings, limit: int) -> tuple[list[Any], int]:
    """The leads waiting for sales (posted, or with a card queued) and the history count."""
    from storage.database import Database
    from storage.sla import history_lead_count, open_leads

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            return await open_leads(session, limit=limit), await history_lead_count(session)
    finally:
        await db.dispose()
