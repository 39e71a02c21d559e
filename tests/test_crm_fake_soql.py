"""The fake org's own SOQL interpreter: the semantics the connector's queries rely on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.sandbox.fake_crm import FakeSalesforce, run_query
from bot.sandbox.fake_crm.salesforce_eval import date_range
from bot.sandbox.fake_crm.salesforce_soql import SoqlError
from bot.timekeeping.clock import ManualClock

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)


@pytest.fixture
def org() -> FakeSalesforce:
    org = FakeSalesforce(clock=ManualClock(NOW))
    org.add_field("Lead", "Interests__c", "multipicklist")
    return org


def names(org: FakeSalesforce, where: str, order: str = "ORDER BY LastName") -> list[str]:
    _, records = run_query(org, f"SELECT LastName FROM Lead WHERE {where} {order}")
    return [r["LastName"] for r in records]


def test_strings_like_and_multipicklists(org: FakeSalesforce) -> None:
    org.create_lead({"LastName": "Apple", "Interests__c": "CRM;Slack"})
    org.create_lead({"LastName": "apricot", "Interests__c": "API"})
    org.create_lead({"LastName": "Ter%", "Interests__c": None})
    assert names(org, "LastName = 'APPLE'") == ["Apple"]
    assert names(org, "LastName LIKE 'ap%'") == ["Apple", "apricot"]
    assert names(org, "LastName LIKE 'Ter\\%'") == ["Ter%"]
    assert names(org, "Interests__c INCLUDES ('CRM;Slack')") == ["Apple"]
    assert names(org, "Interests__c INCLUDES ('Slack', 'API')") == ["Apple", "apricot"]
    assert names(org, "Interests__c EXCLUDES ('API')") == ["Apple", "Ter%"]
    assert names(org, "LastName NOT IN ('Apple', 'APRICOT')") == ["Ter%"]
    assert names(org, "Interests__c = null") == ["Ter%"]


def test_date_literals_are_midnight_utc_ranges() -> None:
    today = datetime(2026, 3, 4, tzinfo=UTC)
    assert date_range("TODAY", NOW) == (today, today + timedelta(days=1))
    assert date_range("LAST_N_DAYS:3", NOW) == (
        today - timedelta(days=3),
        today + timedelta(days=1),
    )
    assert date_range("N_DAYS_AGO:1", NOW) == (today - timedelta(days=1), today)
    assert date_range("THIS_MONTH", NOW)[0] == datetime(2026, 3, 1, tzinfo=UTC)
    assert date_range("LAST_YEAR", NOW) == (
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(SoqlError):
        date_range("THIS_FISCAL_QUARTER", NOW)


def test_datetime_comparisons_and_literals(org: FakeSalesforce) -> None:
    org.create_lead({"LastName": "Old"}, created_at=NOW - timedelta(days=10))
    org.create_lead({"LastName": "Yesterday"}, created_at=NOW - timedelta(days=1))
    org.create_lead({"LastName": "Now"}, created_at=NOW)
    assert names(org, "CreatedDate = TODAY") == ["Now"]
    assert names(org, "CreatedDate = LAST_N_DAYS:2") == ["Now", "Yesterday"]
    assert names(org, "CreatedDate < YESTERDAY") == ["Old"]
    assert names(org, "CreatedDate > 2026-03-03T12:00:00Z") == ["Now", "Yesterday"]
    assert names(org, "CreatedDate >= 2026-03-04T16:30:00+01:00") == ["Now"]


def test_order_limit_offset_count_and_nulls(org: FakeSalesforce) -> None:
    for name, rating in [("B", "Hot"), ("A", None), ("C", "Cold")]:
        org.create_lead({"LastName": name, "Rating": rating})
    assert names(org, "IsDeleted = false", "ORDER BY Rating") == ["A", "C", "B"]
    assert names(org, "IsDeleted = false", "ORDER BY Rating DESC") == ["B", "C", "A"]
    assert names(org, "IsDeleted = false", "ORDER BY Rating ASC NULLS LAST") == ["C", "B", "A"]
    assert names(org, "IsDeleted = false", "ORDER BY LastName LIMIT 1 OFFSET 1") == ["B"]
    total, records = run_query(org, "SELECT COUNT() FROM Lead WHERE Rating != null")
    assert (total, records) == (2, [])


def test_parent_relationships(org: FakeSalesforce) -> None:
    owner = org.add_user("ana@example.com", "Ana", "Rep")
    org.create_lead({"LastName": "Owned", "OwnerId": owner})
    org.create_lead({"LastName": "Orphan"})
    _, records = run_query(
        org, "SELECT LastName, Owner.Email, Owner.Name FROM Lead ORDER BY LastName"
    )
    assert records[0]["Owner"] is None
    assert records[1]["Owner"]["Email"] == "ana@example.com"
    assert records[1]["Owner"]["Name"] == "Ana Rep"
    assert records[1]["Owner"]["attributes"]["type"] == "User"
    assert names(org, "Owner.Email = 'ANA@example.com'") == ["Owned"]


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead LIMIT", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead WHERE Id IN (SELECT Id FROM Contact)", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead WHERE Name = 'x' junk", "MALFORMED_QUERY"),
        ("SELECT Bogus FROM Lead", "INVALID_FIELD"),
        ("SELECT Id FROM Lead ORDER BY Bogus", "INVALID_FIELD"),
        ("SELECT Id FROM Lead WHERE IsConverted = 'false'", "INVALID_FIELD"),
        ("SELECT Id FROM Lead WHERE LastName = TODAY", "INVALID_FIELD"),
        ("SELECT Id FROM Nothing", "INVALID_TYPE"),
    ],
)
def test_errors_carry_salesforce_codes(org: FakeSalesforce, soql: str, code: str) -> None:
    with pytest.raises(SoqlError) as exc:
        run_query(org, soql)
    assert exc.value.code == code
