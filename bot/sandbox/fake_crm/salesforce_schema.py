"""The fake Salesforce org's sObjects: fields, types, which are writable, and id prefixes.

Field names and types are the standard fields of Lead, Contact, Account, Opportunity,
OpportunityContactRole, Task, Event and User as the SOAP/REST object reference lists
them; `Loss_Reason__c` stands in for an org's custom loss-reason field. CurrencyIsoCode
exists only in multi-currency orgs, as on Salesforce.
"""

from __future__ import annotations

from typing import Any

KEY_PREFIXES = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "OpportunityContactRole": "00K",
    "Lead": "00Q",
    "Task": "00T",
    "Event": "00U",
}
_AUDIT = [
    ("CreatedDate", "datetime", False),
    ("LastModifiedDate", "datetime", False),
    ("SystemModstamp", "datetime", False),
    ("IsDeleted", "boolean", False),
]
# (name, type, writable)
_FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    "Lead": [
        ("FirstName", "string", True),
        ("LastName", "string", True),
        ("Name", "string", False),
        ("Email", "email", True),
        ("Company", "string", True),
        ("Title", "string", True),
        ("Phone", "phone", True),
        ("Industry", "picklist", True),
        ("Country", "string", True),
        ("NumberOfEmployees", "int", True),
        ("Status", "picklist", True),
        ("LeadSource", "picklist", True),
        ("Rating", "picklist", True),
        ("Description", "textarea", True),
        ("OwnerId", "reference", True),
        ("IsConverted", "boolean", False),
        ("ConvertedDate", "date", False),
        ("ConvertedContactId", "reference", False),
        ("ConvertedAccountId", "reference", False),
        ("ConvertedOpportunityId", "reference", False),
        ("MasterRecordId", "reference", False),
    ],
    "Contact": [
        ("FirstName", "string", True),
        ("LastName", "string", True),
        ("Name", "string", False),
        ("Email", "email", True),
        ("AccountId", "reference", True),
        ("OwnerId", "reference", True),
    ],
    "Account": [("Name", "string", True), ("OwnerId", "reference", True)],
    "Opportunity": [
        ("Name", "string", True),
        ("AccountId", "reference", True),
        ("ContactId", "reference", True),
        ("OwnerId", "reference", True),
        ("Amount", "currency", True),
        ("StageName", "picklist", True),
        ("CloseDate", "date", True),
        ("IsClosed", "boolean", False),
        ("IsWon", "boolean", False),
        ("Loss_Reason__c", "picklist", True),
    ],
    "OpportunityContactRole": [
        ("OpportunityId", "reference", True),
        ("ContactId", "reference", True),
        ("Role", "picklist", True),
        ("IsPrimary", "boolean", True),
    ],
    "Task": [
        ("Subject", "combobox", True),
        ("Status", "picklist", True),
        ("Type", "picklist", True),
        ("TaskSubtype", "picklist", True),
        ("WhoId", "reference", True),
        ("WhatId", "reference", True),
        ("OwnerId", "reference", True),
        ("ActivityDate", "date", True),
        ("Description", "textarea", True),
        ("IsClosed", "boolean", False),
    ],
    "Event": [
        ("Subject", "combobox", True),
        ("WhoId", "reference", True),
        ("WhatId", "reference", True),
        ("OwnerId", "reference", True),
        ("StartDateTime", "datetime", True),
        ("EndDateTime", "datetime", True),
        ("ActivityDateTime", "datetime", True),
    ],
    "User": [
        ("Username", "string", True),
        ("Email", "email", True),
        ("FirstName", "string", True),
        ("LastName", "string", True),
        ("Name", "string", False),
        ("IsActive", "boolean", True),
    ],
}
CURRENCY_OBJECTS = {"Lead", "Opportunity", "Account", "Contact"}


def field_types(sobject: str, *, multi_currency: bool) -> dict[str, tuple[str, bool]]:
    """Field name -> (type, writable), including Id and the audit fields."""
    fields = {"Id": ("id", False)}
    for name, kind, writable in [*_FIELDS[sobject], *_AUDIT]:
        fields[name] = (kind, writable)
    if multi_currency and sobject in CURRENCY_OBJECTS:
        fields["CurrencyIsoCode"] = ("picklist", True)
    return fields


def describe(sobject: str, fields: dict[str, tuple[str, bool]]) -> dict[str, Any]:
    """The `sObject Describe` answer (the parts a connector reads)."""
    return {
        "name": sobject,
        "label": sobject,
        "keyPrefix": KEY_PREFIXES[sobject],
        "custom": False,
        "createable": True,
        "updateable": True,
        "queryable": True,
        "fields": [
            {
                "name": name,
                "label": name.removesuffix("__c").replace("_", " "),
                "type": kind,
                "updateable": writable,
                "createable": writable,
                "nillable": name not in {"Id", "LastName", "IsDeleted", "IsConverted"},
                "custom": name.endswith("__c"),
                "length": 255 if kind in {"string", "email", "picklist"} else 0,
            }
            for name, (kind, writable) in fields.items()
        ],
    }


def error(code: str, message: str, fields: list[str] | None = None) -> list[dict[str, Any]]:
    """Salesforce's REST error body: a JSON array of {message, errorCode, fields}."""
    item: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        item["fields"] = fields
    return [item]
