"""`handoff db backup`: a consistent SQLite copy while the bot writes; pg_dump for PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import storage.backup
from bot.cli import main
from bot.runtime.logs import HANDLER_NAME
from bot.sandbox.fake_slack import FakeSlackServer
from tests.conftest import make_settings
from tests.harness import BotServer

ROOT = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(handler)
    root.setLevel(level)


def handoff(database_url: str, *args: str) -> Result:
    env = {"DATABASE_URL": database_url, "HANDOFF_CONFIG": str(ROOT / "app.yaml")}
    return CliRunner().invoke(main, ["db", "backup", *args], env=env)


def lead(n: int) -> dict[str, Any]:
    return {"email": f"lead{n}@example.com", "source": "webinar", "company": f"Co {n}"}


def emails(path: Path) -> set[str]:
    copy = sqlite3.connect(path)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return {email for (email,) in copy.execute("SELECT email FROM leads")}
    finally:
        copy.close()


def test_backup_while_the_bot_writes_is_a_consistent_snapshot(
    sqlite_url: str, slack: FakeSlackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leads are posted all along, and one lands between two steps of the copy: the copy
    has every lead stored before it began, not the one that arrived in the middle, and
    the copy never restarts (a restart would show as progress going backwards)."""
    target = tmp_path / "backup.db"
    steps: list[int] = []
    with BotServer(make_settings(sqlite_url, slack.api_url)) as bot:
        for n in range(10):
            assert bot.post_leads(lead(n)).status_code == 201
        stop = threading.Event()

        def keep_writing() -> None:
            # Bounded: each lead also owes a card, posted at Slack's pace of one a second.
            for n in range(1000, 1010):
                if stop.is_set():
                    return
                assert bot.post_leads(lead(n)).status_code == 201

        writer = threading.Thread(target=keep_writing)
        real_backup = storage.backup.backup_sqlite

        def backup_with_a_write_inside(source: Path, target: Path, **kwargs: Any) -> int:
            shown = kwargs.pop("progress")

            def progress(done: int, total: int) -> None:
                if not steps:
                    assert bot.post_leads(lead(999)).status_code == 201  # committed mid-copy
                steps.append(done)
                shown(done, total)

            return real_backup(source, target, progress=progress, **kwargs)

        monkeypatch.setattr(storage.backup, "PAGES_PER_STEP", 1)
        monkeypatch.setattr(storage.backup, "backup_sqlite", backup_with_a_write_inside)
        writer.start()
        try:
            result = handoff(sqlite_url, str(target))
        finally:
            stop.set()
            writer.join(30)
        assert result.exit_code == 0, result.output
        assert "Backed up" in result.stdout
    copied = emails(target)
    assert {f"lead{n}@example.com" for n in range(10)} <= copied
    assert "lead999@example.com" not in copied
    assert len(steps) > 10 and steps == sorted(steps), "copied in steps, never restarted"
    assert not Path(f"{target}-wal").exists(), "the copy is one self-contained file"
    assert not list(tmp_path.glob(".*.partial"))


def test_an_existing_file_is_kept_unless_forced(sqlite_url: str, tmp_path: Path) -> None:
    target = tmp_path / "backup.db"
    target.write_text("an older backup")
    refused = handoff(sqlite_url, str(target))
    assert refused.exit_code == 2
    assert "exists; pass --force" in refused.stderr
    assert target.read_text() == "an older backup"
    forced = handoff(sqlite_url, str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert emails(target) == set()


def test_no_database_no_backup(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    result = handoff(f"sqlite:///{missing}", str(tmp_path / "backup.db"))
    assert result.exit_code == 2
    assert "there is no SQLite database" in result.stderr
    assert not missing.exists(), "no empty database is created where one was expected"


def test_postgresql_gets_the_pg_dump_command_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://handoff:s3cret-pw@db.internal:5433/handoff?sslmode=require"
    result = handoff(url, str(tmp_path / "handoff.dump"))
    assert result.exit_code == 2
    assert "s3cret-pw" not in result.output
    expected = (
        f"pg_dump --format=custom --file={tmp_path}/handoff.dump "
        "'--dbname=postgresql://handoff@db.internal:5433/handoff?sslmode=require'"
    )
    assert expected in result.stderr
    assert "pg_restore --clean --if-exists" in result.stderr
    assert not (tmp_path / "handoff.dump").exists()
