"""Which lead field each column of an export fills: built-in names, app.yaml, --mapping.

Headers are compared by a normalised key (case-folded, letters and digits only),
so "First Name", "first_name", "FIRSTNAME", "first-name" and Salesforce's API
name "FirstName" are one column to us.

Where the built-in names come from:
- HubSpot's contacts export: the header row of a real "all contacts" export
  (hubspot-crm-exports-all-contacts-2023-02-21.csv, quoted in full by a public
  script that checks it): "Record ID", "First Name", "Last Name", "Email",
  "Company Name", "Company size", "Job Title", "Industry", "Number of
  Employees", "Country/Region", "Original Source", "HubSpot Score", "Create
  Date", "Lead Status", "Lifecycle Stage", … HubSpot's knowledge base ("Set up
  your import files") shows the same labels as column headers.
- Salesforce: the Lead object's field labels in the Salesforce Field Reference
  (developer.salesforce.com, "Lead": Company, Country, Created Date, Industry,
  Title, …) and its API names (LeadSource, NumberOfEmployees, Status, on
  Salesforce's "Sales Lead Resource Mapping" page), which a Data Loader export
  uses as headers and which normalise to keys listed here. The lead report
  labels "Lead ID", "Lead Source", "Lead Status", "No. of Employees" and
  "Company / Account" are what Salesforce's lead reports show; public code that
  reads such exports uses the same names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import yaml

from storage.lead_input import LeadIn

# The arrival time is not a LeadIn field: ingest takes it beside the lead.
ARRIVAL = "created_at"
IGNORE = "ignore"
FIELDS_PREFIX = "fields."
LEAD_FIELDS = tuple(name for name in LeadIn.model_fields if name != "fields")
TARGETS = (*LEAD_FIELDS, ARRIVAL)

# Per target, the normalised header names we recognise, best first: when an
# export has two of them (HubSpot has both "Number of Employees" and "Company
# size"), the earlier one fills the field and the other goes into `fields`.
BUILT_IN: dict[str, tuple[str, ...]] = {
    "email": ("email", "emailaddress", "primaryemail", "workemail"),
    "external_id": ("externalid", "recordid", "leadid", "contactid", "hsobjectid", "id"),
    "first_name": ("firstname", "givenname"),
    "last_name": ("lastname", "surname", "familyname"),
    "company": ("company", "companyname", "companyaccount", "accountname", "organization"),
    "title": ("title", "jobtitle"),
    "industry": ("industry",),
    "employees": (
        "employees",
        "numberofemployees",
        "noofemployees",
        "numemployees",
        "employeecount",
        "companysize",
    ),
    "country": ("country", "countryregion"),
    "source": ("source", "leadsource", "originalsource"),
    "score": ("score", "leadscore", "hubspotscore"),
    "reason": ("reason", "mqlreason"),
    "crm_url": ("crmurl", "recordurl"),
    ARRIVAL: ("createdat", "createdate", "createddate", "creationdate", "datecreated"),
}


class Origin(StrEnum):
    BUILT_IN = "built-in"
    APP_YAML = "app.yaml"
    OPTION = "--mapping"


def normalize(header: str) -> str:
    return "".join(ch for ch in header.casefold() if ch.isalnum())


def check_target(target: object) -> str:
    """The target as written, or ValueError saying what a target may be."""
    if isinstance(target, str):
        if target in TARGETS or target == IGNORE:
            return target
        if target.startswith(FIELDS_PREFIX) and target[len(FIELDS_PREFIX) :].strip():
            return target
    raise ValueError(
        f"{target!r} is not a lead field; use one of {', '.join(TARGETS)}, "
        f"fields.KEY (kept in the lead's fields) or {IGNORE}"
    )


def check_mapping(mapping: object, where: str) -> dict[str, str]:
    """A column → target mapping, or ValueError naming every bad key."""
    prefix = f"{where}: " if where else ""
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{prefix}must be a mapping of column name to lead field")
    problems = []
    for column, target in mapping.items():
        try:
            check_target(target)
        except ValueError as exc:
            problems.append(f"{prefix}{column!s}: {exc}")
        if not normalize(str(column)):
            problems.append(f"{prefix}{column!r} is not a column name")
    if problems:
        raise ValueError("\n".join(problems))
    return {str(column): str(target) for column, target in mapping.items()}


def load_mapping_file(path: Path) -> dict[str, str]:
    """A --mapping file (YAML, or JSON by its .json suffix), checked like app.yaml's."""
    try:
        text = path.read_text(encoding="utf-8-sig")
        raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path.name}: cannot be read ({exc})") from None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path.name}: is not valid {_kind(path)} ({exc})") from None
    return check_mapping(raw, path.name)


def _kind(path: Path) -> str:
    return "JSON" if path.suffix.lower() == ".json" else "YAML"


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    target: str  # a lead field, created_at, fields.KEY or ignore
    origin: Origin | None  # None: no mapping named it, so it went into fields

    @property
    def field_key(self) -> str | None:
        """The key in the lead's `fields`, for columns that land there."""
        if self.target.startswith(FIELDS_PREFIX):
            return self.target[len(FIELDS_PREFIX) :]
        return None


@dataclass(frozen=True)
class ColumnPlan:
    columns: list[Column] = field(default_factory=list)
    # Columns --mapping names that this file lacks: a typo, or the wrong mapping file.
    # (app.yaml's mapping serves every file, so its misses are not worth a word.)
    not_found: list[str] = field(default_factory=list)

    def mapped(self) -> list[Column]:
        return [c for c in self.columns if c.target in TARGETS]

    def into_fields(self) -> list[Column]:
        return [c for c in self.columns if c.field_key is not None]

    def ignored(self) -> list[Column]:
        return [c for c in self.columns if c.target == IGNORE]

    def fills(self, target: str) -> bool:
        return any(c.target == target for c in self.columns)


def _explicit(
    overrides: Iterable[tuple[Origin, Mapping[str, str]]],
) -> dict[str, tuple[str, Origin]]:
    """Normalised header → (target, origin); later layers win over earlier ones."""
    chosen: dict[str, tuple[str, Origin]] = {}
    for origin, mapping in overrides:
        for column, target in mapping.items():
            chosen[normalize(column)] = (target, origin)
    return chosen


def plan_columns(
    header: list[str], overrides: Iterable[tuple[Origin, Mapping[str, str]]] = ()
) -> ColumnPlan:
    """Decide every column's target. `overrides` go from weakest to strongest.

    A column named in a mapping gets that target; the others get a built-in
    target unless a stronger claim on the same field exists; the rest keep
    their header as their key in `fields`. Two columns explicitly mapped to
    one field are an error (which value would win is a guess).
    """
    overrides = list(overrides)
    explicit = _explicit(overrides)
    targets: dict[int, tuple[str, Origin | None]] = {}
    taken: dict[str, int] = {}
    for index, name in enumerate(header):
        key = normalize(name)
        if key in explicit:
            target, origin = explicit[key]
            if target in TARGETS and target in taken:
                other = header[taken[target]]
                raise ValueError(f"columns {other!r} and {name!r} are both mapped to {target}")
            targets[index] = (target, origin)
            if target in TARGETS:
                taken[target] = index
    ranked = sorted(
        (BUILT_IN[target].index(normalize(name)), index, target)
        for index, name in enumerate(header)
        if index not in targets
        for target in BUILT_IN
        if normalize(name) in BUILT_IN[target]
    )
    for _rank, index, target in ranked:
        if target not in taken and index not in targets:
            targets[index] = (target, Origin.BUILT_IN)
            taken[target] = index
    present = {normalize(name) for name in header}
    not_found = [
        column
        for origin, mapping in overrides
        if origin is Origin.OPTION
        for column in mapping
        if normalize(column) not in present
    ]
    columns = []
    for index, name in enumerate(header):
        key = name.strip() or f"column {index + 1}"
        target, origin = targets.get(index, (FIELDS_PREFIX + key, None))
        columns.append(Column(index, name, target, origin))
    return ColumnPlan(columns, not_found)
