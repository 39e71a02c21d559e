"""Alembic environment: runs migrations over the same async drivers the bot uses."""

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import storage.crm_models  # (the CRM connector's tables)
import storage.definition_models
import storage.feedback_models
import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage import routing_models, survey_models  # noqa: F401  (routing, survey tables)

# Any fixed number works; it only has to be the same for every replica.
MIGRATION_LOCK_ID = 0x48414E44


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Several replicas may start together; the first migrates, the others wait.
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()


async def _main() -> None:
    url = context.config.attributes.get("database_url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


asyncio.run(_main())
