"""`handoff import` of history: arrival times, dedup around them, mappings, big files."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from tests import store
from tests.importing import FIXTURES, config_with, count, handoff_import


def test_created_date_is_the_arrival_and_the_dedup_window_is_around_it(
    database_url: str, tmp_path: Path
) -> None:
    export = tmp_path / "history.csv"
    export.write_text(
        "Email,Lead Source,Created Date\n"
        "ann@example.com,Webinar,2026-01-05T09:00:00Z\n"
        "ann@example.com,Webinar,2026-03-20 10:00\n"  # 74 days later: a new lead
        "ann@example.com,Webinar,2026-03-30 10:00\n"  # 10 days later: a duplicate
        "bo@example.com,Ads,2099-01-01 00:00\n"  # in the future: invalid
        "cy@example.com,Ads,31/12/2026\n"  # day first: we read month/day/year
    )
    result = handoff_import(str(export), "--no-cards", database_url=database_url)
    assert result.exit_code == 1, result.output
    assert (count(result.output, "created"), count(result.output, "duplicate")) == (2, 1)
    assert "line 5: created_at: '2099-01-01 00:00' is in the future" in result.output
    assert "line 6: created_at: '31/12/2026' is not a date we can read" in result.output
    assert "read month/day/year" in result.output
    assert [lead.created_at for lead in store.leads(database_url)] == [
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 20, 9, 0, tzinfo=UTC),  # 10:00 in Berlin, winter time
    ]

    jsonl = tmp_path / "live.jsonl"
    jsonl.write_text(
        # arriving now: months after the March lead, so a new lead with a card
        json.dumps({"email": "ann@example.com", "source": "Webinar"})
        + "\n"
        # dated two weeks after the January lead: a duplicate of it
        + json.dumps(
            {"email": "ann@example.com", "source": "Webinar", "created_at": "2026-01-20T08:00Z"}
        )
        + "\n"
    )
    live = handoff_import(str(jsonl), database_url=database_url)
    assert (count(live.output, "created"), count(live.output, "duplicate")) == (1, 1)
    assert len(store.outbox(database_url)) == 1


def test_mapping_option_wins_over_app_yaml_which_wins_over_built_ins(tmp_path: Path) -> None:
    config = config_with(
        tmp_path,
        "import:\n  mapping:\n"
        "    Organisation: fields.organisation\n"  # overridden by --mapping below
        "    Given name: fields.given\n"  # beats the built-in first_name
        "    Attended (minutes): ignore\n",
    )
    database_url = f"sqlite:///{tmp_path}/x.db"
    result = handoff_import(
        str(FIXTURES / "webinar_attendees.csv"),
        "--mapping",
        str(FIXTURES / "webinar_mapping.yaml"),
        database_url=database_url,
        config=config,
    )
    assert result.exit_code == 0, result.output
    assert "Organisation → company (--mapping)" in result.output
    assert "Family name → last_name (built-in)" in result.output
    assert "into fields: Given name, Webinar" in result.output
    assert "ignored: Poll answers, Attended (minutes)" in result.output
    lena, omar = store.leads(database_url)
    assert (lena.email, lena.company, lena.title, lena.first_name) == (
        "lena.vogel@tailspin.example",
        "Tailspin Toys",
        "Product Lead",
        None,
    )
    assert lena.fields == {"given": "Lena", "webinar": "Q4 pipeline clinic"}
    assert lena.created_at == datetime(2026, 11, 12, 15, 5, tzinfo=UTC)
    assert omar.last_name == "Haddad"


def test_mapping_errors_name_the_key(tmp_path: Path) -> None:
    export = FIXTURES / "webinar_attendees.csv"
    database_url = f"sqlite:///{tmp_path}/x.db"
    typo = tmp_path / "typo.yaml"
    typo.write_text("Attendee Email: email\nOrganization Name: company\n")
    result = handoff_import(
        str(export), "--mapping", str(typo), "--dry-run", database_url=database_url
    )
    assert "not in this file (--mapping): Organization Name" in result.output

    bad = tmp_path / "mapping.json"
    bad.write_text(json.dumps({"Attendee Email": "email", "Role": "job"}))
    result = handoff_import(str(export), "--mapping", str(bad), database_url=database_url)
    assert result.exit_code == 2
    assert "mapping.json: Role: 'job' is not a lead field" in result.output

    twice = tmp_path / "twice.yaml"
    twice.write_text("Attendee Email: email\nOrganisation: company\nRole: company\n")
    result = handoff_import(str(export), "--mapping", str(twice), database_url=database_url)
    assert result.exit_code == 2
    assert "columns 'Organisation' and 'Role' are both mapped to company" in result.output

    config = config_with(tmp_path, "import:\n  mapping:\n    Lead Owner: owner\n")
    result = handoff_import(str(export), database_url=database_url, config=config)
    assert result.exit_code == 2
    assert "import.mapping: Lead Owner: 'owner' is not a lead field" in result.output
    assert not (tmp_path / "x.db").exists()


def test_a_large_export_queues_every_card_exactly_once(database_url: str, tmp_path: Path) -> None:
    rows = 20_000
    export = tmp_path / "contacts.csv"
    with export.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(["Record ID", "Email", "First Name", "Company Name", "Original Source"])
        for n in range(rows):
            # every 1,000th row repeats an earlier Record ID: a duplicate, no second card
            record = n - 1 if n % 1000 == 999 else n
            writer.writerow([str(record), f"p{n}@x{n % 50}.example", f"P{n}", f"Co {n}", "Ads"])
    result = handoff_import(str(export), database_url=database_url)
    assert result.exit_code == 0, result.output
    assert (count(result.output, "created"), count(result.output, "duplicate")) == (19_980, 20)
    cards = [message.lead_id for message in store.outbox(database_url)]
    assert len(cards) == len(set(cards)) == 19_980
    assert set(cards) == {lead.id for lead in store.leads(database_url)}
