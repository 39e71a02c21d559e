"""Fixtures: real SQLite files, the real PostgreSQL server, the fake Slack workspace."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from pydantic import SecretStr

from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace, InteractionSender
from bot.settings import Settings, TeamConfig
from storage.database import upgrade_database
from tests.harness import BotServer

BOT_TOKEN = "xoxb-test-handoff-token"
SIGNING_SECRET = "test-signing-secret-0123456789"
INTAKE_TOKEN = "intake-token-0123456789abcdef"
APP_TOKEN = "xapp-1-A0HANDOFF-1-test-app-token"
POSTGRES_URL = os.environ.get(
    "HANDOFF_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("HANDOFF_REQUIRE_POSTGRES") == "1"

TEAM: dict[str, Any] = {
    "channels": {"leads": "C0LEADS", "marketing": "C0MKTG", "alignment": "C0ALIGN"},
    "timezone": "Europe/Berlin",
    "marketers": {"users": ["U0MKT"]},
    "admins": {"users": ["U0MGR"]},
    "sla": {"on_duty": {"usergroup": "S0REPS"}, "escalate_to": "U0MGR"},
    # Off unless a test turns it on: with the real clock a Monday run would post one.
    "digest": {"enabled": False},
    # Off unless a test turns it on: on a real clock it would DM the reps in every test.
    "survey": {"enabled": False},
}


# --- databases -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "handoff.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "handoff.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def _admin(coroutine_factory: Any) -> Any:
    return asyncio.run(coroutine_factory())


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of our own on the PostgreSQL server, migrated once, dropped at the end."""
    name = f"handoff_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    dsn = POSTGRES_URL

    async def create() -> None:
        connection = await asyncpg.connect(dsn, timeout=3)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    try:
        _admin(create)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = f"PostgreSQL not reachable at {dsn} ({type(exc).__name__}: {exc})"
        if REQUIRE_POSTGRES:
            pytest.fail(message + "; CI requires it", pytrace=False)
        pytest.skip(message)
    url = dsn.rsplit("/", 1)[0] + f"/{name}"
    upgrade_database(url)
    yield url

    async def drop() -> None:
        connection = await asyncpg.connect(dsn, timeout=3)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    _admin(drop)


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""

    async def truncate() -> None:
        connection = await asyncpg.connect(
            postgres_database.replace("postgresql://", "postgres://")
        )
        try:
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
            # A connection a previous test's bot left behind must not hold the TRUNCATE up.
            await connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if tables:
                names = ", ".join(f'"{t["tablename"]}"' for t in tables)
                await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        finally:
            await connection.close()

    _admin(truncate)
    return postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run the test once on a fresh SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


# --- settings and Slack ----------------------------------------------------------------


def make_settings(
    database_url: str, api_url: str = "http://127.0.0.1:9/api/", **team: Any
) -> Settings:
    merged = {**TEAM, **team}
    return Settings(
        team=TeamConfig.model_validate(merged),
        config_path=Path("app.yaml"),
        slack_bot_token=SecretStr(BOT_TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        intake_token=SecretStr(INTAKE_TOKEN),
        database_url=database_url,
        slack_api_url=api_url,
    )


@pytest.fixture
def transport(request: pytest.FixtureRequest) -> str:
    """How Slack reaches the bot: "http" unless a test asks for both with
    `@pytest.mark.parametrize("transport", ["http", "socket"], indirect=True)`."""
    return getattr(request, "param", "http")


@pytest.fixture
def workspace() -> FakeWorkspace:
    return FakeWorkspace.seeded(bot_token=BOT_TOKEN, app_token=APP_TOKEN)


@pytest.fixture
def slack(workspace: FakeWorkspace) -> Iterator[FakeSlackServer]:
    with FakeSlackServer(workspace) as server:
        yield server


@pytest.fixture
def settings(database_url: str, slack: FakeSlackServer, transport: str) -> Settings:
    settings = make_settings(database_url, slack.api_url)
    if transport == "socket":
        # An app-level token is what switches the bot to Socket Mode.
        settings = settings.model_copy(update={"slack_app_token": SecretStr(APP_TOKEN)})
    return settings


@pytest.fixture
def bot(settings: Settings) -> Iterator[BotServer]:
    with BotServer(settings) as server:
        yield server


@pytest.fixture
def sender(
    workspace: FakeWorkspace, slack: FakeSlackServer, bot: BotServer, transport: str
) -> InteractionSender:
    return InteractionSender(
        workspace,
        bot_url=bot.url,
        signing_secret=SIGNING_SECRET,
        response_base_url=slack.url,
        transport="socket" if transport == "socket" else "http",
    )
