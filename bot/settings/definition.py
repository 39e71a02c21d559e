"""The `mql_definition:` section of app.yaml: what makes a lead marketing-qualified.

Each criterion has an id, a label for people, and exactly one test on a lead
field. The definition's version is a hash of its tests (not of labels, on_miss or
the review schedule: renaming a label does not change which leads pass), so a
lead's stored fit names exactly the tests it was graded against, and nobody has
to remember to bump a number.
"""

from __future__ import annotations

import hashlib
import json
from datetime import time
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from bot.settings.common import People, Strict, require_unique_ids

# A lead's misses are a bit mask in one integer column (storage/definition.py).
MAX_CRITERIA = 20
MAX_VALUES = 200
TEXT_TESTS = ("industry", "country", "title", "reason")
NUMBER_TESTS = ("employees", "score")
TESTS = (*TEXT_TESTS, *NUMBER_TESTS, "fields")
OnMiss = Literal["flag", "review", "return"]
Value = Annotated[str, Field(min_length=1, max_length=200)]


class NumberRange(Strict):
    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _a_bound_in_order(self) -> NumberRange:
        if self.at_least is None and self.at_most is None:
            raise ValueError("give at_least, at_most or both")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError(f"at_least ({self.at_least:g}) is above at_most ({self.at_most:g})")
        return self


def _values(value: Any, what: str) -> list[str]:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list of values")
    cleaned = [str(item).strip() for item in value if str(item).strip()]
    if not cleaned:
        raise ValueError(f"{what} is an empty list; name at least one value")
    if len(cleaned) > MAX_VALUES:
        raise ValueError(f"{what} lists {len(cleaned)} values; the limit is {MAX_VALUES}")
    return cleaned


class Criterion(Strict):
    """One agreed criterion: `id`, `label` and exactly one test."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]
    label: Annotated[str, Field(min_length=1, max_length=60)]
    industry: list[Value] | None = None
    country: list[Value] | None = None
    title: list[Value] | None = None
    reason: list[Value] | None = None
    employees: NumberRange | None = None
    score: NumberRange | None = None
    # One key of the lead's `fields`, with the values that pass: {plan: [enterprise]}.
    fields: dict[str, list[Value]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_known_test(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        unknown = [k for k in data if k not in ("id", "label", *TESTS)]
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not a lead field a criterion can test; "
                f"use one of {', '.join(TESTS)} (fields takes one key of the lead's fields)"
            )
        # A test written as null (or dumped from a model) is no test.
        data = {k: v for k, v in data.items() if v is not None or k not in TESTS}
        tests = [k for k in TESTS if k in data]
        if len(tests) != 1:
            named = ", ".join(tests) if tests else "none"
            raise ValueError(f"needs exactly one test ({', '.join(TESTS)}); it has {named}")
        data.setdefault("label", str(data.get("id", "")).replace("_", " "))
        test = tests[0]
        if test in TEXT_TESTS:
            data[test] = _values(data[test], test)
        elif test == "fields":
            data["fields"] = _field_test(data["fields"])
        return data

    @property
    def test(self) -> str:
        return next(name for name in TESTS if getattr(self, name) is not None)

    def normalized(self) -> dict[str, Any]:
        """The test alone, in a canonical form: what the version hashes."""
        value = getattr(self, self.test)
        if isinstance(value, NumberRange):
            value = value.model_dump(exclude_none=True)
        elif isinstance(value, dict):
            value = {k: sorted(v.casefold() for v in vs) for k, vs in value.items()}
        else:
            value = sorted(v.casefold() for v in value)
        return {"id": self.id, self.test: value}


def _field_test(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError("fields takes exactly one key of the lead's fields, e.g. {plan: [team]}")
    (key, values), *_ = value.items()
    if not isinstance(key, str) or not key.strip():
        raise ValueError("fields needs the name of a key of the lead's fields")
    return {key.strip(): _values(values, f"fields.{key}")}


class DefinitionReview(Strict):
    """The monthly definition review: suggestions to the marketing channel and the managers."""

    enabled: bool = True
    day: Annotated[int, Field(ge=1, le=28)] = 1  # day of the month, team time zone
    at: time = time(9, 0)
    # A suggested change must keep at least these shares of the accepted and won leads.
    keep_accepted: Annotated[float, Field(ge=0, le=1)] = 0.8
    keep_won: Annotated[float, Field(ge=0, le=1)] = 0.9
    # How far back the review looks.
    period: Annotated[str, Field(pattern=r"^\d{1,3}d$")] = "90d"
    suggestions: Annotated[int, Field(ge=1, le=3)] = 3


class MqlDefinition(Strict):
    criteria: list[Criterion] = Field(default_factory=list, max_length=MAX_CRITERIA)
    on_miss: OnMiss = "flag"
    # The sales managers who decide disputed rejections; empty means the admins.
    managers: People = Field(default_factory=People)
    review: DefinitionReview = Field(default_factory=DefinitionReview)

    @field_validator("criteria")
    @classmethod
    def _unique_ids(cls, value: list[Criterion]) -> list[Criterion]:
        require_unique_ids([c.id for c in value], "criterion")
        return value

    @property
    def enabled(self) -> bool:
        return bool(self.criteria)

    @property
    def version(self) -> str:
        """12 hex digits of the SHA-256 of the criteria's tests, in order."""
        canonical = json.dumps([c.normalized() for c in self.criteria], sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)
