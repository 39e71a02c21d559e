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

from bot.settings import Settings, SettingsError, load_settings, missing_for_run
from bot.timekeeping.clock import SystemClock
from bot.timekeeping.durations import format_duration

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
    if not verbose:
        # Migration and HTTP client chatter hides what a person needs to read.
        for noisy in ("alembic", "httpx"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
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
        f"rejections to {team.channels.marketing}, SLA {format_duration(team.sla.respond_within)}, "
        f"{len(team.rejection_reasons)} rejection reasons; database {settings.database_url.split('://')[0]}."
    )


@main.command()
@click.option(
    "--url", required=True, help="Public base URL of the bot, e.g. https://handoff.example.com"
)
@click.option("--name", default="Handoff", show_default=True, help="App name shown in Slack.")
def manifest(url: str, name: str) -> None:
    """Print a Slack app manifest (YAML) for 'Create an app from a manifest'."""
    from bot.slack.manifest import app_manifest, dump_manifest

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
    from bot.leads.importing import detect_format

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
    from bot.leads.importing import read_rows
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


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=3000,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option(
    "--db",
    "db_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file that keeps the demo's leads (default: a temporary file).",
)
@click.option(
    "--leads",
    type=click.IntRange(0, 500),
    default=3,
    show_default=True,
    help="Sample leads to send when the demo starts.",
)
@click.pass_context
def demo(ctx: click.Context, port: int, db_file: Path | None, leads: int) -> None:
    """Try Handoff without Slack: the real bot, a local fake workspace, a page in your browser."""
    import contextlib
    import tempfile

    from bot.sandbox.demo import build_demo, listening_socket, serve_demo
    from bot.sandbox.demo.server import DEFAULT_HOST
    from storage.database import upgrade_database

    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        # Each page action is a few HTTP calls on this port; keep the terminal readable.
        for name in ("httpx", "alembic", "apscheduler"):
            logging.getLogger(name).setLevel(logging.WARNING)

    with contextlib.ExitStack() as stack:
        if db_file is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="handoff-demo-"))
            db_path, kept = Path(folder) / "demo.db", "deleted when the demo stops"
        else:
            db_path, kept = db_file.resolve(), "kept"
        try:
            sock = listening_socket(DEFAULT_HOST, port)
        except OSError as exc:
            _fail([f"--port {port}: {exc.strerror or exc}"], "Cannot start the demo:")
        stack.callback(sock.close)
        database_url = f"sqlite:///{db_path}"
        upgrade_database(database_url)
        handoff_demo = build_demo(
            database_url, port=sock.getsockname()[1], config_path=ctx.obj["config"]
        )

        def ready() -> None:
            out.print(f"[bold green]Handoff demo:[/] {handoff_demo.url}/", highlight=False)
            out.print(f"  team: {handoff_demo.team_source}", markup=False, highlight=False)
            out.print(f"  database: {db_path} ({kept})", markup=False, highlight=False)
            out.print(f"  sending {leads} sample leads; Ctrl-C stops.", highlight=False)

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_demo(handoff_demo, sock, leads=leads, on_ready=ready))


@main.command()
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

    settings = _settings(ctx.obj["config"])
    missing = [n for n in missing_for_run(settings) if n != "HANDOFF_INTAKE_TOKEN"]
    if missing:
        _fail([f"{name} is not set" for name in missing], "handoff digest needs Slack's settings:")
    try:
        text = asyncio.run(_digest(settings, week_text, post=post, chart=chart))
    except PeriodError as exc:
        _fail([f"--week: {exc}"], "Cannot render the digest:")
    except TimeoutError as exc:
        _fail([str(exc)], "The digest is queued but Slack did not take it:")
    out.print(text, markup=False, highlight=False, end="")


async def _digest(settings: Settings, week_text: str, *, post: bool, chart: Path | None) -> str:
    from bot.app import create_app
    from bot.feedback.digest import digest_text, post_by_hand
    from bot.timekeeping.periods import parse_iso_week
    from storage.database import Database

    db = Database(settings.database_url)
    await db.upgrade()
    services = create_app(settings, db=db).services
    try:
        week = parse_iso_week(week_text, now=services.clock.now(), zone=settings.team.zone)
        if post:
            return await post_by_hand(services, week)
        text, png = await digest_text(services, week, with_chart=chart is not None)
    finally:
        await db.dispose()
    if chart is not None and png is not None:
        await asyncio.to_thread(chart.write_bytes, png)
        text += f"\nChart written to {chart}.\n"
    return text


@main.command("sla")
@click.option("--limit", type=int, default=200, show_default=True, help="Show at most this many.")
@click.pass_context
def sla(ctx: click.Context, limit: int) -> None:
    """List open leads with their response deadlines and who is on the hook."""
    from dataclasses import astuple

    from rich.text import Text
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from bot.sla.report import sla_rows

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
