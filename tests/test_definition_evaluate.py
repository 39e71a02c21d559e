"""Grading a lead against the definition: each test kind, missing fields, Unicode, letter case."""

from __future__ import annotations

from typing import Any

import pytest

from bot.definition.evaluate import grade, meets
from bot.settings.definition import Criterion, MqlDefinition
from storage.lead_input import LeadIn


def lead(**fields: Any) -> LeadIn:
    return LeadIn.model_validate({"email": "x@example.com", **fields})


def criterion(**test: Any) -> Criterion:
    return Criterion.model_validate({"id": "c", "label": "C", **test})


@pytest.mark.parametrize(
    ("test", "fields", "expected"),
    [
        ({"industry": ["Software"]}, {"industry": "software"}, True),
        ({"industry": ["Software"]}, {"industry": " SOFTWARE "}, True),
        ({"industry": ["Software"]}, {"industry": "Software services"}, False),
        ({"industry": ["Software"]}, {}, False),
        ({"employees": {"at_least": 50}}, {"employees": 50}, True),
        ({"employees": {"at_least": 50}}, {"employees": 49}, False),
        ({"employees": {"at_most": 500}}, {"employees": 501}, False),
        ({"employees": {"at_least": 50, "at_most": 500}}, {"employees": 500}, True),
        ({"employees": {"at_least": 0}}, {}, False),
        ({"country": ["DE", "AT"]}, {"country": "at"}, True),
        ({"country": ["DE", "AT"]}, {"country": "CH"}, False),
        ({"country": ["Österreich"]}, {"country": "ÖSTERREICH"}, True),
        ({"title": ["head", "vp"]}, {"title": "Head of Operations"}, True),
        ({"title": ["cto"]}, {"title": "CTO & co-founder"}, True),
        # A word, not a fragment of one: "cto" is not in "director".
        ({"title": ["cto"]}, {"title": "Director"}, False),
        ({"title": ["head of"]}, {"title": "Global HEAD  OF sales"}, True),
        ({"title": ["head of"]}, {"title": "Headof sales"}, False),
        ({"title": ["geschäftsführer"]}, {"title": "GESCHÄFTSFÜHRER"}, True),
        ({"title": ["strasse"]}, {"title": "Leiter Straße"}, True),
        # NFKC: a full-width CTO (U+FF23 U+FF34 U+FF2F) is "cto".
        ({"title": ["cto"]}, {"title": "\uff23\uff34\uff2f"}, True),
        ({"title": ["head"]}, {}, False),
        ({"score": {"at_least": 60}}, {"score": 60.0}, True),
        ({"score": {"at_least": 60}}, {"score": 59.9}, False),
        ({"score": {"at_least": 60}}, {}, False),
        ({"reason": ["demo", "pricing"]}, {"reason": "Requested a DEMO today"}, True),
        ({"reason": ["demo"]}, {"reason": "downloaded a demonstration ebook"}, False),
        ({"fields": {"plan": ["Enterprise"]}}, {"fields": {"plan": "enterprise"}}, True),
        ({"fields": {"plan": ["enterprise"]}}, {"fields": {"plan": ["free", "Enterprise"]}}, True),
        ({"fields": {"seats": ["10"]}}, {"fields": {"seats": 10}}, True),
        ({"fields": {"plan": ["enterprise"]}}, {"fields": {"plan": "free"}}, False),
        ({"fields": {"plan": ["enterprise"]}}, {"fields": {}}, False),
        ({"fields": {"plan": ["enterprise"]}}, {"fields": {"plan": {"x": 1}}}, False),
    ],
)
def test_each_test_kind(test: dict[str, Any], fields: dict[str, Any], expected: bool) -> None:
    assert meets(criterion(**test), lead(**fields)) is expected


def test_a_grade_names_its_version_count_and_misses() -> None:
    definition = MqlDefinition.model_validate(
        {
            "criteria": [
                {"id": "size", "label": "Company size", "employees": {"at_least": 50}},
                {"id": "region", "label": "Region", "country": ["DE"]},
                {"id": "buyer_role", "label": "buyer role", "title": ["head"]},
            ]
        }
    )
    result = grade(definition, lead(employees=80, country="de", title="Intern"))
    assert result.version == definition.version
    assert (result.met_count, result.total) == (2, 3)
    assert result.misses == [("buyer_role", "buyer role")]
    assert result.missed_mask == 0b100
    nothing = grade(definition, lead())
    assert nothing.missed_mask == 0b111 and nothing.met_count == 0
