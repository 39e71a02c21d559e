"""The CLI says what is wrong: a bad DATABASE_URL in one line, `check --online`, and the
commands a newcomer runs first (`--version`, `digest` without Slack, `sla` after an import,
`manifest --socket`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli.errors import store_problem
from bot.sandbox.fake_slack import FakeSlackServer, FakeWorkspace
from tests.conftest import BOT_TOKEN, POSTGRES_URL
from tests.test_cli import GOOD_ENV, handoff

REFUSED = "postgresql://postgres@127.0.0.1:1/handoff"
CSV = "email,first_name,company,source\nana@example.com,Ana,Acme,webinar\n"


def flat(text: str) -> str:
    """Output with rich's wrapping at 80 columns undone."""
    return " ".join(text.split())


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_every_command_that_opens_the_store_names_database_url_and_the_cause(
    tmp_path: Path,
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(CSV)
    commands = [
        ("run",),
        ("db", "upgrade"),
        ("import", str(leads)),
        ("sla",),
        ("digest", "--week", "2025-W09"),
    ]
    for command in commands:
        result = handoff(*command, env={**GOOD_ENV, "DATABASE_URL": REFUSED})
        assert result.returncode == 2, (command, result.stderr)
        line = one_line(result.stderr)
        assert "DATABASE_URL" in line and "connection refused at 127.0.0.1:1" in line, command
    missing_folder = f"sqlite:///{tmp_path}/no/such/folder/handoff.db"
    result = handoff("db", "upgrade", env={"DATABASE_URL": missing_folder})
    assert result.returncode == 2
    assert "no such file or directory" in one_line(result.stderr)


@pytest.mark.postgres
def test_postgres_refusals_are_named(postgres_database: str) -> None:
    from storage.database import upgrade_database

    base = POSTGRES_URL.rsplit("/", 1)[0]
    cases = {
        f"{base}/handoff_no_such_db": "database 'handoff_no_such_db' does not exist",
        base.replace("postgres@", "nobody_here@") + "/test": "authentication failed for user",
        "postgresql://postgres@no-such-host.invalid/test": "unknown host 'no-such-host.invalid'",
    }
    for url, expected in cases.items():
        with pytest.raises(Exception) as caught:
            upgrade_database(url)
        assert expected in (store_problem(caught.value, url) or ""), url


def test_check_online_reports_the_store_and_missing_scopes_together(
    slack: FakeSlackServer, workspace: FakeWorkspace, tmp_path: Path
) -> None:
    env = {
        **GOOD_ENV,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/handoff.db",
    }
    ok = handoff("check", "--online", env=env)
    assert ok.returncode == 0, ok.stderr
    assert "the database and Slack answer" in flat(ok.stdout)
    workspace.scopes = [s for s in workspace.scopes if s not in ("files:write", "im:write")]
    bad = handoff("check", "--online", env={**env, "DATABASE_URL": REFUSED})
    assert bad.returncode == 2
    assert "DATABASE_URL: connection refused" in flat(bad.stderr)
    assert "lacks the bot scopes im:write, files:write" in flat(bad.stderr)
    wrong = handoff("check", "--online", env={**env, "SLACK_BOT_TOKEN": "xoxb-not-this-one"})
    assert "SLACK_BOT_TOKEN: Slack's auth.test refused it (invalid_auth)" in flat(wrong.stderr)


def test_check_reports_unset_variables_beside_app_yaml_problems(tmp_path: Path) -> None:
    config = tmp_path / "app.yaml"
    config.write_text("channels: {leads: C0LEADS, marketing: C0MKTG}\nbot_token: xoxb-1\n")
    result = handoff("check", env={"HANDOFF_CONFIG": str(config)})
    assert result.returncode == 2
    for text in ("bot_token: secrets are read only", "SLACK_BOT_TOKEN: is not set"):
        assert text in flat(result.stderr)


def test_version() -> None:
    result = handoff("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("handoff, version ")


def test_digest_prints_without_slack_tokens(tmp_path: Path) -> None:
    result = handoff(
        "digest", "--week", "2025-W09", env={"DATABASE_URL": f"sqlite:///{tmp_path}/d.db"}
    )
    assert result.returncode == 0, result.stderr
    assert "2025-W09" in result.stdout
    post = handoff(
        "digest", "--week", "2025-W09", "--post", env={"DATABASE_URL": f"sqlite:///{tmp_path}/d.db"}
    )
    assert post.returncode == 2 and "SLACK_BOT_TOKEN is not set" in flat(post.stderr)


def test_sla_lists_queued_cards_and_counts_history(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/sla.db"}
    queued, history = tmp_path / "queued.csv", tmp_path / "history.csv"
    queued.write_text(CSV)
    history.write_text(
        "email,first_name,company,source\nbo@example.com,Bo,Boco,ads\ncy@example.com,Cy,Cyco,ads\n"
    )
    assert handoff("import", str(queued), env=env).returncode == 0
    assert handoff("import", str(history), "--no-cards", env=env).returncode == 0
    result = handoff("sla", env={**env, "COLUMNS": "200"})  # no folding inside the cells
    assert result.returncode == 0, result.stderr
    output = flat(result.stdout)
    assert "Ana" in output and "card not posted yet" in output
    assert "2 open leads were imported as history (--no-cards)" in output
    assert "Boco" not in output


def test_manifest_for_socket_mode_has_no_urls_and_says_what_the_token_needs() -> None:
    result = handoff("manifest", "--socket")
    assert result.returncode == 0, result.stderr
    assert "connections:write" in result.stdout.split("display_information")[0]
    manifest = yaml.safe_load(result.stdout)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "url" not in result.stdout.split("display_information")[1]
    home = manifest["features"]["app_home"]
    assert home["messages_tab_enabled"] and not home["messages_tab_read_only_enabled"]
    both = handoff("manifest", "--socket", "--url", "https://x.example.com")
    assert both.returncode == 2
