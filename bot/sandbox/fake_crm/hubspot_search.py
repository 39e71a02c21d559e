"""The fake HubSpot's search: filters, sorts, paging, and its documented limits.

Semantics from HubSpot's "Search the CRM" reference: groups are ORed and filters in a
group ANDed; IN/NOT_IN take `values`, BETWEEN `value` and `highValue`;
HAS_PROPERTY / NOT_HAS_PROPERTY test for a non-empty value; `limit` is at most 200;
paging is by an `after` offset and stops at 10,000 results; up to 5 filter groups
and 25 filters (10 per group), as in HubSpot's August 2024 changelog. Where the
reference is silent: string comparisons ignore case, NEQ / NOT_IN match records that
lack the property, and GT/LT on a missing value never match.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import hubspot_schema as schema
from .hubspot_store import FakeHubSpot, HubSpotError

MAX_LIMIT = 200
RESULT_CAP = 10_000
MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25
OPERATORS = {
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
}


def bad_request(message: str) -> HubSpotError:
    return HubSpotError(400, schema.error_body(400, message, "VALIDATION_ERROR"))


def search(store: FakeHubSpot, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
    groups = body.get("filterGroups") or []
    limit = _int(body.get("limit", 10), "limit")
    after = _int(body.get("after", 0), "after")
    if not 0 < limit <= MAX_LIMIT:
        raise bad_request(f"limit must be between 1 and {MAX_LIMIT}")
    if after >= RESULT_CAP:
        raise bad_request(f"Search results are limited to {RESULT_CAP} records; narrow the filter")
    _check_groups(store, object_type, groups)
    records = [
        r
        for r in store.objects[object_type].values()
        if not groups or any(_matches(store, object_type, r, g["filters"]) for g in groups)
    ]
    records = _sorted(store, object_type, records, body.get("sorts") or [])
    page = records[after : after + limit]
    names = body.get("properties") or schema.DEFAULT_PROPERTIES[object_type]
    result: dict[str, Any] = {
        "total": len(records),
        "results": [render(r, names) for r in page],
    }
    next_offset = after + limit
    if next_offset < len(records):
        result["paging"] = {"next": {"after": str(next_offset)}}
    return result


def render(record: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """A record as the API returns it: only the asked-for properties (unset ones null)."""
    props = {name: record["properties"].get(name) for name in names}
    props["hs_object_id"] = record["id"]
    return {
        "id": record["id"],
        "properties": props,
        "createdAt": record["createdAt"],
        "updatedAt": record["updatedAt"],
        "archived": record["archived"],
    }


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"{name} must be an integer") from None


def _check_groups(store: FakeHubSpot, object_type: str, groups: list[Any]) -> None:
    if len(groups) > MAX_GROUPS:
        raise bad_request(f"Too many filter groups ({len(groups)}); the maximum is {MAX_GROUPS}")
    total = 0
    for group in groups:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list):
            raise bad_request("each filter group needs a filters array")
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise bad_request(f"a filter group holds at most {MAX_FILTERS_PER_GROUP} filters")
        total += len(filters)
        for item in filters:
            name, operator = item.get("propertyName"), item.get("operator")
            if operator not in OPERATORS:
                raise bad_request(f"Unknown operator {operator!r}")
            if name == "associations.contact" and object_type == "deals":
                continue
            if not isinstance(name, str) or store.property_type(object_type, name) is None:
                raise bad_request(f"Property {name!r} does not exist on {object_type}")
    if total > MAX_FILTERS:
        raise bad_request(f"Too many filters ({total}); the maximum is {MAX_FILTERS}")


def _matches(
    store: FakeHubSpot, object_type: str, record: dict[str, Any], filters: list[dict[str, Any]]
) -> bool:
    return all(_test(store, object_type, record, f) for f in filters)


def _test(store: FakeHubSpot, object_type: str, record: dict[str, Any], f: dict[str, Any]) -> bool:
    name, op = f["propertyName"], f["operator"]
    if name == "associations.contact":
        contacts = store.deal_contacts.get(record["id"], set())
        wanted = {str(v) for v in (f.get("values") or [f.get("value")])}
        hit = bool(contacts & wanted)
        return not hit if op in {"NEQ", "NOT_IN"} else hit
    raw = record["properties"].get(name)
    present = raw not in (None, "")
    if op == "HAS_PROPERTY":
        return present
    if op == "NOT_HAS_PROPERTY":
        return not present
    kind = store.property_type(object_type, name) or "string"
    if op in {"IN", "NOT_IN"}:
        values = {_key(kind, v) for v in f.get("values") or []}
        inside = present and _key(kind, raw) in values
        return inside if op == "IN" else not inside
    if op in {"CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}:
        token = str(f.get("value", "")).lower().strip("*")
        found = present and token in str(raw).lower()
        return found if op == "CONTAINS_TOKEN" else not found
    if not present:
        return op == "NEQ"
    left, right = _key(kind, raw), _key(kind, f.get("value"))
    if op == "EQ":
        return left == right
    if op == "NEQ":
        return left != right
    if op == "BETWEEN":
        return right <= left <= _key(kind, f.get("highValue"))
    try:
        return {"LT": left < right, "LTE": left <= right, "GT": left > right, "GTE": left >= right}[
            op
        ]
    except TypeError:
        return False


def _key(kind: str, value: Any) -> Any:
    """A comparable value: numbers as floats, datetimes as epoch ms, strings lowered."""
    text = "" if value is None else str(value)
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            raise bad_request(f"{text!r} is not a number") from None
    if kind in {"datetime", "date"}:
        return _epoch_ms(text)
    return text.lower()


def _epoch_ms(text: str) -> int:
    """HubSpot takes epoch milliseconds or ISO 8601 for date filters."""
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        raise bad_request(f"{text!r} is not a date (epoch milliseconds or ISO 8601)") from None


def _sorted(
    store: FakeHubSpot, object_type: str, records: list[dict[str, Any]], sorts: list[Any]
) -> list[dict[str, Any]]:
    ordered = sorted(records, key=lambda r: int(r["id"]))
    for sort in reversed(sorts):
        name = sort.get("propertyName") if isinstance(sort, dict) else str(sort)
        descending = isinstance(sort, dict) and sort.get("direction") == "DESCENDING"
        kind = store.property_type(object_type, name) or "string"
        # Python's sort is stable, so applying sorts last-first gives a multi-key order;
        # records without the value go last either way.
        present = [r for r in ordered if r["properties"].get(name) not in (None, "")]
        absent = [r for r in ordered if r["properties"].get(name) in (None, "")]
        present.sort(key=lambda r: _key(kind, r["properties"][name]), reverse=descending)
        ordered = present + absent
    return ordered
