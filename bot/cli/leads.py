"""`handoff import`: leads from CRM exports and files, through the intake's validation and dedup."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from bot.cli.base import console, fail, load, out
from bot.cli.errors import store_errors
from bot.settings import Settings
from bot.timekeeping.clock import SystemClock

if TYPE_CHECKING:
    from bot.leads.importing.reader import Export
    from bot.leads.importing.run import ImportOptions, ImportResult

PREVIEWS = 5


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "file_format", type=click.Choice(["csv", "jsonl"]), default=None)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML or JSON: column name → lead field, fields.KEY or ignore (wins over app.yaml).",
)
@click.option("--encoding", default=None, help="Read the file in this encoding (e.g. cp1252).")
@click.option("--dry-run", is_flag=True, help="Check; show the first cards; store nothing.")
@click.option(
    "--no-cards", is_flag=True, help="Store history for the numbers: no cards, no SLA clocks."
)
@click.pass_context
def import_leads(
    ctx: click.Context,
    file: Path,
    file_format: str | None,
    mapping_file: Path | None,
    encoding: str | None,
    dry_run: bool,
    no_cards: bool,
) -> None:
    """Import leads from a CSV export (HubSpot, Salesforce, any CSV) or JSON Lines."""
    from bot.definition.grading import grading_for
    from bot.leads.importing.run import ImportOptions

    settings = load(ctx.obj["config"])
    export = _open_export(settings, file, file_format, mapping_file, encoding)
    options = ImportOptions(
        zone=settings.team.zone,
        dedup_window=settings.team.intake.dedup_window,
        post_cards=not no_cards,
        previews=PREVIEWS if dry_run else 0,
        grading=grading_for(settings.team),
    )
    with store_errors(settings.database_url):
        result = asyncio.run(_import(settings, export, options, dry_run=dry_run))
    _print_columns(export)
    _print_result(settings, export, result, dry_run=dry_run, no_cards=no_cards)
    sys.exit(1 if result.invalid_count else 0)


def _open_export(
    settings: Settings,
    file: Path,
    file_format: str | None,
    mapping_file: Path | None,
    forced_encoding: str | None,
) -> Export:
    from bot.leads.importing.columns import Origin, load_mapping_file
    from bot.leads.importing.encoding import EncodingUnknown, detect_encoding
    from bot.leads.importing.reader import (
        CsvExport,
        ImportFileError,
        JsonLinesExport,
        detect_format,
    )

    title = f"Cannot import {file.name}:"
    try:
        file_format = file_format or detect_format(file)
        overrides: list[tuple[Origin, Mapping[str, str]]] = [
            (Origin.APP_YAML, settings.team.import_.mapping)
        ]
        if mapping_file is not None:
            if file_format != "csv":
                raise ImportFileError("--mapping applies to CSV files; JSON Lines name lead fields")
            overrides.append((Origin.OPTION, load_mapping_file(mapping_file)))
        encoding = detect_encoding(file, forced_encoding)
        if file_format == "csv":
            return CsvExport(file, encoding, overrides)
        return JsonLinesExport(file, encoding)
    except (ImportFileError, EncodingUnknown, ValueError) as exc:
        fail(str(exc).splitlines(), title)


async def _import(
    settings: Settings, export: Export, options: ImportOptions, *, dry_run: bool
) -> ImportResult:
    from bot.leads.importing.run import import_rows
    from storage.database import Database

    db = None
    if not dry_run:  # a dry run opens no database, so it creates or migrates none
        db = Database(settings.database_url)
        await db.upgrade()
    try:
        with Progress(
            TextColumn("Checking" if dry_run else "Importing"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("import", total=export.size)
            return await import_rows(
                export,
                db,
                options,
                clock=SystemClock().now,
                progress=lambda done: bar.update(task, completed=done),
            )
    finally:
        if db is not None:
            await db.dispose()


def _print_columns(export: Export) -> None:
    delimiter = {",": "comma", ";": "semicolon", "\t": "tab"}.get(getattr(export, "delimiter", ""))
    layout = f", {delimiter}-separated" if delimiter else ""
    out.print(f"{export.path.name}: {export.encoding.label}{layout}", markup=False)
    plan = export.plan
    if plan is not None:
        out.print("Columns:")
        for column in plan.mapped():
            out.print(f"  {column.header} → {column.target} ({column.origin})", markup=False)
        into_fields = ", ".join(c.header for c in plan.into_fields())
        ignored = ", ".join(c.header for c in plan.ignored())
        out.print(f"  into fields: {into_fields or '(none)'}", markup=False)
        out.print(f"  ignored: {ignored or '(none)'}", markup=False)
        if plan.not_found:
            missing = ", ".join(plan.not_found)
            out.print(f"  not in this file (--mapping): {missing}", markup=False)
        if not plan.fills("created_at"):
            out.print("  no creation date column: leads arrive now", markup=False)
    skipped = export.skipped
    if skipped.header_block:
        out.print(f"Skipped {skipped.header_block} report header lines before the column names.")
    if skipped.footer:
        examples = "; ".join(skipped.footer_lines)
        out.print(f"Skipped {skipped.footer} report footer lines ({examples}).", markup=False)


def _print_result(
    settings: Settings, export: Export, result: ImportResult, *, dry_run: bool, no_cards: bool
) -> None:
    from bot.leads.importing.preview import preview_line

    table = Table(title="Checked (dry run)" if dry_run else "Imported")
    table.add_column("result")
    table.add_column("leads", justify="right")
    if dry_run:
        table.add_row("valid", str(result.valid))
    else:
        table.add_row("created", str(result.created))
        table.add_row("duplicate", str(result.duplicate))
    table.add_row("invalid", str(result.invalid_count))
    out.print(table)
    for line, message in result.invalid:
        out.print(f"  line {line}: {message}", markup=False, highlight=False, soft_wrap=True)
    if result.invalid_count > len(result.invalid):
        out.print(f"  … and {result.invalid_count - len(result.invalid)} more invalid lines")
    if result.duplicate_lines:
        lines = ", ".join(str(n) for n in result.duplicate_lines)
        more = "…" if result.duplicate > len(result.duplicate_lines) else ""
        out.print(f"  duplicate lines: {lines}{more}", markup=False, highlight=False)
    if dry_run:
        out.print("Dry run: nothing was stored; duplicates are decided when you import.")
        now = SystemClock().now()
        for parsed in result.previews:
            line = preview_line(parsed, list(settings.team.card.fields), settings.team.zone, now)
            out.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    elif no_cards:
        out.print(f"{result.created} leads stored as history: no cards, no SLA clocks.")
    elif result.created:
        out.print(f"{result.created} cards are queued; `handoff run` posts them.")
