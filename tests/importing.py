"""Running `handoff import` from a test: the real CLI through click's CliRunner."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner, Result

from bot.cli import main

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def handoff_import(*args: str, database_url: str, config: Path | None = None) -> Result:
    env: dict[str, str | None] = {
        "DATABASE_URL": database_url,
        "HANDOFF_CONFIG": str(config or ROOT / "app.yaml"),
        # `import` needs no Slack credentials; values from the outer shell must not leak in.
        "SLACK_BOT_TOKEN": None,
        "SLACK_SIGNING_SECRET": None,
        "HANDOFF_INTAKE_TOKEN": None,
    }
    return CliRunner().invoke(main, ["import", *args], env=env, catch_exceptions=False)


def config_with(tmp_path: Path, extra_yaml: str) -> Path:
    """The repository's app.yaml with more settings appended."""
    config = tmp_path / "app.yaml"
    config.write_text((ROOT / "app.yaml").read_text(encoding="utf-8") + "\n" + extra_yaml)
    return config


def count(output: str, result: str) -> int:
    """A figure from the summary table ("created", "duplicate", "invalid", "valid")."""
    match = re.search(rf"│ {result}\s+│\s+(\d+) │", output)
    assert match, f"no {result} row in:\n{output}"
    return int(match[1])
