"""What-if: the definition language of one change, parsed, and the SQL it stands for.

    employees>=50        employees at least 50 (replaces that bound of a size criterion)
    score<=90            score at most 90
    industry=Software,Fintech    country=DE,AT    fields.plan=enterprise
    -buyer_role          without the criterion buyer_role

Several changes may be given together, separated by spaces. `title` and `reason`
are graded at intake by whole words, which SQL on SQLite cannot do the same way;
a what-if on them is refused with a pointer to dropping the criterion instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.sql import ColumnElement

from bot.settings.definition import Criterion, MqlDefinition
from storage.aggregates import field_is_one_of
from storage.models import Lead

CHANGE = re.compile(
    r"^(?P<field>[a-z_]+(?:\.[\w-]+)?)\s*(?P<op>>=|<=|=)\s*(?P<value>.+)$", re.IGNORECASE
)
NUMBER_FIELDS = {"employees": Lead.employees, "score": Lead.score}
LIST_FIELDS = {"industry": Lead.industry, "country": Lead.country}


class WhatIfError(ValueError):
    """A what-if the language cannot express; the message names the problem."""


@dataclass(frozen=True)
class Change:
    text: str  # as the person wrote it, for the answer
    field: str  # employees, score, industry, country, fields.KEY, or "-" (a drop)
    replaces: frozenset[str]  # ids of current criteria this change takes the place of
    condition: ColumnElement[bool] | None  # None for a drop


def _number(text: str, field: str) -> float:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        raise WhatIfError(f"`{field}` needs a number, not {text!r}") from None


def _values(text: str, field: str) -> list[str]:
    values = [v.strip() for v in text.split(",") if v.strip()]
    if not values:
        raise WhatIfError(f"`{field}=` needs at least one value, e.g. {field}=DE,AT")
    return values


def _tests(criterion: Criterion, field: str) -> bool:
    if field.startswith("fields."):
        return criterion.fields is not None and field[7:] in criterion.fields
    return criterion.test == field


def parse_change(text: str, definition: MqlDefinition) -> Change:
    text = text.strip()
    if text.startswith("-"):
        criterion_id = text[1:].strip()
        if definition.criterion(criterion_id) is None:
            known = ", ".join(c.id for c in definition.criteria) or "none"
            raise WhatIfError(f"there is no criterion `{criterion_id}` to drop; known: {known}")
        return Change(text, "-", frozenset({criterion_id}), None)
    match = CHANGE.match(text)
    if match is None:
        raise WhatIfError(
            f"can't read {text!r}: write FIELD>=N, FIELD<=N, FIELD=A,B or -CRITERION, "
            "e.g. employees>=50"
        )
    field, op, value = match["field"].lower(), match["op"], match["value"].strip()
    if field in ("title", "reason"):
        raise WhatIfError(
            f"`{field}` is matched by whole words at intake, which a what-if can't redo; "
            "drop its criterion instead (e.g. -buyer_role) to see what it costs"
        )
    known = field in NUMBER_FIELDS or field in LIST_FIELDS or field.startswith("fields.")
    if not known or field == "fields.":
        raise WhatIfError(
            f"`{field}` is not a field a what-if can test; use employees, score, industry, "
            "country or fields.KEY"
        )
    replaces = frozenset(c.id for c in definition.criteria if _tests(c, field))
    if field in NUMBER_FIELDS:
        if op == "=":
            raise WhatIfError(f"`{field}` takes >= or <=, e.g. {field}>=50")
        column, bound = NUMBER_FIELDS[field], _number(value, field)
        condition = column >= bound if op == ">=" else column <= bound
        # The criterion's other bound still holds: employees>=50 keeps an at_most.
        for criterion_id in replaces:
            criterion = definition.criterion(criterion_id)
            bounds = getattr(criterion, field) if criterion else None
            if op == ">=" and bounds is not None and bounds.at_most is not None:
                condition = condition & (column <= bounds.at_most)
            if op == "<=" and bounds is not None and bounds.at_least is not None:
                condition = condition & (column >= bounds.at_least)
        return Change(text, field, replaces, condition)
    if op != "=":
        raise WhatIfError(f"`{field}` takes a list of values: {field}=A,B")
    wanted = [v.lower() for v in _values(value, field)]
    if field in LIST_FIELDS:
        return Change(text, field, replaces, func.lower(LIST_FIELDS[field]).in_(wanted))
    key = match["field"][7:]
    return Change(text, field, replaces, field_is_one_of(Lead.fields, key, wanted))


@dataclass(frozen=True)
class WhatIf:
    changes: list[Change]
    kept_mask: int  # bits of the current criteria that still apply


def parse_what_if(args: list[str], definition: MqlDefinition) -> WhatIf:
    if not definition.enabled:
        raise WhatIfError("app.yaml sets no `mql_definition.criteria` to change")
    if not args:
        raise WhatIfError("say what to change, e.g. `what-if employees>=50`")
    changes = [parse_change(arg, definition) for arg in args]
    replaced = set().union(*(c.replaces for c in changes))
    mask = sum(1 << i for i, c in enumerate(definition.criteria) if c.id not in replaced)
    return WhatIf(changes, mask)
