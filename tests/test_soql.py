"""The bot's SOQL WHERE checker and quoting, and how they agree with the fake org."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.crm.salesforce import check_where, literal, quote, quote_like
from bot.sandbox.fake_crm.salesforce_soql import SoqlError, parse

VALID = [
    "Status = 'Marketing Qualified'",
    "Status = 'MQL' AND LeadSource != 'Partner'",
    "(Rating = 'Hot' OR Rating = 'Warm') AND NOT Email LIKE '%@competitor.com'",
    "Rating IN ('Hot', 'Warm') AND Country NOT IN ('US')",
    "Interests__c INCLUDES ('CRM;Slack', 'API') AND Tags__c EXCLUDES ('spam')",
    "AnnualRevenue >= 1000000.50 AND NumberOfEmployees < -1",
    "IsConverted = false AND ConvertedDate = null AND HasOptedOutOfEmail != TRUE",
    "CreatedDate >= 2026-01-01T00:00:00Z AND CreatedDate < 2026-02-01T09:30:00.000+01:00",
    "Birthdate__c = 1990-05-17",
    "CreatedDate = LAST_N_DAYS:30 OR LastModifiedDate = TODAY",
    "CreatedDate > N_DAYS_AGO:7 AND CloseDate__c <= NEXT_FISCAL_QUARTER",
    "Owner.Email = 'ana@example.com'",
    "Name LIKE 'O\\'Brien\\%%'",
    "Description = 'line\\nbreak\\ttab\\\\slash\\\"q'",
    "NOT (Status = 'Open' OR Status = 'New')",
]


@pytest.mark.parametrize("condition", VALID)
def test_valid_conditions_pass(condition: str) -> None:
    assert check_where(condition) == []


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("Status == 'x'", "unknown operator == at 7"),
        ("Status <> 'x'", "unknown operator <> at 7"),
        ("(Status = 'x' AND (Rating = 'Hot')", "unbalanced parenthesis: '(' is never closed at 0"),
        ("Status = 'x')", "unbalanced parenthesis: ')' without '(' at 12"),
        ("Status = 'x' LIMIT 1", "LIMIT would leave the WHERE clause at 13"),
        ("Status = 'x' ORDER BY Name", "ORDER would leave the WHERE clause at 13"),
        ("Status = 'x'; DELETE FROM Lead", "a semicolon is not allowed at 12"),
        ("Id IN (SELECT LeadId FROM CampaignMember)", "subqueries are not allowed at 7"),
        ("(SELECT Id FROM Lead)", "subqueries are not allowed at 1"),
        ("Status = 'x' AND Rating = 'y' OR Id = 'z'", "OR mixed with AND needs parentheses at 30"),
        ('Status = "x"', "strings take single quotes, not double quotes at 9"),
        ("Status = 'never closed", "unterminated string at 9"),
        ("Name = 'a\\qb'", "unknown escape sequence '\\\\q' in a string at 9"),
        ("CreatedDate = LAST_N_DAYS", "date literal LAST_N_DAYS needs a number"),
        ("CreatedDate = 2026-13", "unexpected '-13'"),
        ("Status", "expected an operator after Status at 6"),
        ("Status =", "condition ends where a value should be at 8"),
        ("= 'x'", "expected a field name at 0"),
        ("Status = 'x' Rating = 'y'", "unexpected 'Rating' at 13"),
        ("Name LIKE Other", "LIKE needs a quoted string at 10"),
        ("Tags__c INCLUDES (1)", "INCLUDES takes quoted strings at 18"),
        ("Status NOT 'x'", "NOT here must be NOT IN at 11"),
        ("CALENDAR_YEAR(CreatedDate) = 2026", "functions like CALENDAR_YEAR() are not supported"),
        ("Status = 'x' # comment", "unexpected character '#' at 13"),
        ("   ", "the condition is empty at 0"),
        ("Status = NOW", "expected a value, found 'NOW' at 9"),
    ],
)
def test_bad_conditions_name_the_problem_and_where(condition: str, message: str) -> None:
    problems = check_where(condition)
    assert problems, condition
    assert message in str(problems[0])


def test_known_fields_are_checked_without_case() -> None:
    fields = ["Status", "LeadSource", "Email"]
    assert check_where("status = 'x' AND EMAIL != null", known_fields=fields) == []
    (problem,) = check_where("Statsu = 'x'", known_fields=fields)
    assert str(problem) == "unknown field Statsu at 0"
    assert check_where("Owner.Email = 'x'", known_fields=fields) == []  # parents aren't known


@pytest.mark.parametrize(
    "value", ["O'Brien", "back\\slash", "line\nbreak", 'tab\tquote"', "'; DELETE", "%_"]
)
def test_quoted_values_round_trip_through_a_soql_parser(value: str) -> None:
    condition = f"Name = {quote(value)}"
    assert check_where(condition) == []
    where = parse(f"SELECT Id FROM Lead WHERE {condition}").where
    assert where is not None and where.values[0].raw == value  # type: ignore[union-attr]


def test_quote_like_escapes_wildcards() -> None:
    assert quote_like("50%_off") == "'50\\%\\_off'"
    assert check_where(f"Name LIKE {quote_like('50%_off')}") == []


def test_literals() -> None:
    assert literal(None) == "null"
    assert literal(True) == "true"
    assert literal(42) == "42"
    assert literal(Decimal("10.50")) == "10.50"
    assert literal(date(2026, 3, 2)) == "2026-03-02"
    moment = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert literal(moment) == "2026-03-02T10:00:00Z"
    assert literal("it's") == "'it\\'s'"
    with pytest.raises(ValueError):
        literal(datetime(2026, 3, 2))
    with pytest.raises(TypeError):
        literal(object())


@pytest.mark.parametrize("condition", VALID[:12])
def test_the_fake_org_parses_what_the_checker_accepts(condition: str) -> None:
    parse(f"SELECT Id FROM Lead WHERE {condition}")


@pytest.mark.parametrize(
    "condition", ["Status == 'x'", "Status = 'x' AND Rating = 'y' OR Id = 'z'", "(Status = 'x'"]
)
def test_the_fake_org_refuses_what_the_checker_refuses(condition: str) -> None:
    with pytest.raises(SoqlError):
        parse(f"SELECT Id FROM Lead WHERE {condition}")
