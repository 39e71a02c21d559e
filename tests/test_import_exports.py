"""`handoff import` on the exports people have: HubSpot, Salesforce, odd encodings."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests import store
from tests.importing import FIXTURES, ROOT, count, handoff_import

# Cyrillic on purpose: Windows-1251 bytes read as 1252 would be accented Latin garbage.
RUSSIAN_EXPORT = "Email,Имя,Компания\nivan@example.ru,Иван,Рога и копыта\n"  # noqa: RUF001
RUSSIAN_FIELDS = {"Имя": "Иван", "Компания": "Рога и копыта"}  # noqa: RUF001


def test_hubspot_contacts_export_fills_the_card(database_url: str) -> None:
    result = handoff_import(str(FIXTURES / "hubspot_contacts.csv"), database_url=database_url)
    assert result.exit_code == 1, result.output  # one row has no valid email
    assert "line 5: email: value is not a valid email address" in result.output
    for mapped in (
        "Record ID → external_id",
        "Company Name → company",
        "Job Title → title",
        "Number of Employees → employees",
        "Original Source → source",
        "HubSpot Score → score",
        "Create Date → created_at",
        "Country/Region → country",
    ):
        assert mapped in result.output
    assert "into fields: Associated Company, Company size, Contact owner" in result.output

    priya, tom, aiko = store.leads(database_url)
    assert (priya.first_name, priya.last_name, priya.display_name) == (
        "Priya",
        "Raman",
        "Priya Raman",
    )
    assert (priya.company, priya.title, priya.industry) == (
        "Northwind Analytics",
        "VP Marketing",
        "Computer Software",
    )
    assert (priya.external_id, priya.employees, priya.country) == ("51234101", 180, "Germany")
    assert (priya.source, priya.score) == ("Organic Search", 85)
    # 14:22 in the team's zone (app.yaml: Europe/Berlin, summer time)
    assert priya.created_at == datetime(2026, 10, 3, 12, 22, tzinfo=UTC)
    assert priya.fields["Lead Status"] == "New"
    assert priya.fields["Phone Number"] == "+49 30 1234567"
    assert "Email" not in priya.fields and "First Name" not in priya.fields
    assert tom.score == 1250  # "1,250"
    assert aiko.employees == 1200  # "1,200"
    assert len(store.outbox(database_url)) == 3, "one card per new lead"


@pytest.mark.parametrize("name", ["salesforce_leads.csv", "salesforce_leads_latin1.csv"])
def test_salesforce_report_header_block_and_footers_are_skipped(name: str, sqlite_url: str) -> None:
    result = handoff_import(str(FIXTURES / name), "--no-cards", database_url=sqlite_url)
    assert result.exit_code == 0, result.output
    assert "Skipped 4 report header lines" in result.output
    assert "Skipped 5 report footer lines" in result.output
    assert count(result.output, "invalid") == 0
    label = "UTF-8" if name == "salesforce_leads.csv" else "Windows-1252 / Latin-1"
    assert f"{name}: {label}, comma-separated" in result.output

    muller, francois, jose = store.leads(sqlite_url)
    assert (muller.first_name, muller.last_name, muller.company) == (
        "Jürgen",
        "Müller",
        "Müller & Söhne AG",
    )
    assert (francois.first_name, francois.last_name) == ("François", "Lefèvre")
    assert francois.company == "Société Générale d'Études"
    assert (jose.first_name, jose.last_name) == ("José", "Núñez")
    assert (muller.external_id, muller.source, muller.employees) == (
        "00Q5g00000AbCdEAA1",
        "Web",
        2500,
    )
    assert muller.fields == {
        "Lead Status": "Open - Not Contacted",
        "Rating": "Hot",
        "Lead Owner": "Dana Scully",
    }
    # "11/3/2026 2:22 PM" (US format) in Europe/Berlin, winter time
    assert francois.created_at == datetime(2026, 11, 3, 13, 22, tzinfo=UTC)


def test_a_one_cell_line_followed_by_data_is_data_not_a_footer(tmp_path: Path) -> None:
    export = tmp_path / "leads.csv"
    export.write_text(
        "Email,Company\nana@example.com,Acme\n\njust a note\nbo@example.com,Bobco\n\n"
        '"Grand Totals (2 records)"\n'
    )
    database_url = f"sqlite:///{tmp_path}/x.db"
    result = handoff_import(str(export), database_url=database_url)
    assert result.exit_code == 1
    assert "line 4: email: value is not a valid email address" in result.output
    assert "Skipped 1 report footer lines" in result.output
    assert [lead.email for lead in store.leads(database_url)] == [
        "ana@example.com",
        "bo@example.com",
    ]


def test_utf16_with_bom_and_tabs_as_excel_saves_unicode_text(tmp_path: Path) -> None:
    export = tmp_path / "leads.txt"
    export.write_text("Email\tFirst Name\tCompany\nzoe@example.com\tZoë\tÆrø A/S\n", "utf-16")
    database_url = f"sqlite:///{tmp_path}/x.db"
    result = handoff_import(str(export), database_url=database_url)
    assert result.exit_code == 0, result.output
    assert "UTF-16 (little-endian, BOM), tab-separated" in result.output
    (lead,) = store.leads(database_url)
    assert (lead.first_name, lead.company) == ("Zoë", "Ærø A/S")


def test_an_encoding_it_cannot_tell_is_a_clear_message_not_a_traceback(tmp_path: Path) -> None:
    export = tmp_path / "leads.csv"
    export.write_bytes(RUSSIAN_EXPORT.encode("cp1251"))
    database_url = f"sqlite:///{tmp_path}/x.db"
    # A subprocess, as a person runs it: what reaches the terminal is all there is.
    result = subprocess.run(
        [sys.executable, "-m", "bot", "import", str(export)],
        env={"DATABASE_URL": database_url, "HANDOFF_CONFIG": str(ROOT / "app.yaml")},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Cannot import leads.csv" in result.stderr
    assert "--encoding" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "x.db").exists()

    forced = handoff_import(str(export), "--encoding", "cp1251", database_url=database_url)
    assert forced.exit_code == 0, forced.output
    assert store.leads(database_url)[0].fields == RUSSIAN_FIELDS


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Email,Name\na@example.com,Ann\n".encode("utf-16-le"), "NUL bytes"),
        (b"Email,Name\na@example.com,Ann\x81\n", "neither UTF-8 nor Windows-1252"),
        ("Email,Name\na@example.com,Zoë\n".encode() + b"b@example.com,Zo\xeb\n", "mixes UTF-8"),
    ],
)
def test_undecidable_files_name_the_problem(content: bytes, message: str, tmp_path: Path) -> None:
    export = tmp_path / "leads.csv"
    export.write_bytes(content)
    result = handoff_import(str(export), database_url=f"sqlite:///{tmp_path}/x.db")
    assert result.exit_code == 2
    assert message in result.output
    assert "--encoding" in result.output


def test_a_file_without_an_email_column_says_so(tmp_path: Path) -> None:
    export = tmp_path / "leads.csv"
    export.write_text("Name,Company\nAnn,Acme\n")
    result = handoff_import(str(export), database_url=f"sqlite:///{tmp_path}/x.db")
    assert result.exit_code == 2
    assert "no column holds the email address" in result.output
    assert "'Name, Company'" in result.output


def test_dry_run_shows_the_first_cards_and_stores_nothing(tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    result = handoff_import(
        str(FIXTURES / "hubspot_contacts.csv"), "--dry-run", database_url=f"sqlite:///{database}"
    )
    assert result.exit_code == 1  # the invalid line still counts
    assert count(result.output, "valid") == 3
    assert "Dry run: nothing was stored" in result.output
    assert (
        "line 2: Priya Raman <priya.raman@northwind.example> · Northwind Analytics · VP Marketing"
        " · Computer Software · employees 180 · Germany · source Organic Search · score 85"
        " · arrived 2026-10-03 14:22 CEST"
    ) in result.output
    assert not database.exists(), "a dry run opens no database, so it creates none"


def test_no_cards_stores_history_without_cards_or_sla(database_url: str) -> None:
    result = handoff_import(
        str(FIXTURES / "hubspot_contacts.csv"), "--no-cards", database_url=database_url
    )
    assert "3 leads stored as history: no cards, no SLA clocks." in result.output
    leads = store.leads(database_url)
    assert len(leads) == 3
    assert store.outbox(database_url) == []
    for lead in leads:
        assert lead.state == "open"
        assert (lead.posted_at, lead.due_at, lead.sla_next_at, lead.message_ts) == (None,) * 4


def test_padding_is_not_a_cell_but_an_extra_value_is(tmp_path: Path) -> None:
    export = tmp_path / "leads.csv"
    export.write_text("Email;Company\nana@example.com;Acme;;\nbo@example.com;Bobco;oops\n")
    database_url = f"sqlite:///{tmp_path}/x.db"
    result = handoff_import(str(export), database_url=database_url)
    assert result.exit_code == 1
    assert "semicolon-separated" in result.output
    assert "line 3: has more cells than the header has columns" in result.output
    assert [lead.company for lead in store.leads(database_url)] == ["Acme"]

    workbook = tmp_path / "leads.xlsx"
    workbook.write_bytes(b"PK\x03\x04")
    result = handoff_import(str(workbook), database_url=database_url)
    assert result.exit_code == 2
    assert "save it as CSV (UTF-8)" in result.output
