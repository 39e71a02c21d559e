"""`handoff crm check`, `handoff crm sync` and a bad `crm:` section, as a person runs them.

A real subprocess against the fake Slack workspace and a fake CRM over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.sandbox.fake_crm import (
    FakeHubSpot,
    FakeHubSpotServer,
    FakeSalesforce,
    FakeSalesforceServer,
)
from bot.sandbox.fake_slack import FakeSlackServer
from tests import store
from tests.conftest import BOT_TOKEN, TEAM
from tests.crm_loop import ANA_EMAIL, BEN_EMAIL, HUBSPOT_TOKEN, SF_CLIENT_ID, SF_CLIENT_SECRET
from tests.test_cli import GOOD_ENV, handoff

LIMITED_TOKEN = "pat-na1-limited-token"


def flat(text: str) -> str:
    """Output as one line: the console wraps long problems at the terminal's width."""
    return " ".join(text.split())


def write_config(tmp_path: Path, crm: dict[str, Any]) -> Path:
    config = tmp_path / "app.yaml"
    config.write_text(yaml.safe_dump({**TEAM, "crm": crm}))
    return config


@pytest.fixture
def portal() -> FakeHubSpot:
    portal = FakeHubSpot(token=HUBSPOT_TOKEN)
    portal.add_owner(ANA_EMAIL, "Ana", "Rep")
    scopes = [s for s in portal.tokens[HUBSPOT_TOKEN] if s != "crm.objects.deals.read"]
    portal.add_token(LIMITED_TOKEN, scopes)
    return portal


@pytest.fixture
def hubspot(portal: FakeHubSpot) -> Iterator[FakeHubSpotServer]:
    with FakeHubSpotServer(portal) as server:
        yield server


def hubspot_env(slack: FakeSlackServer, hubspot: FakeHubSpotServer, **extra: str) -> dict[str, str]:
    return {
        **GOOD_ENV,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "HUBSPOT_API_URL": hubspot.url,
        "HUBSPOT_ACCESS_TOKEN": HUBSPOT_TOKEN,
        **extra,
    }


def test_crm_check_prints_every_problem_with_its_key(
    tmp_path: Path, slack: FakeSlackServer, hubspot: FakeHubSpotServer, portal: FakeHubSpot
) -> None:
    config = write_config(
        tmp_path,
        {
            "provider": "hubspot",
            "hubspot": {
                "fields": {"industry": "no_such_property"},
                "write_back": {
                    "reason_property": "handoff_rejection_reason",
                    "accept": {"lifecyclestage": "sales_accepted"},
                },
            },
        },
    )
    env = hubspot_env(
        slack, hubspot, HANDOFF_CONFIG=str(config), HUBSPOT_ACCESS_TOKEN=LIMITED_TOKEN
    )
    result = handoff("crm", "check", env=env)
    assert result.returncode == 2, result.stderr
    said = flat(result.stderr)
    expected = [
        "HUBSPOT_ACCESS_TOKEN: the private app lacks the scope crm.objects.deals.read",
        "crm.hubspot.fields.industry: HubSpot has no contact property 'no_such_property'",
        "crm.hubspot.write_back.reason_property: HubSpot has no contact property "
        "'handoff_rejection_reason'",
        f"crm.owners.U0REP2: no HubSpot owner has the address {BEN_EMAIL}",
    ]
    for line in expected:
        assert line in said, (line, said)
    assert "crm.hubspot.write_back.accept.lifecyclestage: 'sales_accepted' is not an option" in said
    assert "HUBSPOT_CLIENT_SECRET is not set" in result.stderr  # a note, not a problem

    portal.add_owner(BEN_EMAIL, "Ben", "Rep")
    portal.add_property("contacts", "handoff_rejection_reason")
    good = write_config(
        tmp_path,
        {
            "provider": "hubspot",
            "hubspot": {"write_back": {"reason_property": "handoff_rejection_reason"}},
        },
    )
    ok = handoff(
        "crm",
        "check",
        env={**env, "HANDOFF_CONFIG": str(good), "HUBSPOT_ACCESS_TOKEN": HUBSPOT_TOKEN},
    )
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout


def test_crm_check_on_salesforce_names_fields_and_the_mql_condition(
    tmp_path: Path, slack: FakeSlackServer
) -> None:
    org = FakeSalesforce(client_id=SF_CLIENT_ID, client_secret=SF_CLIENT_SECRET)
    org.add_user(ANA_EMAIL, "Ana", "Rep")
    org.add_user(BEN_EMAIL, "Ben", "Rep")
    with FakeSalesforceServer(org) as server:
        config = write_config(
            tmp_path,
            {
                "provider": "salesforce",
                "salesforce": {
                    "mql_where": "Rating = 'Hot' AND Score__c > 50",
                    "write_back": {"reason_field": "Rejection_Reason__c"},
                    "organization_id": org.org_id,
                },
            },
        )
        env = {
            **GOOD_ENV,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": slack.api_url,
            "HANDOFF_CONFIG": str(config),
            "SALESFORCE_INSTANCE_URL": server.url,
            "SALESFORCE_CLIENT_ID": SF_CLIENT_ID,
            "SALESFORCE_CLIENT_SECRET": SF_CLIENT_SECRET,
        }
        result = handoff("crm", "check", env=env)
        assert result.returncode == 2, result.stderr
        said = flat(result.stderr)
        assert "crm.salesforce.mql_where: unknown field Score__c at 19" in said
        assert (
            "crm.salesforce.write_back.reason_field: Lead has no field 'Rejection_Reason__c'"
            in (said)
        )
        wrong = handoff("crm", "check", env={**env, "SALESFORCE_CLIENT_SECRET": "not-the-secret"})
        assert wrong.returncode == 2
        assert "SALESFORCE_CLIENT_SECRET: Salesforce refused the connected app" in flat(
            wrong.stderr
        )


def test_crm_sync_since_backfills_through_the_poller_once(
    tmp_path: Path, slack: FakeSlackServer, hubspot: FakeHubSpotServer, portal: FakeHubSpot
) -> None:
    for n, day in enumerate((3, 10, 20), start=1):
        contact = portal.create_contact({"email": f"old{n}@example.com", "lastname": f"Old {n}"})
        portal.make_mql(contact["id"], at=datetime(2026, 2, day, 12, tzinfo=UTC))
    portal.create_contact({"email": "not-mql@example.com"})
    config = write_config(tmp_path, {"provider": "hubspot"})
    database = f"sqlite:///{tmp_path}/handoff.db"
    env = hubspot_env(slack, hubspot, HANDOFF_CONFIG=str(config), DATABASE_URL=database)
    result = handoff("crm", "sync", "--since", "2026-02-05", env=env)
    assert result.returncode == 0, result.stderr
    assert "created" in result.stdout and "2" in result.stdout
    assert sorted(lead.email for lead in store.leads(database)) == [
        "old2@example.com",
        "old3@example.com",
    ]
    again = handoff("crm", "sync", "--since", "2026-02-01", env=env)
    assert again.returncode == 0, again.stderr
    assert len(store.leads(database)) == 3
    cards = [m for m in store.outbox(database) if m.kind == "post_card"]
    assert len(cards) == 3  # queued once each; `handoff run` posts them


def test_a_bad_crm_section_is_named_by_key(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        {
            "provider": "salesforce",
            "poll_every": "1s",
            "salesforce": {"mql_where": "Status = 'MQL' LIMIT 10", "fields": {"phone": "Phone"}},
            "owners": {"not-a-user": "005000000000001"},
        },
    )
    result = handoff("check", env={**GOOD_ENV, "HANDOFF_CONFIG": str(config)})
    assert result.returncode == 2
    for key in (
        "crm.poll_every",
        "crm.salesforce.mql_where: LIMIT would leave the WHERE clause at position 15",
        "crm.salesforce.fields.phone",
        "crm.owners.not-a-user",
    ):
        assert key in flat(result.stderr), (key, result.stderr)
    missing = handoff(
        "check",
        env={**GOOD_ENV, "HANDOFF_CONFIG": str(write_config(tmp_path, {"provider": "hubspot"}))},
    )
    assert missing.returncode == 2
    assert "HUBSPOT_ACCESS_TOKEN: is required when crm.provider is hubspot" in flat(missing.stderr)
