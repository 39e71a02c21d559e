"""The fake Salesforce org's state, and the helpers tests and the demo use to change it.

One re-entrant lock guards everything; the HTTP layer holds it for each request.
`CreatedDate` / `LastModifiedDate` / `SystemModstamp` come from an injectable clock,
so a poller's `LastModifiedDate > cursor` queries can be tested exactly.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
from datetime import UTC, datetime
from typing import Any

from bot.timekeeping.clock import Clock, SystemClock

from . import salesforce_schema as schema
from .common import Call, Faults, SlidingWindow, salesforce_id

DEFAULT_CLIENT_ID = "3MVG9fake.handoff.client.id"
DEFAULT_CLIENT_SECRET = "fake-salesforce-client-secret"
DEFAULT_ORG_ID = salesforce_id("00D", 4242)
MQL_STATUS = "Marketing Qualified"


def sf_datetime(moment: datetime) -> str:
    """Salesforce's dateTime format in REST answers: 2026-03-02T09:00:00.000+0000."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class FakeSalesforce:
    """A Salesforce org in memory: records by sObject, one connected app, tokens."""

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        org_id: str = DEFAULT_ORG_ID,
        multi_currency: bool = False,
        clock: Clock | None = None,
        api_version: str = "62.0",
    ) -> None:
        self.lock = threading.RLock()
        self.client_id = client_id
        self.client_secret = client_secret
        self.org_id = org_id
        self.multi_currency = multi_currency
        self.api_version = api_version
        self.clock: Clock = clock or SystemClock()
        self.client_credentials_enabled = True
        self.faults = Faults(self.lock)
        self.request_limit: SlidingWindow | None = None
        self.default_batch_size = 2000
        self.records: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in schema.KEY_PREFIXES}
        self.custom_fields: dict[str, dict[str, tuple[str, bool]]] = {}
        self.tokens: set[str] = set()
        self.token_count = 0
        self.cursors: dict[str, list[dict[str, Any]]] = {}
        self.instance_url: str | None = None  # set by the server
        self._calls: list[Call] = []
        self._numbers = itertools.count(1)

    # --------------------------------------------------------- tokens, limits

    def issue_token(self) -> str:
        with self.lock:
            token = f"{self.org_id[:15]}!AQ{secrets.token_urlsafe(24)}"
            self.tokens.add(token)
            self.token_count += 1
            return token

    def expire_all_tokens(self) -> None:
        """Every issued token now gets 401 INVALID_SESSION_ID (a session timeout)."""
        with self.lock:
            self.tokens.clear()

    def set_request_limit(self, limit: int | None, window_seconds: float = 86_400.0) -> None:
        """Allow `limit` API calls per rolling window (None: unlimited)."""
        with self.lock:
            self.request_limit = None if limit is None else SlidingWindow(limit, window_seconds)

    # ----------------------------------------------------------------- schema

    def field_types(self, sobject: str) -> dict[str, tuple[str, bool]]:
        fields = schema.field_types(sobject, multi_currency=self.multi_currency)
        return {**fields, **self.custom_fields.get(sobject, {})}

    def add_field(self, sobject: str, name: str, kind: str = "string") -> None:
        """A custom field (e.g. "Handoff_Claimed_By__c") that the API can read and write."""
        with self.lock:
            self.custom_fields.setdefault(sobject, {})[name] = (kind, True)

    def lookup(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """(sObject type, record) for any live id; the key prefix says which object."""
        for sobject, prefix in schema.KEY_PREFIXES.items():
            if record_id.startswith(prefix):
                table = self.records[sobject]
                record = table.get(record_id) or next(
                    (r for key, r in table.items() if key[:15] == record_id[:15]), None
                )
                return (sobject, record) if record is not None else None
        return None

    # ---------------------------------------------------------------- records

    def insert(
        self, sobject: str, fields: dict[str, Any], *, created_at: datetime | None = None
    ) -> str:
        """Create any record; returns its 18-character id."""
        with self.lock:
            moment = sf_datetime(created_at or self.clock.now())
            record_id = salesforce_id(schema.KEY_PREFIXES[sobject], next(self._numbers))
            record = {name: None for name in self.field_types(sobject)}
            record |= {"Id": record_id, "CreatedDate": moment, "IsDeleted": False}
            record |= {"LastModifiedDate": moment, "SystemModstamp": moment}
            if "IsConverted" in record:
                record["IsConverted"] = False
            record.update(fields)
            _derive(sobject, record)
            self.records[sobject][record_id] = record
            return record_id

    def change(
        self, sobject: str, record_id: str, fields: dict[str, Any], *, at: datetime | None = None
    ) -> dict[str, Any]:
        with self.lock:
            record = self.records[sobject][record_id]
            record.update(fields)
            _derive(sobject, record)
            moment = sf_datetime(at or self.clock.now())
            record["LastModifiedDate"] = record["SystemModstamp"] = moment
            return copy.deepcopy(record)

    def get(self, sobject: str, record_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.records[sobject][record_id])

    def delete(self, sobject: str, record_id: str) -> None:
        """Delete a record (to the recycle bin: queries no longer see it)."""
        with self.lock:
            del self.records[sobject][record_id]

    def add_user(
        self, email: str, first_name: str = "", last_name: str = "User", *, active: bool = True
    ) -> str:
        fields = {"Email": email, "Username": email, "FirstName": first_name}
        return self.insert("User", {**fields, "LastName": last_name, "IsActive": active})

    def create_lead(
        self, fields: dict[str, Any] | None = None, *, created_at: datetime | None = None
    ) -> str:
        values = {"LastName": "Lead", "Company": "Example Inc", "Status": "Open - Not Contacted"}
        return self.insert("Lead", {**values, **(fields or {})}, created_at=created_at)

    def make_mql(
        self, lead_id: str, *, status: str = MQL_STATUS, at: datetime | None = None
    ) -> dict[str, Any]:
        return self.change("Lead", lead_id, {"Status": status}, at=at)

    def convert_lead(
        self,
        lead_id: str,
        *,
        amount: float | None = None,
        stage: str = "Prospecting",
        currency: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, str]:
        """Convert the lead: account, contact and opportunity (with a contact role)."""
        with self.lock:
            lead = self.records["Lead"][lead_id]
            account = self.insert("Account", {"Name": lead["Company"]}, created_at=at)
            names = {"FirstName": lead["FirstName"], "LastName": lead["LastName"]}
            owner = {"OwnerId": lead["OwnerId"]}
            contact = self.insert(
                "Contact", {**names, **owner, "Email": lead["Email"], "AccountId": account}
            )
            opportunity = self.add_opportunity(
                contact, amount=amount, stage=stage, currency=currency, account_id=account
            )
            converted = (at or self.clock.now()).date().isoformat()
            self.change(
                "Lead",
                lead_id,
                {
                    "IsConverted": True,
                    "ConvertedDate": converted,
                    "ConvertedAccountId": account,
                    "ConvertedContactId": contact,
                    "ConvertedOpportunityId": opportunity,
                    "Status": "Closed - Converted",
                },
                at=at,
            )
            return {"account": account, "contact": contact, "opportunity": opportunity}

    def add_opportunity(
        self,
        contact_id: str,
        *,
        amount: float | None = None,
        stage: str = "Prospecting",
        currency: str | None = None,
        won: bool | None = None,
        loss_reason: str | None = None,
        close_date: str | None = None,
        account_id: str | None = None,
    ) -> str:
        """An opportunity with `contact_id` as its primary contact role."""
        fields: dict[str, Any] = {"Name": "Opportunity", "StageName": stage, "Amount": amount}
        fields |= {"AccountId": account_id, "ContactId": contact_id}
        fields["CloseDate"] = close_date or self.clock.now().date().isoformat()
        if won is not None:
            fields["StageName"] = "Closed Won" if won else "Closed Lost"
        if loss_reason is not None:
            fields["Loss_Reason__c"] = loss_reason
        if currency is not None:
            if not self.multi_currency:
                raise ValueError("CurrencyIsoCode exists only in multi-currency orgs")
            fields["CurrencyIsoCode"] = currency
        with self.lock:
            opportunity = self.insert("Opportunity", fields)
            role = {"OpportunityId": opportunity, "ContactId": contact_id, "IsPrimary": True}
            self.insert("OpportunityContactRole", {**role, "Role": "Decision Maker"})
            return opportunity

    def close_opportunity(
        self, opportunity_id: str, *, won: bool, loss_reason: str | None = None
    ) -> None:
        fields: dict[str, Any] = {"StageName": "Closed Won" if won else "Closed Lost"}
        if loss_reason is not None:
            fields["Loss_Reason__c"] = loss_reason
        self.change("Opportunity", opportunity_id, fields)

    def log_activity(
        self,
        who_id: str,
        *,
        kind: str = "Task",
        subject: str = "Call",
        owner_id: str | None = None,
        at: datetime | None = None,
    ) -> str:
        """A completed Task (call, email) or an Event (meeting) on a lead or contact."""
        moment = at or self.clock.now()
        common = {"WhoId": who_id, "Subject": subject, "OwnerId": owner_id}
        if kind == "Event":
            stamp = sf_datetime(moment)
            fields = {"StartDateTime": stamp, "EndDateTime": stamp, "ActivityDateTime": stamp}
            return self.insert("Event", {**common, **fields}, created_at=moment)
        fields = {"Status": "Completed", "TaskSubtype": "Call", "Type": "Call"}
        fields["ActivityDate"] = moment.date().isoformat()
        return self.insert("Task", {**common, **fields}, created_at=moment)

    def merge_leads(self, master_id: str, duplicate_id: str) -> None:
        """Merge: the duplicate is deleted, pointing at the master by MasterRecordId."""
        with self.lock:
            duplicate = self.records["Lead"].pop(duplicate_id)
            duplicate["IsDeleted"] = True
            duplicate["MasterRecordId"] = master_id
            self.change("Lead", master_id, {})

    # ------------------------------------------------------------- inspection

    def calls(self, endpoint: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self._calls if endpoint is None or c.endpoint == endpoint]

    def record_call(self, call: Call) -> None:
        with self.lock:
            self._calls.append(call)


def _derive(sobject: str, record: dict[str, Any]) -> None:
    """Formula-like fields Salesforce computes itself."""
    if "Name" in record and sobject in {"Lead", "Contact", "User"}:
        record["Name"] = " ".join(p for p in (record.get("FirstName"), record["LastName"]) if p)
    if sobject == "Opportunity":
        stage = record.get("StageName") or ""
        record["IsClosed"] = stage.startswith("Closed")
        record["IsWon"] = stage == "Closed Won"
    if sobject == "Task":
        record["IsClosed"] = record.get("Status") == "Completed"
