"""Running a parsed SOQL query against the fake org's records.

Comparison rules from the SOQL reference: strings compare without case; LIKE has `%`
and `_` wildcards (escaped with a backslash); INCLUDES / EXCLUDES match multi-select
picklist values (`'a;b'` means both a and b); dates and datetimes are unquoted, and a
quoted value for a date, datetime, number or boolean field is an error; date literals
are ranges starting at midnight UTC, compared as the reference's table describes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .salesforce_soql import Comparison, Logic, Query, SoqlError, Value, malformed

FieldTypes = Callable[[str], dict[str, tuple[str, bool]]]
Lookup = Callable[[str], tuple[str, dict[str, Any]] | None]
_NUMERIC = {"currency", "double", "int", "percent", "number"}
_TEMPORAL = {"date", "datetime"}


def invalid_field(name: str, sobject: str) -> SoqlError:
    return SoqlError(
        "INVALID_FIELD",
        f"No such column '{name}' on entity '{sobject}'. If you are attempting to use a custom "
        "field, be sure to append the '__c' after the custom field name.",
    )


class Evaluator:
    """Evaluates one query: resolves fields (case-insensitively), filters, sorts, renders."""

    def __init__(
        self, query: Query, types: FieldTypes, lookup: Lookup, now: datetime, version: str
    ) -> None:
        self.query = query
        self.types = types
        self.lookup = lookup
        self.now = now.astimezone(UTC)
        self.version = version
        self.fields = types(query.sobject)

    def canonical(self, name: str, sobject: str | None = None) -> tuple[str, str]:
        """(canonical field name, type) for a plain field of `sobject`."""
        target = sobject or self.query.sobject
        for candidate, (kind, _) in self.types(target).items():
            if candidate.lower() == name.lower():
                return candidate, kind
        raise invalid_field(name, target)

    def resolve(self, record: dict[str, Any], path: str) -> tuple[Any, str]:
        """A (possibly dotted) field's value on `record`, and its type."""
        head, _, rest = path.partition(".")
        if not rest:
            name, kind = self.canonical(head)
            return record.get(name), kind
        if head.lower().endswith("__r"):
            raise malformed("custom relationships are not supported by the fake org")
        reference, kind = self.canonical(head + "Id")
        if kind != "reference":
            raise invalid_field(path, self.query.sobject)
        parent = self.lookup(record.get(reference) or "")
        if parent is None:
            return None, "string"
        sobject, parent_record = parent
        name, kind = self.canonical(rest, sobject)
        return parent_record.get(name), kind

    def check(self) -> None:
        """Refuse unknown fields and mistyped literals even when no record is tested."""
        for path in [*self.query.fields, *(f for f, _, _ in self.query.order)]:
            self.resolve({}, path)
        self.check_node(self.query.where)

    def check_node(self, node: Comparison | Logic | None) -> None:
        if isinstance(node, Logic):
            for part in node.parts:
                self.check_node(part)
            return
        if node is None or "." in node.field:
            return
        _, kind = self.canonical(node.field)
        for literal in node.values:
            if literal.kind == "dateliteral":
                if kind not in _TEMPORAL:
                    raise SoqlError(
                        "INVALID_FIELD", f"date literal used with non-date field '{node.field}'"
                    )
                date_range(literal.raw, self.now)
            elif literal.kind not in {"null", "like"} and node.operator not in {
                "INCLUDES",
                "EXCLUDES",
            }:
                self.key_of(literal, kind, node.field)

    def matches(self, record: dict[str, Any], node: Comparison | Logic | None) -> bool:
        if node is None:
            return True
        if isinstance(node, Logic):
            if node.operator == "NOT":
                return not self.matches(record, node.parts[0])
            results = (self.matches(record, part) for part in node.parts)
            return all(results) if node.operator == "AND" else any(results)
        value, kind = self.resolve(record, node.field)
        return self.compare(node, value, kind)

    def compare(self, node: Comparison, value: Any, kind: str) -> bool:
        op = node.operator
        if op in {"INCLUDES", "EXCLUDES"}:
            have = {v.lower() for v in (value or "").split(";") if v}
            hit = any({w.lower() for w in v.raw.split(";")} <= have for v in node.values)
            return hit if op == "INCLUDES" else not hit
        if op in {"IN", "NOT IN"}:
            hit = any(self.equal(value, kind, v, node.field) for v in node.values)
            return hit if op == "IN" else not hit
        (literal,) = node.values
        if op == "LIKE":
            return value is not None and bool(_like(literal.raw).fullmatch(str(value)))
        if literal.kind == "null":
            if op not in {"=", "!="}:
                raise malformed("null can only be compared with = or !=")
            return (value is None) == (op == "=")
        if literal.kind == "dateliteral":
            return self.in_range(value, kind, op, literal.raw, node.field)
        if op in {"=", "!="}:
            return self.equal(value, kind, literal, node.field) == (op == "=")
        if value is None:
            return False
        left, right = self.key(value, kind), self.key_of(literal, kind, node.field)
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]

    def equal(self, value: Any, kind: str, literal: Value, field: str) -> bool:
        if literal.kind == "null":
            return value is None
        if value is None:
            return False
        if literal.kind == "dateliteral":
            return self.in_range(value, kind, "=", literal.raw, field)
        return self.key(value, kind) == self.key_of(literal, kind, field)

    def key(self, value: Any, kind: str) -> Any:
        if kind in _NUMERIC:
            return float(value)
        if kind == "boolean":
            return bool(value)
        if kind == "datetime":
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if kind == "date":
            return date.fromisoformat(str(value)[:10])
        return str(value).lower()

    def key_of(self, literal: Value, kind: str, field: str) -> Any:
        expected = {"boolean": "boolean", "date": "date", "datetime": "datetime"}
        wanted = expected.get(kind, "number" if kind in _NUMERIC else "string")
        if literal.kind != wanted:
            quoted = " and should not be enclosed in quotes" if literal.kind == "string" else ""
            raise SoqlError(
                "INVALID_FIELD",
                f"value of filter criterion for field '{field}' must be of type {kind}{quoted}",
            )
        return self.key(literal.raw, kind)

    def in_range(self, value: Any, kind: str, op: str, name: str, field: str) -> bool:
        if kind not in _TEMPORAL:
            raise SoqlError("INVALID_FIELD", f"date literal used with non-date field '{field}'")
        start, end = date_range(name, self.now)
        if value is None:
            return op == "!="
        moment = self.key(value, kind)
        if kind == "date":
            start, end = start.date(), end.date()  # type: ignore[assignment]
        inside = start <= moment < end
        return {
            "=": inside,
            "!=": not inside,
            "<": moment < start,
            "<=": moment < end,
            ">": moment >= end,
            ">=": moment >= start,
        }[op]

    def render(self, record: dict[str, Any], sobject: str, record_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {"attributes": self.attributes(sobject, record_id)}
        for path in self.query.fields:
            head, _, rest = path.partition(".")
            if not rest:
                out[self.canonical(head)[0]] = record.get(self.canonical(head)[0])
                continue
            reference = self.canonical(head + "Id")[0]
            relation = reference[:-2]
            parent = self.lookup(record.get(reference) or "")
            if parent is None:
                out.setdefault(relation, None)
                continue
            parent_type, parent_record = parent
            block = out.get(relation) or {
                "attributes": self.attributes(parent_type, parent_record["Id"])
            }
            name = self.canonical(rest, parent_type)[0]
            block[name] = parent_record.get(name)
            out[relation] = block
        return out

    def attributes(self, sobject: str, record_id: str) -> dict[str, str]:
        url = f"/services/data/v{self.version}/sobjects/{sobject}/{record_id}"
        return {"type": sobject, "url": url}

    def sort(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ordered = list(records)
        for path, descending, nulls_first in reversed(self.query.order):
            present = [r for r in ordered if self.resolve(r, path)[0] is not None]
            absent = [r for r in ordered if self.resolve(r, path)[0] is None]
            present.sort(key=lambda r, p=path: self.key(*self.resolve(r, p)), reverse=descending)
            ordered = absent + present if nulls_first else present + absent
        return ordered


def _like(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def date_range(name: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) in UTC for a date literal, as the SOQL reference's table defines it."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    day = timedelta(days=1)
    literal, _, count_text = name.partition(":")
    count = int(count_text) if count_text.isdigit() else 0
    simple = {
        "TODAY": (today, today + day),
        "YESTERDAY": (today - day, today),
        "TOMORROW": (today + day, today + 2 * day),
        "LAST_90_DAYS": (today - 90 * day, today + day),
        "NEXT_90_DAYS": (today + day, today + 91 * day),
        "LAST_N_DAYS": (today - count * day, today + day),
        "NEXT_N_DAYS": (today + day, today + (count + 1) * day),
        "N_DAYS_AGO": (today - count * day, today - (count - 1) * day),
    }
    if literal in simple:
        if literal.endswith(("_N_DAYS", "DAYS_AGO")) and not count_text.isdigit():
            raise malformed(f"date literal {literal} needs :n")
        return simple[literal]
    month = today.replace(day=1)
    months = {"LAST_MONTH": -1, "THIS_MONTH": 0, "NEXT_MONTH": 1}
    if literal in months:
        start = _add_months(month, months[literal])
        return start, _add_months(start, 1)
    years = {"LAST_YEAR": -1, "THIS_YEAR": 0, "NEXT_YEAR": 1}
    if literal in years:
        start = month.replace(month=1, year=month.year + years[literal])
        return start, start.replace(year=start.year + 1)
    raise malformed(f"date literal {name} is not supported by the fake org")


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    return moment.replace(year=moment.year + index // 12, month=index % 12 + 1)
