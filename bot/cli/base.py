"""What every `handoff` subcommand shares: the consoles, failing with a list, loading settings."""

from __future__ import annotations

import sys
from typing import NoReturn

from rich.console import Console

from bot.settings import Settings, SettingsError, load_settings

console = Console(stderr=True)
out = Console()


def fail(lines: list[str], title: str) -> NoReturn:
    """Print the problems, one per line, and exit 2."""
    console.print(f"[bold red]{title}[/]")
    for line in lines:
        # soft_wrap: a command in a line stays one line, to be copied as it is.
        console.print(f"  • {line}", markup=False, highlight=False, soft_wrap=True)
    sys.exit(2)


def load(config: str | None) -> Settings:
    """The settings, or exit 2 listing every problem with its key."""
    try:
        return load_settings(config_path=config)
    except SettingsError as exc:
        fail([str(p) for p in exc.problems], "Handoff's configuration has problems:")
