"""The `handoff` command: the group and its subcommands, one module per area."""

from __future__ import annotations

import logging

import click

from bot.cli import demo, leads, reports, setup


@click.group()
# The installed distribution's version (pyproject.toml), so it cannot drift from a constant.
@click.version_option(package_name="handoff", prog_name="handoff")
@click.option("--config", envvar="HANDOFF_CONFIG", default=None, help="Path of app.yaml.")
@click.option("-v", "--verbose", is_flag=True, help="Log debug output.")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """Handoff: MQL cards in Slack, claims, rejection reasons and shared numbers."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # Migration and HTTP client chatter hides what a person needs to read.
        for noisy in ("alembic", "httpx"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
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
):
    main.add_command(command)
