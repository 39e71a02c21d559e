"""`handoff crm check` and `handoff crm sync`: the CRM connection, checked and backfilled."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta
from typing import Any

import click
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from bot.cli.base import console, fail, load, out
from bot.settings import Settings

# Without --since and without a cursor yet, a sync reads this far back.
DEFAULT_SYNC_DAYS = 7


@click.group("crm")
def crm() -> None:
    """The CRM in the loop: check the connection, backfill MQLs."""


@crm.command("check")
@click.pass_context
def check(ctx: click.Context) -> None:
    """Credentials, scopes, every configured property, and reps without a CRM owner.

    Prints every problem with its key or variable; exit 2 if there is any.
    """
    settings = load(ctx.obj["config"])
    if not settings.team.crm.enabled:
        fail(["crm.provider: is none; set hubspot or salesforce"], "No CRM is configured:")
    problems, notes = asyncio.run(_check(settings))
    for note in notes:
        console.print(f"[yellow]note[/] {note}", highlight=False)
    if problems:
        fail([str(problem) for problem in problems], "The CRM connection has problems:")
    out.print(f"[green]OK[/] {settings.team.crm.provider}: connected, every setting checked.")


async def _check(settings: Settings) -> tuple[list[Any], list[str]]:
    from bot.crm.connector import CheckProblem
    from bot.crm.service import build_connector

    problems: list[Any] = []
    reps, rep_problems = await _reps(settings)
    problems += rep_problems
    connector = build_connector(settings)
    assert connector is not None
    try:
        problems += await connector.check(reps)
    finally:
        await connector.aclose()
    notes = _push_notes(settings)
    problems.sort(key=lambda p: p.key if isinstance(p, CheckProblem) else "")
    return problems, notes


def _push_notes(settings: Settings) -> list[str]:
    crm = settings.team.crm
    if crm.provider == "hubspot" and settings.hubspot_client_secret is None:
        return [
            "HUBSPOT_CLIENT_SECRET is not set: POST /api/crm/hubspot/webhook is off, "
            f"MQLs arrive by polling every {crm.poll_every}."
        ]
    if crm.provider == "salesforce" and crm.salesforce.organization_id is None:
        return [
            "crm.salesforce.organization_id is not set: POST /api/crm/salesforce/outbound "
            f"refuses every message, MQLs arrive by polling every {crm.poll_every}."
        ]
    return []


async def _reps(settings: Settings) -> tuple[dict[str, str], list[Any]]:
    """The reps in Slack (on duty, surveyed, or in the lead channel) and their addresses.

    Reps mapped in crm.owners need no address; the others are matched by it.
    """
    from bot.app import slack_client
    from bot.crm.connector import CheckProblem
    from bot.crm.owners import slack_email
    from bot.slack.directory import Directory

    if settings.slack_bot_token is None:
        return {}, [CheckProblem("SLACK_BOT_TOKEN", "is not set; reps cannot be listed")]
    team = settings.team
    client = slack_client(settings)
    directory = Directory(client)
    users = set(await directory.members(team.sla.on_duty))
    users |= await directory.members(team.survey.reps)
    if not users:
        response = await client.conversations_members(channel=team.channels.leads)
        users = set(response.get("members") or [])
    reps: dict[str, str] = {}
    problems: list[Any] = []
    for user_id in sorted(users - set(team.crm.owners)):
        info = (await client.users_info(user=user_id)).get("user") or {}
        if info.get("is_bot") or info.get("deleted"):
            continue
        email, problem = await slack_email(client, user_id)
        if email:
            reps[user_id] = email
        else:
            problems.append(CheckProblem(f"crm.owners.{user_id}", problem or "no address"))
    return reps, problems


@crm.command("sync")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
    default=None,
    help="Read MQLs changed since this date (team time zone); default: the poll cursor.",
)
@click.pass_context
def sync(ctx: click.Context, since: datetime | None) -> None:
    """Backfill MQLs through the same path as the poller, with a progress bar and a summary."""
    settings = load(ctx.obj["config"])
    if not settings.team.crm.enabled:
        fail(["crm.provider: is none; set hubspot or salesforce"], "No CRM is configured:")
    start = since.replace(tzinfo=settings.team.zone) if since else None
    summary = asyncio.run(_sync(settings, start))
    table = Table(
        title=f"{settings.team.crm.provider} sync since {summary['since']:%Y-%m-%d %H:%M}"
    )
    table.add_column("result")
    table.add_column("records", justify="right")
    for label in ("created", "duplicates", "invalid"):
        table.add_row(label, str(summary[label]))
    out.print(table)
    for problem in summary["problems"][:20]:
        out.print(f"  {problem}", markup=False, highlight=False)
    if summary["created"]:
        out.print(f"{summary['created']} cards are queued; `handoff run` posts them.")
    if summary["error"]:
        console.print(f"[red]Stopped early:[/] {summary['error']}", highlight=False)
        console.print("Run it again to resume; what was read is stored.")
        sys.exit(1)


async def _sync(settings: Settings, since: datetime | None) -> dict[str, Any]:
    from bot.crm.poll import pull
    from bot.crm.service import build_crm
    from bot.timekeeping.clock import SystemClock
    from storage.crm import cursor_of
    from storage.database import Database

    db = Database(settings.database_url)
    await db.upgrade()
    clock = SystemClock()
    crm = build_crm(settings, db, clock)
    assert crm is not None
    if hasattr(crm.connector, "patience"):
        crm.connector.patience = 60.0  # a backfill waits for the rate limit rather than stop
    if since is None:
        async with db.session() as session:
            cursor = await cursor_of(session, crm.provider)
        since = cursor.position if cursor and cursor.position else None
        since = since or clock.now() - timedelta(days=DEFAULT_SYNC_DAYS)
    try:
        with Progress(
            SpinnerColumn(), TextColumn("Reading {task.completed} records"), console=console
        ) as bar:
            task = bar.add_task("sync", total=None)
            summary = await pull(
                crm, since, on_page=lambda page, _: bar.advance(task, len(page.records))
            )
    finally:
        await crm.connector.aclose()
        await db.dispose()
    return {
        "since": since,
        "created": summary.created,
        "duplicates": summary.duplicates,
        "invalid": len(summary.invalid),
        "problems": summary.invalid,
        "error": summary.error,
    }
