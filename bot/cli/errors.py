"""What a failed database connection means, in one line a person can act on.

Every command that opens the store (`run`, `db upgrade`, `import`, `sla`, `digest`,
`check --online`) wraps that work in `store_errors`, so a wrong or unreachable
DATABASE_URL is one line naming the variable and the cause instead of a traceback.
The drivers raise different things for the same mistake (asyncpg a ConnectionRefusedError
or its own exceptions, aiosqlite sqlite3's OperationalError, both wrapped by SQLAlchemy):
`store_problem` reads the whole chain of causes and names the mistake once.
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.cli.base import console


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and everything behind it: `raise … from`, the implicit context, and the
    driver's own error that SQLAlchemy keeps in `orig`."""
    queue, seen = [exc], set()
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        for nxt in (orig, current.__cause__, current.__context__):
            if isinstance(nxt, BaseException):
                queue.append(nxt)


def store_problem(exc: BaseException, database_url: str) -> str | None:
    """The cause of a failed connection to `database_url` as a sentence, or None if `exc`
    is not about reaching the store (a missing table, a bug: those keep their traceback)."""
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError):
        return "is not a database URL (write sqlite:///FILE or postgresql://USER@HOST/DB)"
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    for cause in _causes(exc):
        if isinstance(cause, ArgumentError | ValueError) and cause is exc:
            return f"is not a usable database URL ({cause})"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused at {where}: is PostgreSQL running and listening there?"
        if isinstance(cause, socket.gaierror):
            return f"unknown host {url.host!r}: check the host name"
        if isinstance(cause, asyncpg.InvalidCatalogNameError):
            return f"database {url.database!r} does not exist on {where} (createdb {url.database})"
        if isinstance(cause, asyncpg.InvalidAuthorizationSpecificationError):
            return f"authentication failed for user {url.username!r} on {where}: {cause}"
        if isinstance(cause, TimeoutError):
            return f"no answer from {where} in time: check the host, the port and the firewall"
        if isinstance(cause, sqlite3.OperationalError) and "unable to open" in str(cause):
            return _sqlite_problem(url.database or "")
        if isinstance(cause, OSError) and url.get_backend_name() != "sqlite":
            return f"cannot reach {where}: {cause.strerror or cause}"
    return None


def sqlite_folder_problem(database_url: str) -> str | None:
    """For a SQLite URL whose folder does not exist, the problem; otherwise None."""
    with contextlib.suppress(ArgumentError, ValueError):
        url = make_url(database_url)
        # An in-memory database (":memory:", or no name) has no folder.
        if url.get_backend_name() == "sqlite" and url.database and url.database[0] != ":":
            folder = Path(url.database).expanduser().resolve().parent
            if not folder.is_dir():
                return f"no such file or directory: the folder {folder} does not exist"
    return None


def _sqlite_problem(database: str) -> str:
    folder = Path(database).expanduser().resolve().parent
    if not folder.is_dir():
        return f"no such file or directory: the folder {folder} does not exist"
    return f"cannot open {database}: check that the folder {folder} is writable"


def fail_store(problem: str, database_url: str) -> NoReturn:
    shown = database_url
    with contextlib.suppress(ArgumentError, ValueError):
        shown = make_url(database_url).render_as_string(hide_password=True)
    console.print(
        f"[bold red]DATABASE_URL[/] ({shown}): {problem}", highlight=False, soft_wrap=True
    )
    sys.exit(2)


@contextmanager
def store_errors(database_url: str) -> Iterator[None]:
    """Exit 2 with one line naming DATABASE_URL when the store cannot be reached."""
    problem = sqlite_folder_problem(database_url)
    if problem is not None:
        # Checked up front: aiosqlite's worker thread prints its own traceback otherwise.
        fail_store(problem, database_url)
    try:
        yield
    except Exception as exc:
        problem = store_problem(exc, database_url)
        if problem is None:
            raise
        fail_store(problem, database_url)
