"""`handoff run`, `db upgrade`, `check` and `manifest`: setting the bot up and serving it."""

from __future__ import annotations

import click

from bot.cli.base import fail, load, out
from bot.settings import SettingsError, load_settings, missing_for_run
from bot.timekeeping.durations import format_duration

IMPORT_CHUNK = 200


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=None, help="Port (default: PORT or 3000).")
@click.pass_context
def run(ctx: click.Context, host: str, port: int | None) -> None:
    """Serve Slack's requests, the lead intake API and /healthz."""
    import uvicorn

    from bot.app import create_app
    from storage.database import upgrade_database

    settings = load(ctx.obj["config"])
    missing = missing_for_run(settings)
    if missing:
        fail(
            [f"{name} is not set" for name in missing],
            "handoff run needs these environment variables "
            "(try `handoff demo` to run without Slack):",
        )
    upgrade_database(settings.database_url)
    handoff = create_app(settings)
    # log_config=None: uvicorn's lines go through our one configuration (bot/runtime/logs.py),
    # in HANDOFF_LOG_FORMAT like every other line.
    uvicorn.run(
        handoff.http, host=host, port=port or settings.port, log_level="info", log_config=None
    )


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply schema migrations (also done by `handoff run` at start-up)."""
    from storage.database import upgrade_database

    settings = load(ctx.find_root().obj["config"])
    upgrade_database(settings.database_url)
    out.print("Database is up to date.")


@click.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate app.yaml and the environment; exit 2 listing every problem."""
    try:
        settings = load_settings(config_path=ctx.obj["config"])
    except SettingsError as exc:
        fail([str(p) for p in exc.problems], "Problems found:")
    missing = missing_for_run(settings)
    if missing:
        fail([f"{name}: is not set" for name in missing], "Problems found:")
    team = settings.team
    out.print(
        f"[green]OK[/] {settings.config_path}: cards go to {team.channels.leads}, "
        f"rejections to {team.channels.marketing}, SLA {format_duration(team.sla.respond_within)}, "
        f"{len(team.rejection_reasons)} rejection reasons; database {settings.database_url.split('://')[0]}."
    )


@click.command()
@click.option(
    "--url", required=True, help="Public base URL of the bot, e.g. https://handoff.example.com"
)
@click.option("--name", default="Handoff", show_default=True, help="App name shown in Slack.")
def manifest(url: str, name: str) -> None:
    """Print a Slack app manifest (YAML) for 'Create an app from a manifest'."""
    from bot.slack.manifest import app_manifest, dump_manifest

    try:
        out.print(dump_manifest(app_manifest(url, name=name)), markup=False, highlight=False)
    except ValueError as exc:
        fail([f"--url: {exc}"], "Cannot build the manifest:")
