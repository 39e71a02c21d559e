"""Intake validation as plain functions."""

from storage.lead_input import MAX_BATCH, FieldError, parse_leads, unwrap_intake_body


def test_a_full_lead_is_accepted_and_normalised() -> None:
    leads, errors = parse_leads(
        [
            {
                "email": "  Ana@Example.COM ",
                "external_id": "hs-1",
                "first_name": "Ana",
                "employees": "120",
                "score": 87,
                "crm_url": "https://crm.example.com/contacts/1",
                "fields": {"utm_campaign": "spring"},
            }
        ]
    )
    assert errors == []
    assert leads[0].email == "ana@example.com"
    assert leads[0].employees == 120
    assert leads[0].to_columns()["crm_url"] == "https://crm.example.com/contacts/1"


def test_errors_name_the_field_and_the_index() -> None:
    _, errors = parse_leads(
        [
            {"email": "ok@example.com"},
            {
                "email": "not-an-email",
                "employees": -3,
                "colour": "red",
                "crm_url": "javascript:alert(1)",
            },
            "a string",
            {},
        ]
    )
    by_field = {(e.index, e.field): e.message for e in errors}
    assert (1, "email") in by_field
    assert (1, "employees") in by_field
    assert by_field[(1, "colour")].startswith("is not a lead field")
    assert (1, "crm_url") in by_field
    assert by_field[(2, "(lead)")] == "must be a JSON object"
    assert by_field[(3, "email")] == "is required"
    assert all(e.index != 0 for e in errors)


def test_envelopes() -> None:
    assert unwrap_intake_body({"email": "a@b.co"}) == ([{"email": "a@b.co"}], False)
    assert unwrap_intake_body({"leads": [{"email": "a@b.co"}]}) == ([{"email": "a@b.co"}], True)
    too_many = unwrap_intake_body({"leads": [{}] * (MAX_BATCH + 1)})
    assert isinstance(too_many, FieldError) and "limit is 500" in too_many.message
    assert isinstance(unwrap_intake_body({"leads": []}), FieldError)
    assert isinstance(unwrap_intake_body({"leads": {}}), FieldError)
    assert isinstance(unwrap_intake_body([1, 2]), FieldError)
    assert isinstance(unwrap_intake_body({"leads": [], "extra": 1}), FieldError)
