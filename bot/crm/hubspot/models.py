"""Typed shapes of what the HubSpot CRM v3 API returns, and of the search request.

Shapes follow HubSpot's public reference: CRM objects (contacts, deals, notes) as
`{id, properties, createdAt, updatedAt, archived}` and `associations.{type}.results`
on a single read; search as `{total, results, paging.next.after}` with
`filterGroups[].filters[] {propertyName, operator, value | values | highValue}`;
owners (`/crm/v3/owners`) as `{id, email, firstName, lastName, userId, ...}`;
properties (`/crm/v3/properties/{objectType}`) as `{name, label, type, fieldType, ...}`;
private-app token info (`POST /oauth/v2/private-apps/get/access-token-info`) as
`{userId, hubId, appId, scopes}`. Property values always travel as strings (or null).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    """HubSpot's camelCase on the wire, snake_case in Python; unknown keys are kept."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")


class Operator(StrEnum):
    EQ = "EQ"
    NEQ = "NEQ"
    LT = "LT"
    LTE = "LTE"
    GT = "GT"
    GTE = "GTE"
    BETWEEN = "BETWEEN"
    IN = "IN"
    NOT_IN = "NOT_IN"
    HAS_PROPERTY = "HAS_PROPERTY"
    NOT_HAS_PROPERTY = "NOT_HAS_PROPERTY"
    CONTAINS_TOKEN = "CONTAINS_TOKEN"
    NOT_CONTAINS_TOKEN = "NOT_CONTAINS_TOKEN"


class Filter(_Wire):
    """One search filter. IN/NOT_IN take `values`; BETWEEN takes `value` and `high_value`."""

    property_name: str = Field(alias="propertyName")
    operator: Operator
    value: str | None = None
    values: list[str] | None = None
    high_value: str | None = Field(default=None, alias="highValue")


class FilterGroup(_Wire):
    """Filters ANDed together; a search ORs its groups."""

    filters: list[Filter]


class Sort(_Wire):
    property_name: str = Field(alias="propertyName")
    direction: str = "ASCENDING"  # or "DESCENDING"


class AssociationRef(_Wire):
    id: str
    type: str


class CrmObject(_Wire):
    """A contact, deal or note. Unset requested properties come back as None."""

    id: str
    properties: dict[str, str | None] = Field(default_factory=dict)
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")
    archived: bool = False
    associations: dict[str, list[AssociationRef]] = Field(default_factory=dict)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> CrmObject:
        # A single read nests associations as {type: {"results": [...]}}; flatten it.
        raw = data.get("associations") or {}
        flat = {name: (block or {}).get("results", []) for name, block in raw.items()}
        return cls.model_validate({**data, "associations": flat})


class SearchPage(_Wire):
    """One page of a search. `next_after` is None on the last page."""

    total: int
    results: list[CrmObject]
    next_after: str | None = None


class BatchReadResult(_Wire):
    """A batch read: the records found, and the ids HubSpot reported as not found."""

    results: list[CrmObject]
    missing_ids: list[str] = Field(default_factory=list)


class Owner(_Wire):
    id: str
    email: str | None = None
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    user_id: int | None = Field(default=None, alias="userId")
    archived: bool = False


class PropertyDefinition(_Wire):
    name: str
    label: str = ""
    type: str = "string"
    field_type: str = Field(default="text", alias="fieldType")
    group_name: str | None = Field(default=None, alias="groupName")
    hubspot_defined: bool | None = Field(default=None, alias="hubspotDefined")
    options: list[dict[str, Any]] = Field(default_factory=list)
    read_only: bool | None = Field(default=None, alias="modificationMetadata")

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> PropertyDefinition:
        meta = data.get("modificationMetadata") or {}
        return cls.model_validate({**data, "modificationMetadata": meta.get("readOnlyValue")})


class TokenInfo(_Wire):
    """What a private-app token may do: its portal (hub) and its scopes."""

    hub_id: int = Field(alias="hubId")
    app_id: int | None = Field(default=None, alias="appId")
    user_id: int | None = Field(default=None, alias="userId")
    scopes: list[str] = Field(default_factory=list)

    def missing(self, required: list[str] | tuple[str, ...]) -> list[str]:
        """The scopes in `required` this token lacks, in the order given."""
        have = set(self.scopes)
        return [scope for scope in required if scope not in have]
