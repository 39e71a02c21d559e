"""Fresh, migrated stores for one benchmark run each, removed afterwards."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from storage.database import upgrade_database


@contextmanager
def fresh_sqlite(workdir: Path, _admin_url: str) -> Iterator[str]:
    path = workdir / f"bench-{time.time_ns()}.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    try:
        yield url
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def fresh_postgres(_workdir: Path, admin_url: str) -> Iterator[str]:
    """A `handoff_bench_*` database on the server of `admin_url`, dropped at the end."""
    name = f"handoff_bench_{time.time_ns()}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade_database(url)
        yield url
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
