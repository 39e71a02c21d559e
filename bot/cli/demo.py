"""`handoff demo`: the real bot against the sandbox's fake workspace, in a browser."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click

from bot.cli.base import fail, out

IMPORT_CHUNK = 200


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=3000,
    show_default=True,
    help="Port on 127.0.0.1 (0 picks a free one).",
)
@click.option(
    "--db",
    "db_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file that keeps the demo's leads (default: a temporary file).",
)
@click.option(
    "--leads",
    type=click.IntRange(0, 500),
    default=3,
    show_default=True,
    help="Sample leads to send when the demo starts.",
)
@click.option(
    "--crm",
    type=click.Choice(["hubspot", "salesforce"]),
    default=None,
    help="Connect the bot to a fake CRM too, shown in a panel beside the channel.",
)
@click.pass_context
def demo(ctx: click.Context, port: int, db_file: Path | None, leads: int, crm: str | None) -> None:
    """Try Handoff without Slack: the real bot, a local fake workspace, a page in your browser."""
    import contextlib
    import tempfile

    from bot.sandbox.demo import build_demo, listening_socket, serve_demo
    from bot.sandbox.demo.server import DEFAULT_HOST
    from storage.database import upgrade_database

    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        # Each page action is a few HTTP calls on this port; keep the terminal readable.
        for name in ("httpx", "alembic", "apscheduler"):
            logging.getLogger(name).setLevel(logging.WARNING)

    with contextlib.ExitStack() as stack:
        if db_file is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="handoff-demo-"))
            db_path, kept = Path(folder) / "demo.db", "deleted when the demo stops"
        else:
            db_path, kept = db_file.resolve(), "kept"
        try:
            sock = listening_socket(DEFAULT_HOST, port)
        except OSError as exc:
            fail([f"--port {port}: {exc.strerror or exc}"], "Cannot start the demo:")
        stack.callback(sock.close)
        database_url = f"sqlite:///{db_path}"
        upgrade_database(database_url)
        handoff_demo = build_demo(
            database_url, port=sock.getsockname()[1], config_path=ctx.obj["config"], crm=crm
        )

        def ready() -> None:
            out.print(f"[bold green]Handoff demo:[/] {handoff_demo.url}/", highlight=False)
            out.print(f"  team: {handoff_demo.team_source}", markup=False, highlight=False)
            out.print(f"  database: {db_path} ({kept})", markup=False, highlight=False)
            if crm:
                out.print(f"  CRM: a fake {crm} beside the workspace", highlight=False)
            out.print(f"  sending {leads} sample leads; Ctrl-C stops.", highlight=False)

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_demo(handoff_demo, sock, leads=leads, on_ready=ready))
