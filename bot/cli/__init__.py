"""The `handoff` command: the group and its subcommands, one module per area."""

from __future__ import annotations

import os

import click

from bot.cli import backup, crm, demo, leads, outbox, privacy, reports, routing, setup
from bot.runtime.logs import configure_logging
from bot.settings import log_format_of


@click.group()
# The installed distribution's version (pyproject.toml), so it cannot drift from a constant.
@click.version_option(package_name="handoff", prog_name="handoff")
@click.option("--config", envvar="HANDOFF_CONFIG", default=None, help="Path of app.yaml.")
@click.option("-v", "--verbose", is_flag=True, help="Log debug output.")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """Handoff: MQL cards in Slack, claims, rejection reasons and shared numbers."""
    # Before the settings are loaded: each subcommand loads them and reports their problems.
    configure_logging(verbose=verbose, log_format=log_format_of(os.environ))
    ctx.obj = {"config": config}


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
    outbox.outbox,
    routing.route,
):
    main.add_command(command)
setup.db.add_command(backup.backup)
