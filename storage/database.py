"""Engine, sessions and migrations for SQLite (embedded) and PostgreSQL (replicas)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS = Path(__file__).parent / "migrations"

# What "the store is not answering" looks like, whichever layer raises it: the socket
# (refused, reset), asyncpg while the server starts or shuts down, SQLAlchemy's own
# wrappers and its pool, SQLite's locked or full file. Callers answer 503 and retry.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.InterfaceError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)


def store_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) means the store is down, starting or full."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        if isinstance(current, _UNAVAILABLE):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
        seen += 1
    return False


def async_url(database_url: str) -> URL:
    """Map the URL people write (sqlite:///x.db, postgresql://…) to the async driver we ship."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")


def _configure_sqlite(engine: AsyncEngine) -> None:
    # WAL lets the card worker read while a click writes; BEGIN IMMEDIATE takes
    # the write lock up front so that a read-then-write unit (duplicate checks)
    # queues behind another writer instead of failing half-way with SQLITE_BUSY.
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One engine per process; sessions per unit of work."""

    def __init__(self, database_url: str, *, echo: bool = False) -> None:
        self.url = async_url(database_url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        # Parameters are leads' personal data: keep them out of exception text and logs.
        options: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.is_sqlite:
            options["connect_args"] = {"timeout": 30}
        else:
            options.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # SQLite: one unit of work at a time per event loop (see session()).
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends, rolls back if it raises.

        On SQLite every unit takes the write lock (BEGIN IMMEDIATE), and connections
        waiting for it poll with sleeps of up to 100 ms: under a burst of clicks they
        convoy, and the pool runs dry. So the process's units queue on an asyncio lock
        instead, and each finds the file's lock free when its turn comes.
        """
        if not self.is_sqlite:
            async with self._unit() as session:
                yield session
            return
        loop = asyncio.get_running_loop()
        turn = self._turns.setdefault(loop, asyncio.Lock())
        async with turn, self._unit() as session:
            yield session

    @asynccontextmanager
    async def _unit(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def upgrade(self) -> None:
        """Apply Alembic migrations to every head (safe from several replicas at once)."""
        await asyncio.to_thread(upgrade_database, self.url.render_as_string(hide_password=False))


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def upgrade_database(database_url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(str(async_url(database_url).render_as_string(False))), revision)
