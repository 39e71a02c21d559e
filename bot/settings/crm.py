"""The `crm:` section of app.yaml: which CRM, what an MQL is there, what to map and write back.

Property and field names, MQL definitions and the values written on each transition
are team decisions and live here; the CRM's credentials come only from the
environment (bot/settings/environment.py). Every mapping has a default per provider
that works with a CRM's standard properties, so `provider: hubspot` alone is enough
to start.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from bot.crm.salesforce.soql import check_where
from bot.settings.common import Duration, SlackUserId, Strict

# A CRM property or field name: HubSpot's internal names (lower case, digits,
# underscores) and Salesforce API names (`Status`, `Rejection_Reason__c`).
PropertyName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,99}$")]
PropertyValues = dict[PropertyName, str]
OrgId = Annotated[str, Field(pattern=r"^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$")]

# The lead fields a CRM property can fill (storage/lead_input.py LeadIn, minus the
# ones the connector sets itself: external_id, crm_url, fields).
LeadField = Literal[
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "industry",
    "employees",
    "country",
    "source",
    "score",
    "reason",
]

HUBSPOT_FIELDS: dict[str, str] = {
    "email": "email",
    "first_name": "firstname",
    "last_name": "lastname",
    "company": "company",
    "title": "jobtitle",
    "industry": "industry",
    "country": "country",
    "source": "hs_analytics_source",
    "score": "hubspotscore",
}
SALESFORCE_FIELDS: dict[str, str] = {
    "email": "Email",
    "first_name": "FirstName",
    "last_name": "LastName",
    "company": "Company",
    "title": "Title",
    "industry": "Industry",
    "employees": "NumberOfEmployees",
    "country": "Country",
    "source": "LeadSource",
}


def merged_fields(defaults: dict[str, str], overrides: dict[str, str | None]) -> dict[str, str]:
    """The provider's defaults with the team's mapping on top; null switches a field off."""
    merged: dict[str, str | None] = {**defaults, **overrides}
    return {lead_field: name for lead_field, name in merged.items() if name}


def _needs_email(fields: dict[str, str | None], defaults: dict[str, str]) -> None:
    if not merged_fields(defaults, fields).get("email"):
        raise ValueError("email must be mapped: a lead without an address cannot be stored")


class HubSpotMql(Strict):
    """What makes a HubSpot contact an MQL: a lifecycle stage, or one property's value.

    `since_property` is the date property the poller's cursor filters and sorts on;
    by default the date HubSpot stamps when a contact enters the stage, or
    `lastmodifieddate` for a property filter.
    """

    lifecycle_stage: PropertyName | None = "marketingqualifiedlead"
    # `property` in app.yaml; another name here, where it would hide the builtin.
    filter_property: PropertyName | None = Field(default=None, alias="property")
    value: str | None = None
    since_property: PropertyName | None = None

    @model_validator(mode="after")
    def _one_definition(self) -> HubSpotMql:
        if self.filter_property is not None:
            if self.value is None:
                raise ValueError("a property filter needs a value")
            if "lifecycle_stage" not in self.model_fields_set:
                object.__setattr__(self, "lifecycle_stage", None)
            elif self.lifecycle_stage is not None:
                raise ValueError("use lifecycle_stage or property, not both")
        elif self.lifecycle_stage is None:
            raise ValueError("set lifecycle_stage, or property and value")
        return self

    @property
    def date_property(self) -> str:
        if self.since_property:
            return self.since_property
        if self.lifecycle_stage is not None:
            return f"hs_lifecyclestage_{self.lifecycle_stage}_date"
        return "lastmodifieddate"


class HubSpotWriteBack(Strict):
    """Contact properties written on each transition (values are HubSpot's internal ones).

    The defaults never move the lifecycle stage backwards: HubSpot only allows that
    after clearing the property, which would erase the stage history RevOps reports on.
    """

    owner: bool = True  # set hubspot_owner_id to the claiming rep's owner
    claim: PropertyValues = Field(default_factory=lambda: {"hs_lead_status": "IN_PROGRESS"})
    accept: PropertyValues = Field(default_factory=lambda: {"lifecyclestage": "salesqualifiedlead"})
    reject: PropertyValues = Field(default_factory=lambda: {"hs_lead_status": "UNQUALIFIED"})
    reason_property: PropertyName | None = None
    comment_property: PropertyName | None = None
    note: bool = True  # a note on the contact saying who rejected it and why


class HubSpotConfig(Strict):
    mql: HubSpotMql = Field(default_factory=HubSpotMql)
    fields: dict[LeadField, PropertyName | None] = Field(default_factory=dict)
    write_back: HubSpotWriteBack = Field(default_factory=HubSpotWriteBack)
    # Where a contact's page is: app.hubspot.com, or app-eu1.hubspot.com for EU portals.
    app_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+$")] = "https://app.hubspot.com"
    # The portal (hub) id for record links; read from the token when not set.
    portal_id: int | None = None
    # The URL HubSpot calls, when a proxy makes it differ from what the bot sees;
    # v3 signatures cover the full URL.
    webhook_url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    # Client-side pacing under HubSpot's limits (private apps: 100 per 10 s on
    # Free/Starter, search: 5 per second); a 429 still pauses all calls.
    requests_per_10s: Annotated[int, Field(ge=1, le=1000)] = 100
    searches_per_second: Annotated[int, Field(ge=1, le=5)] = 4

    @field_validator("fields")
    @classmethod
    def _email_mapped(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        _needs_email(value, HUBSPOT_FIELDS)
        return value

    @property
    def field_map(self) -> dict[str, str]:
        return merged_fields(HUBSPOT_FIELDS, dict(self.fields))


class SalesforceWriteBack(Strict):
    """Lead fields written on each transition (picklist values as the org spells them)."""

    owner: bool = True  # set OwnerId to the claiming rep's user
    claim: PropertyValues = Field(default_factory=lambda: {"Status": "Working - Contacted"})
    accept: PropertyValues = Field(default_factory=lambda: {"Status": "Sales Accepted"})
    reject: PropertyValues = Field(default_factory=lambda: {"Status": "Nurture"})
    reason_field: PropertyName | None = None
    comment_field: PropertyName | None = None
    task: bool = True  # a completed Task on the lead saying who rejected it and why


class SalesforceConfig(Strict):
    # One boolean SOQL condition on Lead; checked at load time (a bad one is named
    # with its position) and pasted into SELECT … FROM Lead WHERE (<this>) AND ….
    mql_where: str = "Status = 'Marketing Qualified'"
    fields: dict[LeadField, PropertyName | None] = Field(default_factory=dict)
    write_back: SalesforceWriteBack = Field(default_factory=SalesforceWriteBack)
    # Outbound Messages from any other org are refused. The org id is not a secret
    # (it is in every Salesforce URL), so it lives here.
    organization_id: OrgId | None = None
    # A closed-lost opportunity's reason, if the org keeps one (e.g. Loss_Reason__c).
    loss_reason_field: PropertyName | None = None
    api_version: Annotated[str, Field(pattern=r"^\d{2,3}\.0$")] = "62.0"

    @field_validator("mql_where")
    @classmethod
    def _safe_where(cls, value: str) -> str:
        problems = check_where(value)
        if problems:
            first = problems[0]
            raise ValueError(
                f"{first.message} at position {first.position} of {value!r}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
            )
        return value

    @field_validator("fields")
    @classmethod
    def _email_mapped(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        _needs_email(value, SALESFORCE_FIELDS)
        return value

    @property
    def field_map(self) -> dict[str, str]:
        return merged_fields(SALESFORCE_FIELDS, dict(self.fields))


class CrmConfig(Strict):
    """Which CRM Handoff works with, both ways; `none` (the default) changes nothing."""

    provider: Literal["hubspot", "salesforce", "none"] = "none"
    poll_every: Duration = timedelta(minutes=1)
    hubspot: HubSpotConfig = Field(default_factory=HubSpotConfig)
    salesforce: SalesforceConfig = Field(default_factory=SalesforceConfig)
    # Slack user id -> CRM owner id (HubSpot owner id, Salesforce user id). Overrides
    # the match by e-mail address for reps whose addresses differ.
    owners: dict[SlackUserId, Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=dict
    )
    # The currency of deal amounts that carry none (single-currency portals and orgs).
    default_currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"

    @field_validator("poll_every")
    @classmethod
    def _sensible_interval(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=10):
            raise ValueError("must be at least 10s (the CRMs' rate limits are shared)")
        return value

    @property
    def enabled(self) -> bool:
        return self.provider != "none"
