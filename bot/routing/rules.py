"""Which rule a lead matches: the first whose every condition holds (app.yaml `routing.rules`).

Pure functions of the lead's fields and the settings; no clock, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from bot.settings.routing import RoutingConfig, Rule


class LeadFields(Protocol):
    country: str | None
    employees: int | None
    industry: str | None
    source: str | None
    score: float | None
    reason: str | None


@dataclass(frozen=True)
class Match:
    index: int
    rule: Rule


def _fold(value: str | None) -> str:
    return (value or "").strip().casefold()


def _one_of(value: str | None, options: list[str]) -> bool:
    return _fold(value) in {_fold(option) for option in options}


def _has_word(text: str | None, words: list[str]) -> bool:
    # Whole words, any case: "demo" matches "Demo request" but not "demographics".
    return any(re.search(rf"\b{re.escape(word)}\b", text or "", re.IGNORECASE) for word in words)


def rule_holds(rule: Rule, lead: LeadFields, regions: dict[str, list[str]]) -> bool:
    countries = list(rule.country)
    for region in rule.region:
        countries += regions.get(region, [])
    checks = [
        not countries or _one_of(lead.country, countries),
        rule.employees is None or rule.employees.holds(lead.employees),
        not rule.industry or _one_of(lead.industry, rule.industry),
        not rule.source or _one_of(lead.source, rule.source),
        rule.score is None or rule.score.holds(lead.score),
        not rule.reason or _has_word(lead.reason, rule.reason),
    ]
    return all(checks)


def match_rule(lead: LeadFields, routing: RoutingConfig) -> Match | None:
    """The first rule that holds for `lead`, or None (the lead is left to Claim)."""
    for index, rule in enumerate(routing.rules):
        if rule_holds(rule, lead, routing.regions):
            return Match(index, rule)
    return None
