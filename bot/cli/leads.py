"""`handoff import`: leads from files, through the intake's validation and dedup."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from bot.cli.base import console, fail, load, out
from bot.settings import Settings
from bot.timekeeping.clock import SystemClock

IMPORT_CHUNK = 200


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "file_format", type=click.Choice(["csv", "jsonl"]), default=None)
@click.pass_context
def import_leads(ctx: click.Context, file: Path, file_format: str | None) -> None:
    """Import leads from CSV or JSON Lines with the same validation and dedup as the API."""
    from bot.leads.importing import detect_format

    settings = load(ctx.obj["config"])
    try:
        file_format = file_format or detect_format(file)
    except ValueError as exc:
        fail([str(exc)], "Cannot import:")
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
