"""The `handoff` command: the group and its subcommands, one module per area."""

from __future__ import annotations

import logging

import click

from bot.cli import crm, demo, leads, privacy, reports, setup


@click.group()
# The installed distribution's version (pyproject.toml), so it cannot drift from a constant.
@click.version_option(package_name="handoff", prog_name="handoff")
@click.option("--config", envvar="HANDOFF_CONFIG", default=None, help="Path of app.yaml.")
@click.option("-v", "--verbose", is_flag=True, help="Log debug output.")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """Handoff: MQL cards in Slack, claims, rejection reasons and shared numbers."""
    configure_logging(verbose=verbose)
    ctx.obj = {"config": config}


# At DEBUG these log whole requests and answers: message text, leads' names and emails.
PAYLOAD_LOGGERS = (
    "slack_sdk",
    "slack_bolt",
    "aiohttp",
    "httpx",
    "httpcore",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
)


def configure_logging(*, verbose: bool) -> None:
    """Our own debug lines with -v (they name ids, never people); never other libraries'
    payload dumps, which would put leads' personal data in the logs."""
    level = logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # basicConfig leaves an already configured root alone; the level must hold regardless.
    logging.getLogger().setLevel(level)
    for name in PAYLOAD_LOGGERS:
        library = logging.getLogger(name)
        # Only ever raised: SQLAlchemy, say, keeps its own WARNING.
        if library.getEffectiveLevel() < logging.INFO:
            library.setLevel(logging.INFO)
    if not verbose:
        # Migration and HTTP client chatter hides what a person needs to read.
        for noisy in ("alembic", "httpx"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


for command in (
    setup.run,
    setup.db,
    setup.check,
    setup.manifest,
    leads.import_leads,
    demo.demo,
    reports.digest,
    reports.sla,
    privacy.forget,
    crm.crm,
):
    main.add_command(command)
