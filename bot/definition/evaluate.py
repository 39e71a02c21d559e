"""Grading one lead against the definition: pure functions, no Slack, no database.

Text is compared case-insensitively and Unicode-aware: both sides are NFKC-normalized
and case-folded, so "STRASSE", "Straße" and "straße" are one word, and a full-width
"CTO" from an East Asian keyboard is "cto". `title` and `reason` pass when one of
the words appears as a whole word (or phrase): "cto" is in "CTO & co-founder" but
not in "director". A lead without the tested field misses the criterion.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.settings.definition import Criterion, MqlDefinition, NumberRange


class Gradable(Protocol):
    """What grading reads of a lead: intake's LeadIn and the stored Lead both have it."""

    industry: str | None
    country: str | None
    title: str | None
    reason: str | None
    employees: int | None
    score: float | None
    fields: Mapping[str, Any]


def fold(text: str) -> str:
    """NFKC, case-folded, runs of white space as one space: how both sides are compared."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _has_word(text: str, word: str) -> bool:
    pattern = r"(?<!\w)" + re.escape(fold(word)) + r"(?!\w)"
    return re.search(pattern, fold(text)) is not None


def _in_range(value: float | None, bounds: NumberRange) -> bool:
    if value is None:
        return False
    if bounds.at_least is not None and value < bounds.at_least:
        return False
    return bounds.at_most is None or value <= bounds.at_most


def _field_values(value: Any) -> list[str]:
    """A custom field's value(s) as text; a list passes if any item does."""
    if value is None or isinstance(value, dict):
        return []
    items = value if isinstance(value, list) else [value]
    return [fold(str(item)) for item in items if item is not None and not isinstance(item, dict)]


def meets(criterion: Criterion, lead: Gradable) -> bool:
    test = criterion.test
    if criterion.employees is not None:
        return _in_range(lead.employees, criterion.employees)
    if criterion.score is not None:
        return _in_range(lead.score, criterion.score)
    if criterion.fields is not None:
        ((key, allowed),) = criterion.fields.items()
        wanted = {fold(v) for v in allowed}
        return any(v in wanted for v in _field_values((lead.fields or {}).get(key)))
    value = getattr(lead, test)
    if not isinstance(value, str) or not value.strip():
        return False
    words: list[str] = getattr(criterion, test)
    if test in ("title", "reason"):
        return any(_has_word(value, word) for word in words)
    return fold(value) in {fold(word) for word in words}


@dataclass(frozen=True)
class Grade:
    """One lead against one version of the definition."""

    version: str
    met: tuple[bool, ...]  # one per criterion, in the definition's order
    ids: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.met)

    @property
    def met_count(self) -> int:
        return sum(self.met)

    @property
    def missed_mask(self) -> int:
        """Bit i set: criterion i missed (the queryable form, storage/definition.py)."""
        return sum(1 << i for i, ok in enumerate(self.met) if not ok)

    @property
    def misses(self) -> list[tuple[str, str]]:
        rows = zip(self.ids, self.labels, self.met, strict=True)
        return [(criterion_id, label) for criterion_id, label, ok in rows if not ok]


def grade(definition: MqlDefinition, lead: Gradable) -> Grade:
    return Grade(
        version=definition.version,
        met=tuple(meets(c, lead) for c in definition.criteria),
        ids=tuple(c.id for c in definition.criteria),
        labels=tuple(c.label for c in definition.criteria),
    )
