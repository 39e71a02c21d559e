"""`handoff run`, `db upgrade`, `check` and `manifest`: setting the bot up and serving it."""

from __future__ import annotations

import asyncio
import os

import click

from bot.cli.base import console, fail, load, out
from bot.cli.errors import store_errors
from bot.settings import Settings, SettingsError, load_settings, missing_for_run
from bot.timekeeping.durations import format_duration

# What to do about each answer Slack gives to a refused app-level token.
APP_TOKEN_HINTS = {
    "invalid_auth": "Slack does not know this token; copy it again from Basic Information → "
    "App-Level Tokens",
    "not_allowed_token_type": "that is not an app-level token; create one (xapp-…) under "
    "Basic Information → App-Level Tokens",
    "missing_scope": "the token lacks the connections:write scope; create one that has it",
    "token_revoked": "the token was revoked; create a new one",
}


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=None, help="Port (default: PORT or 3000).")
@click.option(
    "--socket",
    is_flag=True,
    help="Serve Slack over Socket Mode (needs SLACK_APP_TOKEN; on by itself when it is set).",
)
@click.pass_context
def run(ctx: click.Context, host: str, port: int | None, socket: bool) -> None:
    """Serve Slack (over HTTP or Socket Mode), the lead intake API and /healthz."""
    import uvicorn

    from bot.app import create_app
    from storage.database import upgrade_database

    settings = load(ctx.obj["config"])
    socket = socket or settings.socket_mode
    missing = missing_for_run(settings, socket=socket)
    if missing:
        fail(
            [f"{name} is not set" for name in missing],
            "handoff run needs these environment variables "
            "(try `handoff demo` to run without Slack):",
        )
    if socket:
        _check_app_token(settings)
    with store_errors(settings.database_url):
        upgrade_database(settings.database_url)
    handoff = create_app(settings)
    if socket:
        out.print("Slack: Socket Mode (no public URL needed)", highlight=False)
    # log_config=None: uvicorn's lines go through our one configuration (bot/runtime/logs.py),
    # in HANDOFF_LOG_FORMAT like every other line.
    uvicorn.run(
        handoff.http, host=host, port=port or settings.port, log_level="info", log_config=None
    )


def _check_app_token(settings: Settings) -> None:
    """Stop now, naming SLACK_APP_TOKEN, when Slack refuses it; Socket Mode would only retry."""
    from bot.slack.socket import AppTokenRefused, check_app_token

    assert settings.slack_app_token is not None
    try:
        asyncio.run(
            check_app_token(settings.slack_api_url, settings.slack_app_token.get_secret_value())
        )
    except AppTokenRefused as exc:
        hint = APP_TOKEN_HINTS.get(exc.error, "check the token and the app's Socket Mode setting")
        fail([f"SLACK_APP_TOKEN: Slack refused it ({exc.error}): {hint}"], "Cannot start:")
    except Exception as exc:  # network trouble: Socket Mode keeps trying, /healthz shows it
        console.print(f"Slack did not answer apps.connections.open ({exc!r}); retrying in the run")


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply schema migrations (also done by `handoff run` at start-up)."""
    from storage.database import upgrade_database

    settings = load(ctx.find_root().obj["config"])
    with store_errors(settings.database_url):
        upgrade_database(settings.database_url)
    out.print("Database is up to date.")


@click.command()
@click.option(
    "--online",
    is_flag=True,
    help="Also connect to the database and ask Slack (auth.test) about the token and scopes.",
)
@click.option("--socket", is_flag=True, help="Check for Socket Mode (SLACK_APP_TOKEN).")
@click.pass_context
def check(ctx: click.Context, online: bool, socket: bool) -> None:
    """Validate app.yaml and the environment; exit 2 listing every problem."""
    try:
        settings = load_settings(config_path=ctx.obj["config"])
    except SettingsError as exc:
        # Every problem at once: app.yaml's, the environment's, and what is not set at all.
        named = {p.key for p in exc.problems}
        unset = [f"{n}: is not set" for n in unset_variables(socket) if n not in named]
        fail([str(p) for p in exc.problems] + unset, "Problems found:")
    wanted = True if socket else None  # None: the mode SLACK_APP_TOKEN says
    problems = [f"{name}: is not set" for name in missing_for_run(settings, socket=wanted)]
    if online:
        from bot.cli.online import online_problems

        problems += asyncio.run(online_problems(settings))
    if problems:
        fail(problems, "Problems found:")
    team = settings.team
    mode = "Socket Mode" if settings.socket_mode else "HTTP"
    out.print(
        f"[green]OK[/] {settings.config_path}: cards go to {team.channels.leads}, "
        f"rejections to {team.channels.marketing}, SLA {format_duration(team.sla.respond_within)}, "
        f"{len(team.rejection_reasons)} rejection reasons; database "
        f"{settings.database_url.split('://')[0]}; Slack over {mode}"
        + ("; the database and Slack answer." if online else ".")
    )


def unset_variables(socket: bool) -> list[str]:
    """Variables `handoff run` needs that the environment lacks (when settings did not load)."""
    from bot.settings.environment import RUN_REQUIRES, SOCKET_RUN_REQUIRES

    socket = socket or bool(os.environ.get("SLACK_APP_TOKEN"))
    return [n for n in (SOCKET_RUN_REQUIRES if socket else RUN_REQUIRES) if not os.environ.get(n)]


@click.command()
@click.option(
    "--url", default=None, help="Public base URL of the bot, e.g. https://handoff.example.com"
)
@click.option("--socket", is_flag=True, help="For Socket Mode: no URL, no public address needed.")
@click.option("--name", default="Handoff", show_default=True, help="App name shown in Slack.")
def manifest(url: str | None, socket: bool, name: str) -> None:
    """Print a Slack app manifest (YAML) for 'Create an app from a manifest'."""
    from bot.slack.manifest import APP_TOKEN_SCOPE, app_manifest, dump_manifest

    if socket and url:
        fail(["--url and --socket: choose one (Socket Mode needs no URL)"], "Cannot build it:")
    try:
        text = dump_manifest(app_manifest(url, name=name, socket=socket))
    except ValueError as exc:
        fail([f"--url: {exc}"], "Cannot build the manifest:")
    if socket:
        # A comment keeps the output valid YAML to paste, and says the one manual step.
        text = (
            "# Socket Mode: after creating the app, create an app-level token with the\n"
            f"# {APP_TOKEN_SCOPE} scope (Basic Information → App-Level Tokens) and set it\n"
            "# as SLACK_APP_TOKEN; no request URL and no signing secret are needed.\n" + text
        )
    out.print(text, markup=False, highlight=False)
