"""Typed shapes of what the Salesforce REST API returns.

From Salesforce's REST API Developer Guide: the OAuth token response (`access_token,
instance_url, id, token_type, issued_at, signature, scope`); `sObject Describe`
(`name, label, fields[] {name, label, type, updateable, createable, nillable, custom}`);
`Limits` (`{Name: {Max, Remaining}}`). Query records stay plain dicts: their keys are
whatever the SOQL selected, plus `attributes {type, url}`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow")


class TokenResponse(_Wire):
    access_token: str = Field(repr=False)
    instance_url: str
    token_type: str = "Bearer"
    issued_at: str | None = None
    id: str | None = None
    scope: str | None = None


class FieldDescribe(_Wire):
    name: str
    label: str = ""
    type: str = "string"
    updateable: bool = False
    createable: bool = False
    nillable: bool = True
    custom: bool = False


class SObjectDescribe(_Wire):
    name: str
    label: str = ""
    fields: list[FieldDescribe] = Field(default_factory=list)

    def field(self, name: str) -> FieldDescribe | None:
        """A field by API name, ignoring case as SOQL does."""
        lowered = name.lower()
        return next((f for f in self.fields if f.name.lower() == lowered), None)


class Limit(_Wire):
    max: int = Field(alias="Max")
    remaining: int = Field(alias="Remaining")


def fields_of(record: dict[str, Any]) -> dict[str, Any]:
    """A query record without its `attributes` (also inside parent relationships)."""
    return {
        key: fields_of(value) if isinstance(value, dict) else value
        for key, value in record.items()
        if key != "attributes"
    }
