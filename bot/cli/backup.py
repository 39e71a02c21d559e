"""`handoff db backup FILE`: a consistent copy of the SQLite store while the bot runs.

For PostgreSQL it prints the pg_dump command for the configured database instead: the
server's own tools are the right ones there (and point-in-time recovery beyond them).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bot.cli.base import console, fail, load, out


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.pass_context
def backup(ctx: click.Context, file: Path, force: bool) -> None:
    """Copy the SQLite database to FILE, consistently, while the bot keeps running.

    The copy is one self-contained SQLite file (restore: stop the bot, put it in place
    of the database file, start the bot). For PostgreSQL, prints the pg_dump command.
    """
    from storage.backup import (
        BackupError,
        check_backup,
        pg_dump_command,
        pg_restore_command,
        shell_line,
        sqlite_path,
    )

    settings = load(ctx.find_root().obj["config"])
    try:
        source = sqlite_path(settings.database_url)
    except BackupError as exc:
        fail([str(exc)], "Cannot back up the database:")
    if source is None:
        fail(
            [
                "handoff db backup copies SQLite files; for PostgreSQL use pg_dump:",
                shell_line(pg_dump_command(settings.database_url, str(file))),
                "(the password is not shown: pg_dump reads PGPASSWORD or ~/.pgpass)",
                "and to restore it (with the bot stopped):",
                shell_line(pg_restore_command(settings.database_url, str(file))),
            ],
            "The database is PostgreSQL:",
        )
    try:
        check_backup(source, file, overwrite=force)
        pages = asyncio.run(_copy(source, file, force=force))
    except BackupError as exc:
        fail([str(exc)], "Cannot back up the database:")
    size = file.stat().st_size
    out.print(f"Backed up {source} to {file}: {pages} pages, {size:,} bytes.", highlight=False)


async def _copy(source: Path, target: Path, *, force: bool) -> int:
    """The copy runs in a thread (sqlite3 blocks) while rich redraws the bar from its own."""
    from storage.backup import backup_sqlite

    with Progress(
        TextColumn("Backing up"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("backup", total=None)
        return await asyncio.to_thread(
            backup_sqlite,
            source,
            target,
            overwrite=force,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
