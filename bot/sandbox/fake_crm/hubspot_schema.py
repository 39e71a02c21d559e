"""The fake HubSpot portal's property definitions, scopes per endpoint, and error bodies.

Property names and types are HubSpot's default contact and deal properties
(`GET /crm/v3/properties/{objectType}`); scopes are the granular CRM scopes named in
HubSpot's reference for each endpoint; error bodies follow the documented
`{status, message, correlationId, category}` shape.
"""

from __future__ import annotations

import uuid
from typing import Any

# (name, type, fieldType, readOnly)
_CONTACT_PROPERTIES = [
    ("email", "string", "text", False),
    ("firstname", "string", "text", False),
    ("lastname", "string", "text", False),
    ("company", "string", "text", False),
    ("jobtitle", "string", "text", False),
    ("phone", "string", "phonenumber", False),
    ("industry", "string", "text", False),
    ("country", "string", "text", False),
    ("hs_analytics_source", "enumeration", "select", True),
    ("hubspotscore", "number", "number", True),
    ("lifecyclestage", "enumeration", "radio", False),
    ("hs_lead_status", "enumeration", "radio", False),
    ("hubspot_owner_id", "enumeration", "select", False),
    ("hs_lifecyclestage_marketingqualifiedlead_date", "datetime", "calculation_read_time", True),
    ("hs_lifecyclestage_salesqualifiedlead_date", "datetime", "calculation_read_time", True),
    ("notes_last_contacted", "datetime", "date", True),
    ("notes_last_updated", "datetime", "date", True),
    ("hs_last_sales_activity_timestamp", "datetime", "date", True),
    ("hs_sa_first_engagement_date", "datetime", "date", True),
    ("num_contacted_notes", "number", "number", True),
    ("num_associated_deals", "number", "number", True),
    ("createdate", "datetime", "date", True),
    ("lastmodifieddate", "datetime", "date", True),
    ("hs_object_id", "number", "number", True),
    ("hs_merged_object_ids", "enumeration", "checkbox", True),
]
_DEAL_PROPERTIES = [
    ("dealname", "string", "text", False),
    ("amount", "number", "number", False),
    ("deal_currency_code", "enumeration", "select", False),
    ("dealstage", "enumeration", "radio", False),
    ("pipeline", "enumeration", "select", False),
    ("closedate", "datetime", "date", False),
    ("closed_lost_reason", "string", "textarea", False),
    ("hubspot_owner_id", "enumeration", "select", False),
    ("hs_is_closed", "bool", "booleancheckbox", True),
    ("hs_is_closed_won", "bool", "booleancheckbox", True),
    ("createdate", "datetime", "date", True),
    ("hs_lastmodifieddate", "datetime", "date", True),
    ("hs_object_id", "number", "number", True),
]
_NOTE_PROPERTIES = [
    ("hs_timestamp", "datetime", "date", False),
    ("hs_note_body", "string", "html", False),
    ("hubspot_owner_id", "enumeration", "select", False),
    ("hs_createdate", "datetime", "date", True),
    ("hs_lastmodifieddate", "datetime", "date", True),
    ("hs_object_id", "number", "number", True),
]
LIFECYCLE_STAGES = [
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
]

# What the search API returns when a request names no properties.
DEFAULT_PROPERTIES = {
    "contacts": [
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ],
    "deals": [
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ],
    "notes": ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"],
}
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate"}
CREATED_PROPERTY = {"contacts": "createdate", "deals": "createdate", "notes": "hs_createdate"}

ENDPOINT_SCOPES: dict[str, str | None] = {
    "contacts.search": "crm.objects.contacts.read",
    "contacts.get": "crm.objects.contacts.read",
    "contacts.batch_read": "crm.objects.contacts.read",
    "notes.batch_read": "crm.objects.contacts.read",
    "contacts.update": "crm.objects.contacts.write",
    "notes.create": "crm.objects.contacts.write",
    "deals.search": "crm.objects.deals.read",
    "owners.list": "crm.objects.owners.read",
    "properties.contacts": "crm.schemas.contacts.read",
    "properties.deals": "crm.schemas.deals.read",
    "token_info": None,
}
ALL_SCOPES = sorted({s for s in ENDPOINT_SCOPES.values() if s})

AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
    "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
SCOPES_MESSAGE = (
    "This app hasn't been granted all required scopes to make this call. "
    "Read more about required scopes here: https://developers.hubspot.com/scopes."
)
RATE_MESSAGES = {
    "SECONDLY": "You have reached your secondly limit.",
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "DAILY": "You have reached your daily limit.",
}
STATUS_CATEGORIES = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    409: "CONFLICT",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}


def property_definitions(object_type: str) -> list[dict[str, Any]]:
    rows = {"contacts": _CONTACT_PROPERTIES, "deals": _DEAL_PROPERTIES, "notes": _NOTE_PROPERTIES}
    return [definition(name, kind, field, ro) for name, kind, field, ro in rows[object_type]]


def definition(name: str, kind: str, field_type: str, read_only: bool) -> dict[str, Any]:
    options = []
    if name == "lifecyclestage":
        options = [{"label": s, "value": s, "hidden": False} for s in LIFECYCLE_STAGES]
    return {
        "name": name,
        "label": name.replace("_", " ").title(),
        "type": kind,
        "fieldType": field_type,
        "groupName": "contactinformation",
        "description": "",
        "options": options,
        "hubspotDefined": True,
        "hidden": False,
        "formField": not read_only,
        "calculated": read_only,
        "modificationMetadata": {"archivable": True, "readOnlyValue": read_only},
    }


def error_body(
    status: int, message: str, category: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category or STATUS_CATEGORIES.get(status, "VALIDATION_ERROR"),
        **extra,
    }


def missing_scope_body(scope: str) -> dict[str, Any]:
    return error_body(
        403,
        SCOPES_MESSAGE,
        "MISSING_SCOPES",
        errors=[
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": [scope]},
            }
        ],
        links={"scopes": "https://developers.hubspot.com/scopes"},
    )


def rate_limit_body(policy: str) -> dict[str, Any]:
    body = error_body(429, RATE_MESSAGES.get(policy, "You have reached your limit."))
    del body["category"]
    return {**body, "errorType": "RATE_LIMIT", "policyName": policy}
