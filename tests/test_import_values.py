"""The importer's rules as plain functions: header names, cell values, dates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.leads.importing import values
from bot.leads.importing.columns import Origin, check_target, normalize, plan_columns
from bot.leads.importing.encoding import EncodingUnknown, detect_encoding

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "header", ["first_name", "First Name", "FIRSTNAME", "firstname", "first-name", "FirstName"]
)
def test_header_variants_are_one_column(header: str) -> None:
    assert normalize(header) == "firstname"
    assert plan_columns(["Email", header]).columns[1].target == "first_name"


def test_the_better_built_in_name_wins_and_the_other_goes_into_fields() -> None:
    plan = plan_columns(["Company size", "Email", "Number of Employees", "Work email"])
    targets = {c.header: c.target for c in plan.columns}
    assert targets == {
        "Company size": "fields.Company size",
        "Email": "email",
        "Number of Employees": "employees",
        "Work email": "fields.Work email",
    }


def test_layers_go_from_built_in_to_app_yaml_to_the_option() -> None:
    overrides = [
        (Origin.APP_YAML, {"Lead Owner": "fields.owner", "Email": "ignore"}),
        (Origin.OPTION, {"email": "email", "Contact": "first_name"}),
    ]
    plan = plan_columns(["EMAIL", "Lead Owner", "Contact", "First Name"], overrides)
    assert [(c.target, c.origin) for c in plan.columns] == [
        ("email", Origin.OPTION),
        ("fields.owner", Origin.APP_YAML),
        ("first_name", Origin.OPTION),
        ("fields.First Name", None),  # the option took first_name
    ]


@pytest.mark.parametrize("target", ["owner", "fields.", "", 3, "Email"])
def test_unknown_targets_are_refused(target: object) -> None:
    with pytest.raises(ValueError, match="is not a lead field"):
        check_target(target)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("180", (180, False)),
        ("1,200", (1200, False)),
        ("1.200", (1200, False)),
        ("1 200", (1200, False)),
        ("1200.0", (1200, False)),
        ("51-200", (51, True)),
        ("51 \u2013 200", (51, True)),  # an en dash, as spreadsheets write ranges
        ("1,001-5,000", (1001, True)),
        ("1000+", (1000, True)),
        ("10k", (10000, False)),
        ("many", ("many", False)),
    ],
)
def test_employees_take_the_lower_bound_of_a_range(cell: str, expected: tuple) -> None:
    assert values.employees(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"), [("85", "85"), ("1,250", "1250"), ("85,5", "85.5"), ("high", "high")]
)
def test_scores(cell: str, expected: str) -> None:
    assert values.score(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-10-03 14:22", datetime(2026, 10, 3, 12, 22, tzinfo=UTC)),  # HubSpot
        ("10/3/2026 2:22 PM", datetime(2026, 10, 3, 12, 22, tzinfo=UTC)),  # Salesforce (US)
        ("10/3/2026, 2:22 PM", datetime(2026, 10, 3, 12, 22, tzinfo=UTC)),
        ("10/3/2026", datetime(2026, 10, 2, 22, 0, tzinfo=UTC)),
        ("03.10.2026 14:22", datetime(2026, 10, 3, 12, 22, tzinfo=UTC)),  # Salesforce (de)
        ("2026-10-03T14:22:00Z", datetime(2026, 10, 3, 14, 22, tzinfo=UTC)),
        ("2026-10-03T14:22:00+05:30", datetime(2026, 10, 3, 8, 52, tzinfo=UTC)),
        ("1790000000000", datetime(2026, 9, 21, 14, 13, 20, tzinfo=UTC)),
    ],
)
def test_arrival_formats(cell: str, expected: datetime) -> None:
    assert values.arrival(cell, BERLIN, NOW) == expected


def test_arrival_refuses_the_future_and_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="is in the future"):
        values.arrival("2026-12-02", BERLIN, NOW)
    with pytest.raises(ValueError, match="month/day/year"):
        values.arrival("13/10/2026", BERLIN, NOW)
    with pytest.raises(ValueError, match="not a date we can read"):
        values.arrival("last Tuesday", BERLIN, NOW)


@pytest.mark.parametrize(
    ("text", "encoding", "label"),
    [
        ("Email,Name\na@x.example,Ann\n", "utf-8", "UTF-8"),
        ("Email,Name\na@x.example,Zoë\n", "utf-8-sig", "UTF-8 with BOM"),
        ("Email,Name\na@x.example,Zoë\n", "utf-16", "UTF-16 (little-endian, BOM)"),
        ("Email,Name\na@x.example,Zoë \u2013 “Müller” 5 €\n", "cp1252", "Windows-1252 / Latin-1"),
        ("Email,Name\na@x.example,François Lefèvre\n", "latin-1", "Windows-1252 / Latin-1"),
    ],
)
def test_encodings_it_tells_apart(text: str, encoding: str, label: str, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode(encoding))
    detected = detect_encoding(path)
    assert detected.label == label
    assert path.read_bytes().decode(detected.codec).lstrip("\ufeff") == text


def test_a_forced_encoding_must_exist_and_fit(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("Email\nzoë@x.example\n".encode("latin-1"))
    with pytest.raises(EncodingUnknown, match="knows no such encoding"):
        detect_encoding(path, "latin-42")
    with pytest.raises(EncodingUnknown, match="byte 8 cannot be decoded"):
        detect_encoding(path, "utf-8")
    assert detect_encoding(path, "latin-1").codec == "iso8859-1"
