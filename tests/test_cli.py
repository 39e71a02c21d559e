"""The `handoff` command as a person runs it: a real subprocess, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests import store
from tests.conftest import SIGNING_SECRET

ROOT = Path(__file__).parent.parent
GOOD_ENV = {
    "SLACK_BOT_TOKEN": "xoxb-1234-abcdef",
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "HANDOFF_INTAKE_TOKEN": "intake-0123456789abcdef",
}


def handoff(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "HANDOFF_", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**base, "HANDOFF_CONFIG": str(ROOT / "app.yaml"), **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_without_slack_credentials_names_the_missing_variables(tmp_path: Path) -> None:
    result = handoff("run", env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.returncode == 2
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "HANDOFF_INTAKE_TOKEN"):
        assert name in result.stderr
    assert not (tmp_path / "x.db").exists(), "nothing is started or written"


def test_check_lists_every_problem_with_its_key(tmp_path: Path) -> None:
    config = tmp_path / "app.yaml"
    config.write_text("channels: {leads: general}\nsla: {respond_within: soon}\n")
    result = handoff("check", env={**GOOD_ENV, "HANDOFF_CONFIG": str(config), "PORT": "x"})
    assert result.returncode == 2
    for key in ("channels.leads", "channels.marketing", "sla.respond_within", "PORT"):
        assert key in result.stderr
    ok = handoff("check", env=GOOD_ENV)
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout
    missing = handoff("check")
    assert missing.returncode == 2 and "SLACK_BOT_TOKEN" in missing.stderr


def test_manifest_is_a_complete_slack_app_manifest() -> None:
    result = handoff("manifest", "--url", "https://handoff.example.com/")
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(result.stdout)
    events = "https://handoff.example.com/slack/events"
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "request_url": events}
    assert manifest["settings"]["event_subscriptions"]["request_url"] == events
    command = manifest["features"]["slash_commands"][0]
    assert (command["command"], command["url"]) == ("/leadfeedback", events)
    assert {"chat:write", "commands", "im:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    refused = handoff("manifest", "--url", "http://insecure.example.com")
    assert refused.returncode == 2 and "--url" in refused.stderr


def test_import_validates_dedups_and_reports_line_numbers(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path}/import.db"
    csv_file = tmp_path / "leads.csv"
    csv_file.write_text(
        "email,first_name,company,source,employees,utm_campaign\n"
        "ana@example.com,Ana,Acme,webinar,120,spring\n"
        "not-an-email,Bob,Bobco,webinar,5,\n"
        "ANA@example.com,Ana,Acme,webinar,120,spring\n"
        "cy@example.com,Cy,Cyco,ads,many,\n"
        "dee@example.com,Dee,Deeco,ads,,\n"
    )
    result = handoff("import", str(csv_file), env={"DATABASE_URL": database_url})
    assert result.returncode == 1, result.stderr
    assert "line 3: email" in result.stdout and "line 5: employees" in result.stdout
    assert "created" in result.stdout
    stored = store.leads(database_url)
    assert [lead.email for lead in stored] == ["ana@example.com", "dee@example.com"]
    assert stored[0].fields == {"utm_campaign": "spring"}
    assert len(store.outbox(database_url)) == 2, "each new lead is owed exactly one card"

    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text(
        json.dumps({"email": "ana@example.com", "source": "webinar"})
        + "\n{broken\n"
        + json.dumps({"email": "eve@example.com", "external_id": "crm-9"})
        + "\n"
    )
    again = handoff("import", str(jsonl), env={"DATABASE_URL": database_url})
    assert again.returncode == 1
    assert "line 2: is not valid JSON" in again.stdout
    assert len(store.leads(database_url)) == 3
