"""Online backups: a consistent copy of a SQLite store while the bot writes to it, and the
pg_dump command for a PostgreSQL one.

SQLite's online backup API copies the database page by page through a connection of
its own. Copying in steps would restart whenever another connection writes between two
steps, and a busy bot writes every second, so the copy runs inside one read transaction:
in WAL mode that pins a snapshot, the bot's writes go on beside it, and every step reads
the same snapshot. The copy is written next to the target and renamed into place only
when it is complete, in rollback-journal mode so that it is one self-contained file.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import URL, make_url

# Pages copied per step: small enough for a progress bar to move, large enough to be quick.
PAGES_PER_STEP = 1024
# Told after each step: pages copied so far, pages in all.
Progress = Callable[[int, int], None]


class BackupError(Exception):
    """The backup cannot be made; the message says why and what to do."""


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL; None for any other store."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory; there is no file to back up")
    return Path(url.database)


def check_backup(source: Path, target: Path, *, overwrite: bool) -> None:
    """Refuse, before any work, a backup that cannot or must not be made."""
    if not source.is_file():
        raise BackupError(f"there is no SQLite database at {source}")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists; pass --force to replace it")
    if target.resolve() == source.resolve():
        raise BackupError("the backup cannot replace the database itself")
    if not target.parent.is_dir():
        raise BackupError(f"there is no directory {target.parent}")


def backup_sqlite(
    source: Path, target: Path, *, overwrite: bool = False, progress: Progress | None = None
) -> int:
    """Copy the SQLite database `source` to `target` consistently; returns the pages copied.

    Blocking: call it in a thread (asyncio.to_thread) from async code.
    """
    check_backup(source, target, overwrite=overwrite)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    # mode=rw: never create an empty database where the real one was expected.
    src = sqlite3.connect(f"file:{quote(str(source))}?mode=rw", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.isolation_level = None
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # pins the snapshot
        pages = 0

        def report(_status: int, remaining: int, total: int) -> None:
            nonlocal pages
            pages = total
            if progress is not None:
                progress(total - remaining, total)

        src.backup(dst, pages=PAGES_PER_STEP, progress=report)
        src.execute("COMMIT")
        dst.execute("PRAGMA journal_mode=DELETE")
        dst.close()
        os.replace(partial, target)
        return pages
    finally:
        dst.close()
        src.close()
        partial.unlink(missing_ok=True)


def _conninfo(database_url: str) -> str:
    """The URL as libpq reads it, without the password (PGPASSWORD or ~/.pgpass hold it)."""
    url = make_url(database_url)
    # URL.set(password=None) keeps the password (None means "unchanged"): build a new URL.
    bare = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    return bare.render_as_string(hide_password=False)


def pg_dump_command(database_url: str, target: str) -> list[str]:
    """pg_dump of the configured database into one custom-format archive."""
    return ["pg_dump", "--format=custom", f"--file={target}", f"--dbname={_conninfo(database_url)}"]


def pg_restore_command(database_url: str, source: str) -> list[str]:
    """pg_restore of such an archive over the configured database (the bot stopped)."""
    conninfo = _conninfo(database_url)
    return ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={conninfo}", source]


def shell_line(command: list[str]) -> str:
    return " ".join(shlex.quote(part) for part in command)
