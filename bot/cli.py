"""The `handoff` command."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from bot.clock import SystemClock
from bot.settings import Settings, SettingsError, load_settings, missing_for_run

console = Console(stderr=True)
out = Console()
IMPORT_CHUNK = 200


def _fail(lines: list[str], title: str) -> NoReturn:
    console.print(f"[bold red]{title}[/]")
    for line in lines:
        console.print(f"  • {line}", markup=False, highlight=False)
    sys.exit(2)


def _settings(config: str | None) -> Settings:
    try:
        return load_settings(config_path=config)
    except SettingsError as exc:
        _fail([str(p) for p in exc.problems], "Handoff's configuration has problems:")


@click.group()
@click.option("--config", envvar="HANDOFF_CONFIG", default=None, help="Path of app.yaml.")
@click.option("-v", "--verbose", is_flag=True, help="Log debug output.")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """Handoff: MQL cards in Slack, claims, rejection reasons and shared numbers."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = {"config": config}


@main.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=None, help="Port (default: PORT or 3000).")
@click.pass_context
def run(ctx: click.Context, host: str, port: int | None) -> None:
    """Serve Slack's requests, the lead intake API and /healthz."""
    import uvicorn

    from bot.app import create_app
    from storage.database import upgrade_database

    settings = _settings(ctx.obj["config"])
    missing = missing_for_run(settings)
    if missing:
        _fail(
            [f"{name} is not set" for name in missing],
            "handoff run needs these environment variables "
            "(try `handoff demo` to run without Slack):",
        )
    upgrade_database(settings.database_url)
    handoff = create_app(settings)
    uvicorn.run(handoff.http, host=host, port=port or settings.port, log_level="info")


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply schema migrations (also done by `handoff run` at start-up)."""
    from storage.database import upgrade_database

    settings = _settings(ctx.find_root().obj["config"])
    upgrade_database(settings.database_url)
    out.print("Database is up to date.")


@main.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate app.yaml and the environment; exit 2 listing every problem."""
    try:
        settings = load_settings(config_path=ctx.obj["config"])
    except SettingsError as exc:
        _fail([str(p) for p in exc.problems], "Problems found:")
    missing = missing_for_run(settings)
    if missing:
        _fail([f"{name}: is not set" for name in missing], "Problems found:")
    team = settings.team
    out.print(
        f"[green]OK[/] {settings.config_path}: cards go to {team.channels.leads}, "
        f"rejections to {team.channels.marketing}, SLA {team.sla.respond_within}, "
        f"{len(team.rejection_reasons)} rejection reasons; database {settings.database_url.split('://')[0]}."
    )


@main.command()
@click.option(
    "--url", required=True, help="Public base URL of the bot, e.g. https://handoff.example.com"
)
@click.option("--name", default="Handoff", show_default=True, help="App name shown in Slack.")
def manifest(url: str, name: str) -> None:
    """Print a Slack app manifest (YAML) for 'Create an app from a manifest'."""
    from bot.manifest import app_manifest, dump_manifest

    try:
        out.print(dump_manifest(app_manifest(url, name=name)), markup=False, highlight=False)
    except ValueError as exc:
        _fail([f"--url: {exc}"], "Cannot build the manifest:")


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "file_format", type=click.Choice(["csv", "jsonl"]), default=None)
@click.pass_context
def import_leads(ctx: click.Context, file: Path, file_format: str | None) -> None:
    """Import leads from CSV or JSON Lines with the same validation and dedup as the API."""
    from bot.lead_import import detect_format

    settings = _settings(ctx.obj["config"])
    try:
        file_format = file_format or detect_format(file)
    except ValueError as exc:
        _fail([str(exc)], "Cannot import:")
    summary = asyncio.run(_import(settings, file, file_format))
    table = Table(title=f"Imported {file.name}")
    table.add_column("result")
    table.add_column("leads", justify="right")
    table.add_row("created", str(summary["created"]))
    table.add_row("duplicate", str(summary["duplicate"]))
    table.add_row("invalid", str(len(summary["invalid"])))
    out.print(table)
    for line, message in summary["invalid"]:
        out.print(f"  line {line}: {message}", markup=False, highlight=False)
    if summary["created"]:
        out.print(f"{summary['created']} cards are queued; `handoff run` posts them.")
    sys.exit(1 if summary["invalid"] else 0)


async def _import(settings: Settings, file: Path, file_format: str) -> dict[str, Any]:
    from bot.lead_import import read_rows
    from storage.database import Database
    from storage.lead_input import LeadIn, field_errors
    from storage.leads import IngestStatus, ingest_leads

    db = Database(settings.database_url)
    await db.upgrade()
    clock = SystemClock()
    summary: dict[str, Any] = {"created": 0, "duplicate": 0, "invalid": []}
    rows = list(read_rows(file, file_format))
    chunk: list[LeadIn] = []

    async def flush() -> None:
        if not chunk:
            return
        async with db.session() as session:
            outcomes = await ingest_leads(
                session, chunk, now=clock.now(), dedup_window=settings.team.intake.dedup_window
            )
        for outcome in outcomes:
            summary["created" if outcome.status is IngestStatus.CREATED else "duplicate"] += 1
        chunk.clear()

    with Progress(
        TextColumn("Importing"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("import", total=len(rows))
        for row in rows:
            bar.advance(task)
            if row.problem or row.data is None:
                summary["invalid"].append((row.line, row.problem or "is empty"))
                continue
            try:
                chunk.append(LeadIn.model_validate(row.data))
            except ValidationError as exc:
                text = "; ".join(f"{e.field}: {e.message}" for e in field_errors(exc))
                summary["invalid"].append((row.line, text))
            if len(chunk) >= IMPORT_CHUNK:
                await flush()
        await flush()
    await db.dispose()
    return summary


@main.command("sla")
@click.option("--limit", type=int, default=200, show_default=True, help="Show at most this many.")
@click.pass_context
def sla(ctx: click.Context, limit: int) -> None:
    """List open leads with their response deadlines and who is on the hook."""
    from dataclasses import astuple

    from rich.text import Text
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from bot.sla_report import sla_rows

    settings = _settings(ctx.obj["config"])
    now = SystemClock().now()
    try:
        leads = asyncio.run(_open_leads(settings, limit))
    except (OperationalError, ProgrammingError) as exc:
        _fail(
            [str(exc.orig)], "Cannot read the leads; is the database migrated (handoff db upgrade)?"
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


async def _open_leads(settings: Settings, limit: int) -> list[Any]:
    from storage.database import Database
    from storage.sla import open_leads

    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            return await open_leads(session, limit=limit)
    finally:
        await db.dispose()
